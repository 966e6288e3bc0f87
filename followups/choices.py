from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    WAITING = "waiting", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.CONTACTED, TicketStatus.WAITING)
DONE_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)

# THE lifecycle table: which status may be asked for from each status. Every path (case page,
# inbox bulk change, REST API, and any future one) goes through services.ticket_set_status,
# which reads only this table and `transition_target`.
# - new → contacted is not a status change: recording a contact (email, phone) does it.
# - Waiting on the customer exists only after a first contact: a new case cannot wait, else
#   the first-contact clock could be stopped before anyone spoke to the customer.
# - Asking for contacted (or new) on a resolved or closed case reopens it: back to contacted,
#   or to new when nobody ever contacted the customer.
ALLOWED_TRANSITIONS = {
    TicketStatus.NEW: {TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.CONTACTED: {TicketStatus.WAITING, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.WAITING: {TicketStatus.CONTACTED, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.RESOLVED: {TicketStatus.CLOSED, TicketStatus.CONTACTED, TicketStatus.NEW},
    TicketStatus.CLOSED: {TicketStatus.CONTACTED, TicketStatus.NEW},
}


def transition_target(current: str, requested: str, *, contacted: bool) -> str | None:
    """The status a case in `current` ends in when `requested` is asked for; None when not allowed.

    `contacted`: whether the customer was ever contacted (first_contacted_at is set).
    """
    if requested not in ALLOWED_TRANSITIONS.get(current, ()):
        return None
    if requested == TicketStatus.WAITING and not contacted:
        return None
    if current in DONE_STATUSES and requested in (TicketStatus.CONTACTED, TicketStatus.NEW):
        return TicketStatus.CONTACTED if contacted else TicketStatus.NEW  # reopened
    if current == TicketStatus.WAITING and requested == TicketStatus.CONTACTED and not contacted:
        return TicketStatus.NEW  # a case paused before this rule existed: its clock resumes, still uncontacted
    return requested


# A re-survey score of 7 or more (passive or promoter) means the detractor was won back.
RECOVERED_MIN_SCORE = 7


class Priority(models.TextChoices):
    HIGH = "high", _("High (critical 0–3)")
    NORMAL = "normal", _("Normal")


class Outcome(models.TextChoices):
    RECOVERED = "recovered", _("Recovered")
    NOT_RECOVERABLE = "not_recoverable", _("Not recoverable")
    NO_REPLY = "no_reply", _("No reply")


class ContactChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone call")


class EventKind(models.TextChoices):
    OPENED = "opened", _("Case opened")
    FIELD_CHANGED = "changed", _("Changed")
    NOTE = "note", _("Internal note")
    CONTACTED = "contacted", _("Customer contacted")
    WAITING = "waiting", _("Waiting on the customer")
    RESUMED = "resumed", _("Clock resumed")
    REOPENED = "reopened", _("Case reopened")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
    REPLY_READ = "reply_read", _("Customer's reply read")
    WARNED = "warned", _("Deadline warning sent")
    BREACHED = "breached", _("Deadline missed")
    RESURVEY_SENT = "resurvey_sent", _("Re-survey sent")
    RESURVEY_ANSWERED = "resurvey_answered", _("Re-survey answered")
    LOOP_MESSAGE = "loop_message", _("Told about a fix (close the loop)")


class TicketKind(models.TextChoices):
    DETRACTOR = "detractor", _("Detractor follow-up")
    OUTREACH = "outreach", _("Outreach to an at-risk customer")
    PASSIVE = "passive", _("Passive outreach")


class NotificationKind(models.TextChoices):
    WARNING = "warning", _("Deadline approaching")
    BREACH = "breach", _("Deadline missed")
    REPLY = "reply", _("Customer replied")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")
