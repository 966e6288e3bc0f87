"""Every write to a follow-up case. Each change writes its audit event rows and bumps the version.

The lifecycle: new → contacted → waiting on customer → resolved (with an outcome) → closed, and
reopening. `ticket_set_status` is the one transition function; `ticket_mark_contacted`,
`ticket_customer_replied` and the bulk change call the same helpers, so every path is audited.

Frozen metrics (see reporting/followup_metrics.py, which only reads them):
- minutes_to_first_contact: wall-clock minutes from the answer (or the case's opening when there
  is no answer) to the first contact. Paused time is NOT subtracted: it is what the customer
  lived through.
- first_contact_met: first contact at or before the deadline in force at that moment; False when
  the case is resolved or closed with no contact at all (see selectors.deadline_counted_q).
- minutes_to_resolution: wall-clock minutes from the same start to the resolution.
"""

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Customer
from followups import notifications, routing, sla
from followups.choices import (
    DONE_STATUSES,
    OPEN_STATUSES,
    ContactChannel,
    EventKind,
    NotificationKind,
    Outcome,
    Priority,
    TicketKind,
    TicketStatus,
    transition_target,
)
from followups.models import Ticket, TicketEvent, TicketNotification
from followups.webhook_payloads import case_event_data
from integrations import events as webhook_events
from integrations.choices import WebhookEvent
from npsapp import roles
from npsapp.publish import publish_on_commit
from surveys import scoring
from surveys import services as survey_services
from surveys.choices import Segment, SlaClock
from surveys.models import Invitation, Response, ResponseTheme, Survey, Theme, ThemeSource

logger = logging.getLogger(__name__)

NOTE_MAX_LENGTH = 10_000
# A passive's outreach case and an at-risk customer's outreach case: a week, elapsed.
OUTREACH_FIRST_CONTACT_HOURS = 7 * 24


class StaleTicket(ValidationError):
    """The case changed since the form was shown (its version moved on)."""

    def __init__(self):
        super().__init__(
            _(
                "Someone else changed this case while you were working on it. "
                "Review the latest version below and try again."
            ),
            code="stale",
        )


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()


def _display(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "get_username"):
        return value.get_username()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _minutes(start, end) -> int:
    return max(int((end - start).total_seconds() // 60), 0)


def _lock(ticket: Ticket, expected_version: int | None = None) -> Ticket:
    """Re-read `ticket` (in place) under a row lock; StaleTicket if the caller saw an older version."""
    ticket.refresh_from_db(from_queryset=Ticket.objects.select_for_update())
    if expected_version is not None and ticket.version != expected_version:
        raise StaleTicket
    return ticket


def ticket_lock(*, ticket: Ticket, expected_version: int | None = None) -> Ticket:
    """Lock the case for the rest of the transaction (several changes made as one); StaleTicket if
    `expected_version` is given and the case moved on since."""
    return _lock(ticket, expected_version)


def _ticket_change(*, ticket: Ticket, actor, at=None, **changes) -> list[TicketEvent]:
    """Apply field changes to `ticket`, write one audit event per changed field, bump the version."""
    at = at or timezone.now()
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
                created_at=at,
            )
        )
    if events:
        ticket.version += 1
        ticket.save(update_fields=[*{e.field for e in events}, "version", "updated_at"])
        TicketEvent.objects.bulk_create(events)
    return events


def _event(*, ticket: Ticket, actor, kind: str, at=None, **fields) -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, actor=actor, kind=kind, created_at=at or timezone.now(), **fields)


def _clock_start(ticket: Ticket):
    """Where the frozen minutes count from: the answer, or the case's opening without one."""
    if ticket.response_id is not None:
        return ticket.response.submitted_at
    return ticket.opened_at


# --- Deadlines ----------------------------------------------------------------------------------


def survey_calendar(survey: Survey) -> sla.Calendar | None:
    if survey.business_calendar_id is None:
        return None
    return survey.business_calendar.as_sla_calendar()


def _survey_clock(survey: Survey) -> tuple[str, sla.Calendar | None]:
    """The survey's clock and calendar; a business clock without a calendar falls back to elapsed."""
    if survey.sla_clock == SlaClock.ELAPSED:
        return sla.ELAPSED, None
    calendar = survey_calendar(survey)
    if calendar is None or not calendar.spans:
        logger.warning("survey %s counts %s without opening hours: elapsed hours used", survey.id, survey.sla_clock)
        return sla.ELAPSED, None
    return survey.sla_clock, calendar


def survey_first_contact_due(survey: Survey, start):
    clock, calendar = _survey_clock(survey)
    return sla.first_contact_due(
        start, clock=clock, hours=survey.first_contact_hours, days=survey.first_contact_days, calendar=calendar
    )


def survey_deadline_words(survey: Survey) -> str:
    """The first-contact deadline a detractor of `survey` is promised, with its clock, in words."""
    clock, calendar = _survey_clock(survey)
    return sla.describe_deadline(
        clock=clock, hours=survey.first_contact_hours, days=survey.first_contact_days, calendar=calendar
    )


def ticket_deadline_words(ticket: Ticket) -> str:
    """The same words for the case's own clock (outreach and passive cases: a week, elapsed)."""
    if ticket.kind != TicketKind.DETRACTOR:
        return sla.describe_deadline(hours=OUTREACH_FIRST_CONTACT_HOURS)
    return survey_deadline_words(ticket.survey)


def _ticket_clock(ticket: Ticket) -> tuple[str, sla.Calendar | None]:
    # Outreach and passive cases run on a week of elapsed time whatever the survey says.
    if ticket.kind != TicketKind.DETRACTOR:
        return sla.ELAPSED, None
    return _survey_clock(ticket.survey)


def _resume_changes(ticket: Ticket, now) -> dict:
    """The field changes that restart a paused clock with the time that was left."""
    if ticket.clock_paused_at is None:
        return {}
    clock, calendar = _ticket_clock(ticket)
    left = sla.time_left(ticket.clock_paused_at, ticket.first_contact_due_at, clock=clock, calendar=calendar)
    changes = {"clock_paused_at": None}
    if left > timedelta(0):
        changes["first_contact_due_at"] = sla.resumed_due(now, left, clock=clock, calendar=calendar)
    return changes


# --- Opening ------------------------------------------------------------------------------------


def ticket_open_for_response(*, response: Response) -> Ticket | None:
    """The hook run for every answer (through ticket_open_for_response_task). Safe to run twice.

    A detractor's answer opens a detractor case (routed, with its deadline); a passive's answer
    opens an outreach case when the survey asks for it; an answer to a re-survey is recorded on
    the case it was sent for. Returns the detractor or passive case, or None.
    """
    if response.invitation_id is not None:
        recovery = Ticket.objects.filter(resurvey_invitation_id=response.invitation_id).first()
        if recovery is not None:
            ticket_record_resurvey(ticket=recovery, response=response)
    segment = scoring.segment_for(response.score)
    survey = response.survey
    if segment == Segment.DETRACTOR:
        return _ticket_open(
            response=response,
            kind=TicketKind.DETRACTOR,
            priority=Priority.HIGH if scoring.is_critical(response.score) else Priority.NORMAL,
            due=survey_first_contact_due(survey, response.submitted_at),
        )
    if segment == Segment.PASSIVE and survey.passive_outreach:
        return _ticket_open(
            response=response,
            kind=TicketKind.PASSIVE,
            priority=Priority.NORMAL,
            due=sla.first_contact_due(response.submitted_at, hours=OUTREACH_FIRST_CONTACT_HOURS),
        )
    return None


def _ticket_open(*, response: Response, kind: str, priority: str, due) -> Ticket:
    existing = Ticket.objects.filter(response=response).first()
    if existing is not None:
        return existing
    survey = response.survey
    now = timezone.now()
    ticket = Ticket(
        kind=kind,
        response=response,
        survey=survey,
        team_id=survey.team_id,
        customer=response.customer,
        priority=priority,
        opened_at=now,
        first_contact_due_at=due,
    )
    try:
        with transaction.atomic():
            ticket.assignee = routing.assignee_for(survey=survey, customer=response.customer)
            ticket.save()
            _event(ticket=ticket, actor=None, kind=EventKind.OPENED, at=now)
            if ticket.assignee is not None:
                _event(
                    ticket=ticket,
                    actor=None,
                    kind=EventKind.FIELD_CHANGED,
                    field="assignee",
                    new_value=_display(ticket.assignee),
                    at=now,
                )
            webhook_events.emit(WebhookEvent.CASE_OPENED, lambda: case_event_data(ticket), subject=ticket)
    except IntegrityError:
        # A concurrent run opened it first: the unique response claims the work.
        return Ticket.objects.get(response=response)
    return ticket


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
    _event(ticket=ticket, actor=actor, kind=EventKind.OPENED, body=reason, at=now)
    webhook_events.emit(WebhookEvent.CASE_OPENED, lambda: case_event_data(ticket), subject=ticket)
    return ticket


def _require_response(ticket: Ticket) -> None:
    if ticket.response_id is None:
        raise ValidationError(_("An outreach case has no answer to tag with a theme."))


def _require_open(ticket: Ticket) -> None:
    if ticket.status not in OPEN_STATUSES:
        raise ValidationError(_("This case is already resolved."))


# --- Assignment ---------------------------------------------------------------------------------


def _may_reassign(actor) -> bool:
    return actor is None or roles.has_any_role(actor, {roles.MANAGER, roles.ADMIN})


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor, assignee, expected_version: int | None = None) -> Ticket:
    """Give the case to `assignee` (None: unassign). Taking a case someone else holds is for managers."""
    _lock(ticket, expected_version)
    if assignee is not None and not (assignee.is_active and roles.has_any_role(assignee, roles.CAN_WORK_CASES)):
        raise ValidationError({"assignee": _("This person cannot work on follow-up cases.")})
    held_by_other = ticket.assignee_id is not None and actor is not None and ticket.assignee_id != actor.pk
    if held_by_other and ticket.assignee_id != getattr(assignee, "pk", None) and not _may_reassign(actor):
        raise ValidationError({"assignee": _("This case is assigned to someone else: only a manager can reassign it.")})
    _ticket_change(ticket=ticket, actor=actor, assignee=assignee)
    return ticket


def ticket_claim(*, ticket: Ticket, actor, expected_version: int | None = None) -> Ticket:
    return ticket_assign(ticket=ticket, actor=actor, assignee=actor, expected_version=expected_version)


# --- Notes and contacts -------------------------------------------------------------------------


@transaction.atomic
def ticket_add_note(*, ticket: Ticket, actor, body: str) -> TicketEvent:
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write something before adding a note.")})
    if len(body) > NOTE_MAX_LENGTH:
        raise ValidationError({"body": _("A note is limited to %(max)s characters.") % {"max": NOTE_MAX_LENGTH}})
    return _event(ticket=ticket, actor=actor, kind=EventKind.NOTE, body=body)


@transaction.atomic
def ticket_mark_contacted(
    *, ticket: Ticket, actor, channel: str, body: str = "", at=None, expected_version: int | None = None
) -> Ticket:
    """Record a contact with the customer. The first one freezes the first-contact metrics."""
    _lock(ticket, expected_version)
    _require_open(ticket)
    if channel not in ContactChannel.values:
        raise ValidationError({"channel": _("Choose how the customer was contacted.")})
    if len(body) > NOTE_MAX_LENGTH:
        raise ValidationError({"body": _("A note is limited to %(max)s characters.") % {"max": NOTE_MAX_LENGTH}})
    now = timezone.now()
    if at is not None:  # a phone call logged afterwards
        if at > now + timedelta(minutes=1):
            raise ValidationError({"at": _("A contact cannot be in the future.")})
        if at < _clock_start(ticket):
            raise ValidationError({"at": _("A contact cannot be before the customer's answer.")})
    at = at or now
    changes = {"status": TicketStatus.CONTACTED, **_resume_changes(ticket, now)}
    if ticket.first_contacted_at is None:
        changes |= {
            "first_contacted_at": at,
            "contact_channel": channel,
            "minutes_to_first_contact": _minutes(_clock_start(ticket), at),
            "first_contact_met": at <= changes.get("first_contact_due_at", ticket.first_contact_due_at),
        }
    if ticket.assignee_id is None and actor is not None:
        changes["assignee"] = actor
    _ticket_change(ticket=ticket, actor=actor, at=now, **changes)
    _event(ticket=ticket, actor=actor, kind=EventKind.CONTACTED, new_value=channel, body=body.strip(), at=now)
    return ticket


# --- The lifecycle ------------------------------------------------------------------------------


def _transition_target(ticket: Ticket, status: str) -> str:
    """Where `status` takes the case, by the one table in followups/choices.py; else a ValidationError."""
    if status not in TicketStatus.values:
        raise ValidationError({"status": _("Choose a known status.")})
    contacted = ticket.first_contacted_at is not None
    target = transition_target(ticket.status, status, contacted=contacted)
    if target is not None:
        return target
    if ticket.status == TicketStatus.NEW and status == TicketStatus.CONTACTED:
        raise ValidationError({"status": _("Record the contact (email or phone call) to move a new case on.")})
    if status == TicketStatus.WAITING and not contacted:
        raise ValidationError(
            {
                "status": _(
                    "A case can wait on the customer only after a first contact: "
                    "email the customer or log a call first."
                )
            }
        )
    raise ValidationError(
        {
            "status": _("A case that is “%(old)s” cannot become “%(new)s”.")
            % {"old": TicketStatus(ticket.status).label, "new": TicketStatus(status).label}
        }
    )


@transaction.atomic
def ticket_set_status(
    *, ticket: Ticket, actor, status: str, outcome: str = "", body: str = "", expected_version: int | None = None
) -> Ticket:
    """THE lifecycle transition. Asking for the status the case already has changes nothing."""
    _lock(ticket, expected_version)
    if len(body) > NOTE_MAX_LENGTH:
        raise ValidationError({"body": _("A note is limited to %(max)s characters.") % {"max": NOTE_MAX_LENGTH}})
    if outcome and status not in DONE_STATUSES:
        raise ValidationError({"outcome": _("An outcome goes with a resolved or closed case.")})
    if status == ticket.status:
        # Asking again changes nothing, on every path; a different outcome is a change it refuses.
        if outcome and outcome != ticket.outcome:
            raise ValidationError(_("This case is already resolved."))
        if body.strip():
            ticket_add_note(ticket=ticket, actor=actor, body=body)
        return ticket
    target = _transition_target(ticket, status)
    if target == ticket.status:
        return ticket
    now = timezone.now()
    was_done = ticket.status in DONE_STATUSES
    changes: dict = {"status": target}
    kind = None
    if target == TicketStatus.WAITING:
        changes["clock_paused_at"] = now
        kind = EventKind.WAITING
    elif ticket.status == TicketStatus.WAITING:
        changes |= _resume_changes(ticket, now)
        if target in OPEN_STATUSES:
            kind = EventKind.RESUMED
        else:
            changes["first_contact_due_at"] = ticket.first_contact_due_at  # no clock left to run
    if target in DONE_STATUSES and ticket.first_contacted_at is None and ticket.first_contact_met is None:
        changes["first_contact_met"] = False  # resolved or closed without a contact: the deadline was missed
    if target in DONE_STATUSES and ticket.resolved_at is None:
        if outcome not in Outcome.values:
            raise ValidationError({"outcome": _("Choose the outcome of this case.")})
        changes |= {
            "outcome": outcome,
            "resolved_at": now,
            "minutes_to_resolution": _minutes(_clock_start(ticket), now),
        }
    elif target in DONE_STATUSES and outcome:
        changes["outcome"] = outcome
    if target == TicketStatus.CLOSED:
        changes["closed_at"] = now
    if was_done and target in OPEN_STATUSES:
        changes |= {"resolved_at": None, "outcome": "", "closed_at": None, "minutes_to_resolution": None}
        kind = EventKind.REOPENED
    _ticket_change(ticket=ticket, actor=actor, at=now, **changes)
    if kind is not None:
        _event(ticket=ticket, actor=actor, kind=kind, at=now)
    if body.strip():
        ticket_add_note(ticket=ticket, actor=actor, body=body)
    if target in DONE_STATUSES and not was_done:
        webhook_events.emit(WebhookEvent.CASE_RESOLVED, lambda: case_event_data(ticket), subject=ticket)
    return ticket


def ticket_resolve(
    *, ticket: Ticket, actor, outcome: str, body: str = "", expected_version: int | None = None
) -> Ticket:
    """Resolve a case with an outcome: the same transition, by the same table, as every other path."""
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose the outcome of this case.")})
    return ticket_set_status(
        ticket=ticket,
        actor=actor,
        status=TicketStatus.RESOLVED,
        outcome=outcome,
        body=body,
        expected_version=expected_version,
    )


# The REOPENED event's marker when the customer's reply reopened the case (worded by the timeline).
REOPENED_BY_CUSTOMER = "customer_reply"


@transaction.atomic
def ticket_customer_replied(*, ticket: Ticket, body: str = "", at=None, key: str = "") -> Ticket:
    """A reply from the customer came in (reply page or inbound email).

    It resumes a waiting case's clock (back to contacted), reopens a resolved or closed case,
    marks the case as having an unread customer reply, and tells the assignee (else the team's
    agents) once per reply (`key`: the customer's message), held outside business hours.
    """
    _lock(ticket)
    now = timezone.now()
    at = at or now
    # Back to contacted; to new if nobody ever contacted them (a reply is not our contact).
    back_to = TicketStatus.CONTACTED if ticket.first_contacted_at is not None else TicketStatus.NEW
    reopened = ticket.status in DONE_STATUSES
    changes: dict = {}
    if ticket.status == TicketStatus.WAITING:
        changes = {"status": back_to, **_resume_changes(ticket, now)}
    elif reopened:
        changes = {
            "status": back_to,
            "resolved_at": None,
            "outcome": "",
            "closed_at": None,
            "minutes_to_resolution": None,
        }
    if ticket.customer_reply_unread_at is None:
        changes["customer_reply_unread_at"] = at
    _ticket_change(ticket=ticket, actor=None, at=now, **changes)
    if reopened:
        _event(ticket=ticket, actor=None, kind=EventKind.REOPENED, new_value=REOPENED_BY_CUSTOMER, at=now)
    _event(ticket=ticket, actor=None, kind=EventKind.CUSTOMER_REPLIED, body=body.strip(), at=at)
    webhook_events.emit(WebhookEvent.CASE_CUSTOMER_REPLIED, lambda: case_event_data(ticket), subject=ticket)
    _notify(ticket=ticket, kind=NotificationKind.REPLY, now=now, key=key[:64], later=True)
    return ticket


def ticket_mark_reply_read(*, ticket: Ticket, actor) -> bool:
    """A staff user who may work the case opened it: its customer reply is read. True if it was unread.

    Not a version bump: reading changes nothing a colleague's open form depends on.
    """
    if ticket.customer_reply_unread_at is None:
        return False
    with transaction.atomic():
        claimed = Ticket.objects.filter(id=ticket.id, customer_reply_unread_at__isnull=False).update(
            customer_reply_unread_at=None
        )
        if claimed != 1:
            return False
        ticket.customer_reply_unread_at = None
        _event(ticket=ticket, actor=actor, kind=EventKind.REPLY_READ)
    return True


@transaction.atomic
def tickets_bulk_change(*, tickets, actor, assignee=UNSET, status: str | None = None, outcome: str = "") -> int:
    """Change many cases at once, all or nothing, through the single-case services. Returns how many changed."""
    tickets = list(tickets)
    if not tickets:
        raise ValidationError(_("Select at least one case."))
    if assignee is UNSET and not status:
        raise ValidationError(_("Choose an assignee or a status to apply."))
    changed = 0
    for ticket in tickets:
        before = _lock(ticket).version
        try:
            if assignee is not UNSET:
                ticket_assign(ticket=ticket, actor=actor, assignee=assignee)
            if status:
                ticket_set_status(ticket=ticket, actor=actor, status=status, outcome=outcome)
        except ValidationError as exc:
            raise ValidationError(
                _("Case %(reference)s: %(error)s") % {"reference": ticket.reference, "error": " ".join(exc.messages)}
            ) from exc
        changed += ticket.version != before
    return changed


# --- Deadline warnings and breaches (beat) ------------------------------------------------------


def _notify(*, ticket: Ticket, kind: str, now, key: str = "", later: bool = False) -> TicketNotification | None:
    """Claim the (ticket, kind, key) notification row and send it now or leave it for the morning digest.

    `later`: send it after the commit, from a task, so that a customer's request never waits for,
    or fails with, the mail server; a lost or failed send is left for the digest task.
    """
    try:
        with transaction.atomic():
            notification = TicketNotification.objects.create(ticket=ticket, kind=kind, key=key, created_at=now)
    except IntegrityError:
        return None
    if later:
        from followups.tasks import notification_deliver_task

        publish_on_commit(notification_deliver_task, notification.id)
    else:
        notifications.notification_deliver(notification=notification, now=now)
    return notification


# A warning or breach notification reads the survey's calendar: fetched once for a whole beat run.
NOTIFICATION_CALENDAR_PREFETCH = ("survey__business_calendar__opening_hours", "survey__business_calendar__holidays")


def _running_clock_q() -> Q:
    return Q(
        status__in=OPEN_STATUSES,
        first_contacted_at__isnull=True,
        clock_paused_at__isnull=True,
        breached_at__isnull=True,
    )


@transaction.atomic
def ticket_warn(*, ticket: Ticket, now) -> bool:
    """Warn the assignee that the deadline is near. True only for the call that claims the warning."""
    claimed = Ticket.objects.filter(
        _running_clock_q(), id=ticket.id, warned_at__isnull=True, first_contact_due_at__gt=now
    ).update(warned_at=now, version=F("version") + 1)
    if claimed != 1:
        return False
    ticket.warned_at = now
    _event(ticket=ticket, actor=None, kind=EventKind.WARNED, field="warned_at", new_value=_display(now), at=now)
    _notify(ticket=ticket, kind=NotificationKind.WARNING, now=now)
    return True


@transaction.atomic
def ticket_mark_breached(*, ticket: Ticket, now) -> bool:
    """Record that `ticket` missed its first-contact deadline. True only for the call that marks it.

    A conditional UPDATE claims the mark, so two beat runs at once write one event, emit
    case.breached once and notify the managers once. Contacted, resolved, paused and
    not-yet-due cases are left alone.
    """
    claimed = Ticket.objects.filter(_running_clock_q(), id=ticket.id, first_contact_due_at__lt=now).update(
        breached_at=now, version=F("version") + 1
    )
    if claimed != 1:
        return False
    ticket.breached_at = now
    _event(ticket=ticket, actor=None, kind=EventKind.BREACHED, field="breached_at", new_value=_display(now), at=now)
    webhook_events.emit(WebhookEvent.CASE_BREACHED, lambda: case_event_data(ticket), subject=ticket)
    _notify(ticket=ticket, kind=NotificationKind.BREACH, now=now)
    return True


def tickets_mark_breached(*, now=None, limit: int = 1000) -> int:
    """Mark the open, uncontacted cases past their deadline. Returns how many."""
    now = now or timezone.now()
    overdue = (
        Ticket.objects.filter(_running_clock_q(), first_contact_due_at__lt=now)
        .select_related("survey__business_calendar", "customer", "response", "assignee", "team")
        .prefetch_related(*NOTIFICATION_CALENDAR_PREFETCH)
        .order_by("first_contact_due_at")[:limit]
    )
    return sum(ticket_mark_breached(ticket=ticket, now=now) for ticket in overdue)


def tickets_warn(*, now=None, limit: int = 1000) -> int:
    """Warn the assignees of cases whose deadline is within their survey's warning lead. Returns how many."""
    now = now or timezone.now()
    longest = Survey.objects.aggregate(lead=Max("warning_lead_hours"))["lead"] or 0
    if not longest:
        return 0
    candidates = (
        Ticket.objects.filter(
            _running_clock_q(),
            warned_at__isnull=True,
            first_contact_due_at__gt=now,
            first_contact_due_at__lte=now + timedelta(hours=longest),
            survey__warning_lead_hours__gt=0,
        )
        .select_related("survey__business_calendar", "customer", "response", "assignee", "team")
        .prefetch_related(*NOTIFICATION_CALENDAR_PREFETCH)
        .order_by("first_contact_due_at")[:limit]
    )
    warned = 0
    for ticket in candidates:
        if ticket.first_contact_due_at - timedelta(hours=ticket.survey.warning_lead_hours) <= now:
            warned += ticket_warn(ticket=ticket, now=now)
    return warned


def tickets_check_deadlines(*, now=None) -> tuple[int, int]:
    """Every minute (beat): warnings, then breaches. Returns (warned, breached). Safe to overlap."""
    now = now or timezone.now()
    return tickets_warn(now=now), tickets_mark_breached(now=now)


# --- Recovery: re-survey resolved detractors ----------------------------------------------------


def resurvey_due_tickets(*, survey_id: int, due_before, due_after):
    """Resolved detractor cases of `survey_id` with no re-survey yet, resolved in (due_after, due_before]."""
    return Ticket.objects.filter(
        kind=TicketKind.DETRACTOR,
        status__in=DONE_STATUSES,
        resurvey_invitation__isnull=True,
        survey_id=survey_id,
        survey__is_anonymous=False,
        resolved_at__lte=due_before,
        resolved_at__gt=due_after,
        customer__isnull=False,
    )


def ticket_link_resurvey(*, ticket: Ticket, invitation: Invitation, now=None) -> bool:
    """Record on a resolved case the re-survey link sent to its customer, once (the trigger rules
    send it: triggers/services.py). False when the case already has one or was reopened: the
    caller then rolls back its invitation."""
    now = now or timezone.now()
    claimed = Ticket.objects.filter(id=ticket.id, resurvey_invitation__isnull=True, status__in=DONE_STATUSES).update(
        resurvey_invitation=invitation, version=F("version") + 1
    )
    if claimed != 1:
        return False
    ticket.resurvey_invitation = invitation
    _event(ticket=ticket, actor=None, kind=EventKind.RESURVEY_SENT, field="resurvey_invitation", at=now)
    return True


def ticket_record_resurvey(*, ticket: Ticket, response: Response) -> bool:
    """Store the score the customer gave when re-surveyed, once. True for the call that records it."""
    with transaction.atomic():
        claimed = Ticket.objects.filter(id=ticket.id, resurvey_score__isnull=True).update(
            resurvey_score=response.score, version=F("version") + 1
        )
        if claimed != 1:
            return False
        ticket.resurvey_score = response.score
        _event(
            ticket=ticket,
            actor=None,
            kind=EventKind.RESURVEY_ANSWERED,
            field="resurvey_score",
            new_value=str(response.score),
            at=response.submitted_at,
        )
    return True


# --- Themes -------------------------------------------------------------------------------------


def tickets_record_loop_message(*, tickets, actor, theme: Theme, subject: str) -> int:
    """Note on each case that its customer was told about a fix for `theme` (close the loop).

    One audit event per case, written together; the email itself is a conversations Message.
    """
    now = timezone.now()
    events = [
        TicketEvent(
            ticket=ticket,
            actor=actor,
            kind=EventKind.LOOP_MESSAGE,
            field="theme",
            new_value=theme.name[:200],
            body=subject,
            created_at=now,
        )
        for ticket in tickets
    ]
    TicketEvent.objects.bulk_create(events)
    return len(events)


def _theme_event(*, ticket: Ticket, actor, old: str, new: str) -> TicketEvent:
    return _event(
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
