"""Every write to a follow-up ticket. Each change writes its audit event row."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Customer
from followups import sla
from followups.choices import OPEN_STATUSES, ContactChannel, EventKind, Outcome, Priority, TicketKind, TicketStatus
from followups.models import Ticket, TicketEvent
from integrations import events as webhook_events
from integrations import webhooks
from integrations.choices import WebhookEvent
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
            webhook_events.emit(WebhookEvent.CASE_OPENED, webhooks.case_event_data(ticket))
    except IntegrityError:
        # A concurrent run opened it first: the unique response claims the work.
        return Ticket.objects.get(response=response)
    return ticket


# Outreach to an at-risk customer: a week for the first contact, like a passive's follow-up.
OUTREACH_FIRST_CONTACT_HOURS = 7 * 24


@transaction.atomic
def ticket_open_outreach(*, customer, survey, reason: str, actor) -> Ticket:
    """Open an outreach case for an at-risk customer who gave no answer to follow up.

    `survey` routes the case (its team) and says which relationship it is about. One open
    outreach case per customer: a second one is refused while the first is open.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this customer needs an outreach case.")})
    if len(reason) > NOTE_MAX_LENGTH:
        raise ValidationError({"reason": _("A reason is limited to %(max)s characters.") % {"max": NOTE_MAX_LENGTH}})
    # Lock the customer so that two clicks at once cannot both open a case.
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None:
        raise ValidationError(_("This customer's personal data was erased: there is nobody to contact."))
    already = Ticket.objects.filter(customer=customer, kind=TicketKind.OUTREACH, status__in=OPEN_STATUSES).first()
    if already is not None:
        raise ValidationError(
            _("This customer already has an open outreach case (%(reference)s).") % {"reference": already.reference}
        )
    now = timezone.now()
    ticket = Ticket.objects.create(
        kind=TicketKind.OUTREACH,
        response=None,
        reason=reason,
        survey=survey,
        team_id=survey.team_id,
        customer=customer,
        priority=Priority.NORMAL,
        opened_at=now,
        first_contact_due_at=sla.first_contact_due(now, hours=OUTREACH_FIRST_CONTACT_HOURS),
    )
    TicketEvent.objects.create(ticket=ticket, actor=actor, kind=EventKind.OPENED, body=reason, created_at=now)
    webhook_events.emit(WebhookEvent.CASE_OPENED, webhooks.case_event_data(ticket))
    return ticket


def _require_response(ticket: Ticket) -> None:
    if ticket.response_id is None:
        raise ValidationError(_("An outreach case has no answer to tag with a theme."))


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
    webhook_events.emit(WebhookEvent.CASE_RESOLVED, webhooks.case_event_data(ticket))
    return ticket


@transaction.atomic
def ticket_mark_breached(*, ticket: Ticket, now) -> bool:
    """Record that `ticket` missed its first-contact deadline. True only for the call that marks it.

    A conditional UPDATE claims the mark, so two beat runs at once write one event and emit
    case.breached once. Contacted, resolved and not-yet-due cases are left alone.
    """
    claimed = Ticket.objects.filter(
        id=ticket.id,
        breached_at__isnull=True,
        first_contacted_at__isnull=True,
        status__in=OPEN_STATUSES,
        first_contact_due_at__lt=now,
    ).update(breached_at=now)
    if claimed != 1:
        return False
    ticket.breached_at = now
    TicketEvent.objects.create(
        ticket=ticket,
        kind=EventKind.FIELD_CHANGED,
        field="breached_at",
        new_value=_display(now)[:200],
        created_at=now,
    )
    webhook_events.emit(WebhookEvent.CASE_BREACHED, webhooks.case_event_data(ticket))
    return True


def tickets_mark_breached(*, now=None, limit: int = 1000) -> int:
    """Every minute (beat): mark the open, uncontacted cases past their deadline. Returns how many."""
    now = now or timezone.now()
    overdue = (
        Ticket.objects.filter(
            breached_at__isnull=True,
            first_contacted_at__isnull=True,
            status__in=OPEN_STATUSES,
            first_contact_due_at__lt=now,
        )
        .select_related("survey", "customer", "response")
        .order_by("first_contact_due_at")[:limit]
    )
    return sum(ticket_mark_breached(ticket=ticket, now=now) for ticket in overdue)


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
    _require_response(ticket)
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
    _require_response(ticket)
    if not survey_services.response_untag_theme(response=ticket.response, theme=theme, actor=actor):
        return None
    return _theme_event(ticket=ticket, actor=actor, old=theme.name, new="")
