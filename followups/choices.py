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

# The lifecycle: which status may follow which. Reopening (resolved/closed → contacted, or new
# when the customer was never contacted) is a transition like the others, and audited.
ALLOWED_TRANSITIONS = {
    TicketStatus.NEW: {TicketStatus.CONTACTED, TicketStatus.WAITING, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.CONTACTED: {TicketStatus.WAITING, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.WAITING: {TicketStatus.CONTACTED, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.RESOLVED: {TicketStatus.CLOSED, TicketStatus.CONTACTED, TicketStatus.NEW},
    TicketStatus.CLOSED: {TicketStatus.CONTACTED, TicketStatus.NEW},
}

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


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")
