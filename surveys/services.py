"""Every write to surveys, invitations and responses."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import events as webhook_events
from integrations import webhooks
from integrations.choices import WebhookEvent
from npsapp.publish import publish_on_commit
from surveys import themes as theme_rules
from surveys.choices import Segment
from surveys.models import Invitation, Response, ResponseTheme, RollupCursor, Survey, Theme, ThemeSource
from surveys.rollup import ID_OVERLAP

THEME_BATCH_SIZE = 2000
THEMES_CURSOR = "themes"


class InvitationExpired(Exception):
    """The personal link is past its expiry date."""


class AlreadyAnswered(Exception):
    """The personal link has already been used to answer."""


def invitation_create(*, survey: Survey, customer, channel: str = "email", created_at=None) -> Invitation:
    invitation = Invitation(survey=survey, customer=customer, channel=channel)
    if created_at is not None:
        invitation.created_at = created_at
    invitation.full_clean(validate_unique=False)
    invitation.save()
    return invitation


@transaction.atomic
def response_submit(*, invitation: Invitation, score: int, comment: str = "", language: str = "") -> Response:
    """Record a customer's answer to their personal link.

    Raises InvitationExpired, AlreadyAnswered, or ValidationError for a bad score or comment.
    A detractor's answer schedules a follow-up ticket once the answer is committed; if the
    broker is down the reconciliation task opens it later.
    """
    if invitation.is_expired:
        raise InvitationExpired
    survey = invitation.survey
    response = Response(
        survey=survey,
        invitation=invitation,
        customer=None if survey.is_anonymous else invitation.customer,
        channel=invitation.channel,
        score=score,
        comment=comment.strip(),
        language=language,
        submitted_at=timezone.now(),
    )
    # Uniqueness is left to the database: one INSERT, and a concurrent second submit fails there.
    # The score's range is checked by the field validators here and by a CHECK constraint in
    # the database, so the constraint is not queried twice.
    response.full_clean(validate_unique=False, validate_constraints=False, exclude=["invitation", "survey", "customer"])
    try:
        response.save()
    except IntegrityError as exc:
        raise AlreadyAnswered from exc
    if response.segment == Segment.DETRACTOR:
        from followups.tasks import ticket_open_for_response_task

        publish_on_commit(ticket_open_for_response_task, response.id)
    # Rows only, in this transaction; the HTTP calls happen in tasks after the commit.
    webhook_events.emit(WebhookEvent.RESPONSE_CREATED, webhooks.response_event_data(response))
    return response


def _active_theme_rules() -> list[tuple[int, list[str]]]:
    rows = Theme.objects.filter(is_active=True).values_list("id", "keywords_en", "keywords_fr")
    rules = [(theme_id, theme_rules.rule_keywords(en, fr)) for theme_id, en, fr in rows]
    return [(theme_id, keywords) for theme_id, keywords in rules if keywords]


def response_themes_apply_rules(*, responses: Iterable[Response]) -> int:
    """Link `responses` to the active themes their comments mention. Returns the links attempted.

    Safe to run any number of times: an existing link (by rule or by hand) is left as it is.
    """
    rules = _active_theme_rules()
    if not rules:
        return 0
    links = [
        ResponseTheme(response_id=response.pk, theme_id=theme_id, source=ThemeSource.RULE)
        for response in responses
        if response.comment
        for theme_id in theme_rules.matching_theme_ids(response.comment, rules)
    ]
    ResponseTheme.objects.bulk_create(links, ignore_conflicts=True, batch_size=THEME_BATCH_SIZE)
    return len(links)


@transaction.atomic
def responses_tag_new_with_themes() -> int:
    """Every minute (beat): apply the keyword rules to answers added since the last run.

    Reads by id with the same overlap as the roll-up (an id can commit late); tagging twice
    is harmless. Returns the links attempted.
    """
    cursor, _created = RollupCursor.objects.select_for_update().get_or_create(name=THEMES_CURSOR)
    newest = Response.objects.aggregate(newest=Max("id"))["newest"] or 0
    if newest <= cursor.last_response_id:
        return 0
    new = (
        Response.objects.filter(id__gt=max(cursor.last_response_id - ID_OVERLAP, 0), id__lte=newest)
        .exclude(comment="")
        .only("id", "comment")
        .order_by()
    )
    attempted = response_themes_apply_rules(responses=new.iterator(chunk_size=THEME_BATCH_SIZE))
    cursor.last_response_id = newest
    cursor.save(update_fields=["last_response_id", "updated_at"])
    return attempted


@transaction.atomic
def theme_reapply_rules(*, theme: Theme) -> int:
    """Replace `theme`'s keyword-rule links with a fresh pass over every comment.

    Links tagged by staff stay. An inactive theme or one without keywords ends with no rule
    links. Returns the links attempted. Reads comments in batches, so memory stays flat.
    """
    ResponseTheme.objects.filter(theme=theme, source=ThemeSource.RULE).delete()
    keywords = theme_rules.rule_keywords(theme.keywords_en, theme.keywords_fr)
    if not theme.is_active or not keywords:
        return 0
    rules = [(theme.pk, keywords)]
    comments = (
        Response.objects.exclude(comment="")
        .order_by()
        .values_list("id", "comment")
        .iterator(chunk_size=THEME_BATCH_SIZE)
    )
    attempted = 0
    batch = []
    for response_id, comment in comments:
        if theme_rules.matching_theme_ids(comment, rules):
            batch.append(ResponseTheme(response_id=response_id, theme=theme, source=ThemeSource.RULE))
        if len(batch) >= THEME_BATCH_SIZE:
            ResponseTheme.objects.bulk_create(batch, ignore_conflicts=True)
            attempted += len(batch)
            batch = []
    ResponseTheme.objects.bulk_create(batch, ignore_conflicts=True)
    return attempted + len(batch)


@transaction.atomic
def response_tag_theme(*, response: Response, theme: Theme, actor) -> ResponseTheme:
    """Tag `response` with `theme` by hand. A link found by a keyword rule becomes a manual one."""
    if not theme.is_active:
        raise ValidationError({"theme": _("This theme is no longer active.")})
    link, created = ResponseTheme.objects.select_for_update().get_or_create(
        response=response, theme=theme, defaults={"source": ThemeSource.MANUAL, "tagged_by": actor}
    )
    if not created and link.source != ThemeSource.MANUAL:
        link.source = ThemeSource.MANUAL
        link.tagged_by = actor
        link.save(update_fields=["source", "tagged_by"])
    return link


def response_untag_theme(*, response: Response, theme: Theme, actor) -> bool:
    """Remove `theme` from `response`, whoever or whatever tagged it. False if it was not there.

    A keyword-rule link removed here comes back if the theme's rules are re-applied.
    """
    deleted, _by_model = ResponseTheme.objects.filter(response=response, theme=theme).delete()
    return deleted > 0
