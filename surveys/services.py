"""Every write to surveys, invitations and responses."""

import logging
import smtplib
from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, router, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Customer
from crm.services.email_failures import customer_record_email_failure
from integrations import events as webhook_events
from integrations.choices import WebhookEvent
from npsapp.compiled import INTEGER_PLACEHOLDER, CompiledUpdate
from surveys import consent, signals, webhook_payloads
from surveys import themes as theme_rules
from surveys.choices import Channel, DeliveryStatus
from surveys.invitation_email import invitation_email_send
from surveys.models import (
    ID_OVERLAP,
    Invitation,
    Response,
    ResponseRevision,
    ResponseTheme,
    RollupCursor,
    Survey,
    Theme,
    ThemeSource,
    correction_digest,
    new_token,
)

logger = logging.getLogger(__name__)

THEME_BATCH_SIZE = 2000
THEMES_CURSOR = "themes"


class InvitationExpired(Exception):
    """The personal link is past its expiry date."""


class AlreadyAnswered(Exception):
    """The personal link has already been used to answer."""


class CorrectionClosed(Exception):
    """The answer can no longer be changed: its correction window is over."""


class PublicFormClosed(Exception):
    """The survey has no public feedback page (disabled or inactive survey)."""


def survey_created(*, survey: Survey) -> None:
    """Tell the apps above that `survey` was just created (Django admin, demo data): surveys/signals.py."""
    signals.survey_created.send(sender=Survey, survey=survey)


@transaction.atomic
def invitation_create(
    *,
    survey: Survey,
    customer,
    channel: str = "email",
    created_at=None,
    is_resurvey: bool = False,
    by_email: bool = True,
    fatigue_bypassed_by: str = "",
) -> Invitation:
    """A personal link, valid for the survey's number of days (`is_resurvey`: after a resolved case).

    Passes the consent gate first (surveys/consent.py) and raises ContactRefused, creating
    nothing, when the customer may not be surveyed now. Contact fatigue does not apply to a
    re-survey, nor when `fatigue_bypassed_by` names who bypassed it (an API write token), which
    is stored on the invitation. `by_email=False`: the link is handed to the caller, not
    emailed, so a missing or refused address does not stop it.
    """
    created_at = created_at or timezone.now()
    # One invitation decision at a time per customer: two requests cannot both pass fatigue.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    consent.contact_require(
        customer=customer,
        survey=survey,
        now=created_at,
        fatigue=not (is_resurvey or fatigue_bypassed_by),
        by_email=by_email,
    )
    invitation = Invitation(
        survey=survey,
        customer=customer,
        channel=channel,
        created_at=created_at,
        expires_at=created_at + timedelta(days=survey.link_valid_days),
        is_resurvey=is_resurvey,
        fatigue_bypassed_by=fatigue_bypassed_by[:200],
    )
    invitation.full_clean(validate_unique=False)
    invitation.save()
    return invitation


def invitation_record_delivery(*, invitation: Invitation, error: str = "") -> None:
    """Record that the link was emailed, or why it could not be (one attempt more either way)."""
    now = timezone.now()
    changes = {"delivery_attempts": F("delivery_attempts") + 1}
    if error:
        changes.update(delivery_status=DeliveryStatus.FAILED, failure_reason=error[:300])
    else:
        changes.update(delivery_status=DeliveryStatus.SENT, sent_at=now, failure_reason="")
    Invitation.objects.filter(pk=invitation.pk).update(**changes)
    invitation.refresh_from_db(fields=["delivery_status", "delivery_attempts", "failure_reason", "sent_at"])


def invitation_send_now(*, invitation: Invitation) -> bool:
    """Email the link now (API); record the delivery. True when sent.

    A mail error is recorded on the invitation (the caller still has the link to send another
    way); an address the server refused for good is recorded on the customer too, so the
    consent gate sends nothing more to it.
    """
    try:
        sent = invitation_email_send(invitation=invitation) == 1
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("survey invitation %s could not be emailed", invitation.id, exc_info=True)
        invitation_record_delivery(invitation=invitation, error=str(exc) or type(exc).__name__)
        customer_record_email_failure(customer=invitation.customer, exc=exc)
        return False
    invitation_record_delivery(invitation=invitation)
    return sent


def invitation_mark_opened(*, invitation: Invitation) -> bool:
    """Record the first time the survey page was opened (delivery tracking, not an answer).

    One conditional UPDATE: a second visit, or two at once, changes nothing. True if this call set it.
    """
    if invitation.opened_at is not None:
        return False
    now = timezone.now()
    if invitation.survey.is_anonymous:
        # Only the day: an exact opening time would sit seconds before the answer's own time
        # and tell which invitation gave which anonymous answer.
        now = now.replace(hour=0, minute=0, second=0, microsecond=0)
    updated = Invitation.objects.filter(pk=invitation.pk, opened_at=None).update(opened_at=now)
    if updated:
        invitation.opened_at = now
    return updated == 1


def _clean_criteria(survey: Survey, criteria) -> list[str]:
    """The chosen criteria, checked against the survey's options (order of the options kept)."""
    chosen = list(dict.fromkeys(criteria or []))
    if not chosen:
        return []
    options = survey.criteria_choices
    if any(choice not in options for choice in chosen):
        raise ValidationError({"criteria": _("Please choose among the options shown.")})
    if len(chosen) > 1 and not survey.criteria_multiple:
        raise ValidationError({"criteria": _("Please choose one option only.")})
    return [option for option in options if option in chosen]


def _check_csat(survey: Survey, csat):
    if csat is not None and not survey.csat_question:
        raise ValidationError({"csat": _("This survey asks no satisfaction question.")})
    return csat


def _validate(response: Response) -> None:
    # Uniqueness is left to the database: one INSERT, and a concurrent second submit fails there.
    # The score's range is checked by the field validators here and by a CHECK constraint in
    # the database, so the constraint is not queried twice.
    response.full_clean(validate_unique=False, validate_constraints=False, exclude=["invitation", "survey", "customer"])


# The link's claim, run on every answer: its SQL built once per connection (npsapp/compiled.py).
_claim_answer = CompiledUpdate(
    lambda pk: Invitation.objects.filter(pk=pk, answered=False), {"answered": True}, placeholder=INTEGER_PLACEHOLDER
)


def _invitation_claim_answer(invitation: Invitation) -> None:
    """Mark the link answered, once: a second submit of the same link finds it claimed.

    One conditional UPDATE, so two submits at once cannot both pass. On an anonymous survey this
    flag is the only trace the answer leaves on the invitation (the answer names no invitation).
    """
    claimed = _claim_answer.run(invitation.pk, using=router.db_for_write(Invitation))
    if claimed != 1:
        raise AlreadyAnswered
    invitation.answered = True


@transaction.atomic
def response_submit(
    *,
    invitation: Invitation,
    score: int,
    comment: str = "",
    language: str = "",
    criteria: list[str] | None = None,
    csat: int | None = None,
) -> Response:
    """Record a customer's answer to their personal link.

    On an anonymous survey the answer names neither the customer nor the invitation: the
    invitation only records that it was answered, and the answer can be found again for its
    correction window only with `response.correction_key`, a random key the caller hands to the
    respondent's browser (only its digest is stored).

    Raises InvitationExpired, AlreadyAnswered, or ValidationError for a bad score, comment,
    criteria or satisfaction. The follow-up hook is published once the answer is committed.
    """
    if invitation.is_expired:
        raise InvitationExpired
    survey = invitation.survey
    anonymous = survey.is_anonymous
    correction_key = new_token() if anonymous else ""
    response = Response(
        survey=survey,
        invitation=None if anonymous else invitation,
        customer=None if anonymous else invitation.customer,
        channel=invitation.channel,
        score=score,
        comment=(comment or "").strip(),
        language=language,
        criteria=_clean_criteria(survey, criteria),
        csat=_check_csat(survey, csat),
        submitted_at=timezone.now(),
        is_resurvey=invitation.is_resurvey,
        correction_digest=correction_digest(correction_key) if anonymous else "",
    )
    _validate(response)
    _invitation_claim_answer(invitation)
    try:
        response.save()
    except IntegrityError as exc:
        raise AlreadyAnswered from exc
    response.correction_key = correction_key
    signals.response_submitted_on_commit(response)
    # Rows only, in this transaction; the HTTP calls happen in tasks after the commit.
    webhook_events.emit(WebhookEvent.RESPONSE_CREATED, lambda: webhook_payloads.response_event_data(response))
    return response


@transaction.atomic
def response_submit_public(
    *,
    survey: Survey,
    score: int,
    comment: str = "",
    email: str = "",
    language: str = "",
    criteria: list[str] | None = None,
    csat: int | None = None,
    location: str = "",
) -> Response:
    """Record an answer from the survey's public feedback page (no invitation, no customer).

    The optional email is kept so that someone can answer back, except on an anonymous
    survey, where nothing identifying is stored. A `location` (the shop label from a poster's
    signed QR code, checked by the caller) makes it an in-store answer. Raises PublicFormClosed
    or ValidationError.
    """
    if not (survey.public_form_enabled and survey.is_active):
        raise PublicFormClosed
    response = Response(
        survey=survey,
        invitation=None,
        customer=None,
        channel=Channel.IN_STORE if location else Channel.PUBLIC_FORM,
        location=location,
        score=score,
        comment=(comment or "").strip(),
        language=language,
        criteria=_clean_criteria(survey, criteria),
        csat=_check_csat(survey, csat),
        contact_email="" if survey.is_anonymous else (email or "").strip(),
        submitted_at=timezone.now(),
    )
    _validate(response)
    response.save()
    signals.response_submitted_on_commit(response)
    webhook_events.emit(WebhookEvent.RESPONSE_CREATED, lambda: webhook_payloads.response_event_data(response))
    return response


@transaction.atomic
def response_correct(
    *,
    response: Response,
    score: int,
    comment: str = "",
    criteria: list[str] | None = None,
    csat: int | None = None,
    language: str = "",
) -> Response:
    """Replace the respondent's answer with a corrected one, keeping the earlier one as a revision.

    Allowed from the personal link for CORRECTION_WINDOW after the first answer (CorrectionClosed
    after). The follow-up hook runs again on the latest answer, and the keyword themes are
    re-applied to the new comment. The same answer posted again records nothing. Raises
    ValidationError for bad values.
    """
    # Locked: two corrections at once must each record what they replaced. Only the answer's
    # row: every insert referencing the survey (another answer, the case opened for this one)
    # key-share locks the survey row at commit, and locking it too made them wait on, and
    # deadlock with, each other.
    response = Response.objects.select_for_update(of=("self",)).select_related("survey").get(pk=response.pk)
    if not response.is_correctable:
        raise CorrectionClosed
    # An erased customer's answer was redacted: it must not be written again from the old link.
    if Invitation.objects.filter(pk=response.invitation_id, customer__erased_at__isnull=False).exists():
        raise CorrectionClosed
    survey = response.survey
    cleaned = ((comment or "").strip(), _clean_criteria(survey, criteria), _check_csat(survey, csat))
    if (score, *cleaned) == (response.score, response.comment, response.criteria, response.csat):
        # The same answer again (a reload of the thank-you page posts it anew): nothing to record.
        return response
    previous = ResponseRevision(
        response=response,
        score=response.score,
        comment=response.comment,
        criteria=response.criteria,
        csat=response.csat,
        answered_at=response.corrected_at or response.submitted_at,
    )
    response.score = score
    response.comment = (comment or "").strip()
    response.criteria = _clean_criteria(survey, criteria)
    response.csat = _check_csat(survey, csat)
    if language:
        response.language = language
    _validate(response)
    now = timezone.now()
    previous.changed_at = now
    response.corrected_at = now
    response.save(update_fields=["score", "comment", "criteria", "csat", "language", "corrected_at"])
    previous.save()
    if previous.comment != response.comment:
        ResponseTheme.objects.filter(response=response, source=ThemeSource.RULE).delete()
        response_themes_apply_rules(responses=[response])
    signals.response_submitted_on_commit(response, corrected=True)
    webhook_events.emit(
        WebhookEvent.RESPONSE_CORRECTED, lambda: webhook_payloads.response_event_data(response, previous=previous)
    )
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
