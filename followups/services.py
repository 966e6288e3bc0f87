"""Every write to a follow-up ticket. Each change writes its audit event row."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from followups import sla
from followups.choices import OPEN_STATUSES, ContactChannel, EventKind, Outcome, Priority, TicketStatus
from followups.models import Ticket, TicketEvent
from surveys import scoring
from surveys import services as survey_services
from surveys.choices import Segment
from surveys.models import Response, ResponseTheme, Theme, ThemeSource

NOTE_MAX_LENGTH = 10_000


def _display(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "get_username"):
        return value.get_username()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _ticket_change(*, ticket: Ticket, actor, **changes) -> list[TicketEvent]:
    """Apply field changes to `ticket` and write one audit event per changed field."""
    events = []
    for field, new in changes.items():
        old = getattr(ticket, field)
        if old == new:
            continue
        setattr(ticket, field, new)
        events.append(
            TicketEvent(
                ticket=ticket,
                actor=actor,
                kind=EventKind.FIELD_CHANGED,
                field=field,
                old_value=_display(old)[:200],
                new_value=_display(new)[:200],
            )
        )
    if events:
        ticket.save(update_fields=list({e.field for e in events}))
        TicketEvent.objects.bulk_create(events)
    return events


def ticket_open_for_response(*, response: Response) -> Ticket | None:
    """Open the follow-up ticket of a detractor's response. Safe to call any number of times."""
    if scoring.segment_for(response.score) != Segment.DETRACTOR:
        return None
    existing = Ticket.objects.filter(response=response).first()
    if existing is not None:
        return existing
    survey = response.survey
    ticket = Ticket(
        response=response,
        survey=survey,
        team_id=survey.team_id,
        customer=response.customer,
        priority=Priority.HIGH if scoring.is_critical(response.score) else Priority.NORMAL,
        opened_at=timezone.now(),
        first_contact_due_at=sla.first_contact_due(response.submitted_at, hours=survey.first_contact_hours),
    )
    try:
        with transaction.atomic():
            ticket.save()
            TicketEvent.objects.create(ticket=ticket, kind=EventKind.OPENED, created_at=ticket.opened_at)
    except IntegrityError:
        # A concurrent run opened it first: the unique response claims the work.
        return Ticket.objects.get(response=response)
    return ticket


def _require_open(ticket: Ticket) -> None:
    if ticket.status not in OPEN_STATUSES:
        raise ValidationError(_("This case is already resolved."))


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor, assignee) -> Ticket:
    _ticket_change(ticket=ticket, actor=actor, assignee=assignee)
    return ticket


def ticket_claim(*, ticket: Ticket, actor) -> Ticket:
    return ticket_assign(ticket=ticket, actor=actor, assignee=actor)


@transaction.atomic
def ticket_add_note(*, ticket: Ticket, actor, body: str) -> TicketEvent:
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write something before adding a note.")})
    if len(body) > NOTE_MAX_LENGTH:
        raise ValidationError({"body": _("A note is limited to %(max)s characters.") % {"max": NOTE_MAX_LENGTH}})
    return TicketEvent.objects.create(ticket=ticket, actor=actor, kind=EventKind.NOTE, body=body)


@transaction.atomic
def ticket_mark_contacted(*, ticket: Ticket, actor, channel: str, body: str = "") -> Ticket:
    """Record a contact with the customer; the first one stops the first-contact clock."""
    _require_open(ticket)
    if channel not in ContactChannel.values:
        raise ValidationError({"channel": _("Choose how the customer was contacted.")})
    changes = {"status": TicketStatus.CONTACTED}
    if ticket.first_contacted_at is None:
        changes |= {"first_contacted_at": timezone.now(), "contact_channel": channel}
    if ticket.assignee_id is None and actor is not None:
        changes["assignee"] = actor
    _ticket_change(ticket=ticket, actor=actor, **changes)
    TicketEvent.objects.create(
        ticket=ticket, actor=actor, kind=EventKind.CONTACTED, new_value=channel, body=body.strip()
    )
    return ticket


@transaction.atomic
def ticket_resolve(*, ticket: Ticket, actor, outcome: str, body: str = "") -> Ticket:
    _require_open(ticket)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose the outcome of this case.")})
    _ticket_change(
        ticket=ticket, actor=actor, status=TicketStatus.RESOLVED, outcome=outcome, resolved_at=timezone.now()
    )
    if body.strip():
        ticket_add_note(ticket=ticket, actor=actor, body=body)
    return ticket


def _theme_event(*, ticket: Ticket, actor, old: str, new: str) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        kind=EventKind.FIELD_CHANGED,
        field="theme",
        old_value=old[:200],
        new_value=new[:200],
    )


@transaction.atomic
def ticket_tag_theme(*, ticket: Ticket, actor, theme: Theme) -> TicketEvent | None:
    """Tag the case's response with `theme` by hand; confirming a keyword-rule tag counts as a change."""
    source = (
        ResponseTheme.objects.filter(response_id=ticket.response_id, theme=theme)
        .values_list("source", flat=True)
        .first()
    )
    if source == ThemeSource.MANUAL:
        return None
    survey_services.response_tag_theme(response=ticket.response, theme=theme, actor=actor)
    return _theme_event(ticket=ticket, actor=actor, old="", new=theme.name)


@transaction.atomic
def ticket_untag_theme(*, ticket: Ticket, actor, theme: Theme) -> TicketEvent | None:
    if not survey_services.response_untag_theme(response=ticket.response, theme=theme, actor=actor):
        return None
    return _theme_event(ticket=ticket, actor=actor, old=theme.name, new="")
