from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    WAITING = "waiting", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.CONTACTED, TicketStatus.WAITING)


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
