import uuid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from followups.choices import (
    OPEN_STATUSES,
    RECOVERED_MIN_SCORE,
    ContactChannel,
    EventKind,
    NotificationKind,
    Outcome,
    Priority,
    TicketKind,
    TicketStatus,
    Weekday,
)


class Team(models.Model):
    """A group of agents; a survey routes its follow-up cases to one team."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="teams"
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BusinessCalendar(models.Model):
    """When the business-hours clock runs: a timezone, weekly opening hours and holidays."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("timezone"), max_length=64, default="Europe/Paris")

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError({"timezone": _("Unknown timezone (use a name such as Europe/Paris).")}) from exc

    def as_sla_calendar(self):
        """The plain value followups.sla computes with (prefetch opening_hours and holidays for lists)."""
        from followups import sla

        return sla.Calendar(
            timezone=self.timezone,
            spans=tuple((span.weekday, span.opens, span.closes) for span in self.opening_hours.all()),
            holidays=frozenset(holiday.day for holiday in self.holidays.all()),
        )


class OpeningHours(models.Model):
    """One opening span on one weekday (0 = Monday). A day may have several spans."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=models.Q(opens__lt=models.F("closes")), name="opens_before_closes")
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    day = models.DateField(_("day"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["calendar", "day"], name="holiday_once_per_calendar")]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


# Cases still waiting for a first contact before those already contacted (whose deadline is moot):
# the inbox's deadline sort (followups.selectors.INBOX_SORTS) and its indexes (Ticket.Meta).
AWAITING_FIRST_CONTACT_FIRST = models.Case(
    models.When(first_contacted_at__isnull=True, then=models.Value(0)),
    default=models.Value(1),
    output_field=models.IntegerField(),
)
_DEADLINE_SORT = (AWAITING_FIRST_CONTACT_FIRST, models.F("first_contact_due_at"), models.F("id"))


class Ticket(models.Model):
    """A follow-up case opened for a detractor's response, with a first-contact deadline."""

    public_id = models.UUIDField(verbose_name=_("public id"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=TicketKind.choices, default=TicketKind.DETRACTOR)
    # One ticket per response, whatever happens: the database enforces it. Outreach cases
    # (at-risk customers who did not answer) have no response. PROTECT: deleting an answer
    # must not take its case and audit trail with it (erasure redacts, it never deletes).
    response = models.OneToOneField(
        "surveys.Response",
        null=True,
        blank=True,
        verbose_name=_("response"),
        on_delete=models.PROTECT,
        related_name="ticket",
    )
    reason = models.TextField(_("reason"), blank=True, help_text=_("Why an outreach case was opened."))
    survey = models.ForeignKey(
        "surveys.Survey", verbose_name=_("survey"), on_delete=models.PROTECT, related_name="tickets"
    )
    customer = models.ForeignKey(
        "crm.Customer",
        null=True,
        blank=True,
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    status = models.CharField(_("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    first_contact_due_at = models.DateTimeField(_("first contact due"), db_index=True)
    first_contacted_at = models.DateTimeField(_("first contacted at"), null=True, blank=True)
    # Set once, by the beat task, when the first-contact deadline passes uncontacted.
    breached_at = models.DateTimeField(_("deadline missed at"), null=True, blank=True)
    contact_channel = models.CharField(
        verbose_name=_("contact channel"), max_length=10, choices=ContactChannel.choices, blank=True
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The clock stops while the case waits on the customer; a reply resumes it with what was left.
    clock_paused_at = models.DateTimeField(_("clock paused at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("deadline warning sent at"), null=True, blank=True)
    # Set when the customer writes (reply page, inbound email) and cleared when a staff user who
    # may work the case opens it: the inbox's "customer replied" marker.
    customer_reply_unread_at = models.DateTimeField(_("unread customer reply since"), null=True, blank=True)
    # Frozen when they happen, so reports never recompute them from moving data.
    minutes_to_first_contact = models.PositiveIntegerField(_("minutes to first contact"), null=True, blank=True)
    first_contact_met = models.BooleanField(_("first contact within deadline"), null=True, blank=True)
    minutes_to_resolution = models.PositiveIntegerField(_("minutes to resolution"), null=True, blank=True)
    # Recovery: the customer is surveyed again some days after resolution.
    resurvey_invitation = models.OneToOneField(
        "surveys.Invitation",
        null=True,
        blank=True,
        verbose_name=_("re-survey invitation"),
        on_delete=models.SET_NULL,
        related_name="recovery_ticket",
    )
    resurvey_score = models.PositiveSmallIntegerField(_("score after follow-up"), null=True, blank=True)
    # Bumped by every change: a form posted with an older version was made stale meanwhile.
    version = models.PositiveIntegerField(verbose_name=_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("follow-up case")
        verbose_name_plural = _("follow-up cases")
        ordering = ["first_contact_due_at"]
        indexes = [
            models.Index(fields=["status", "first_contact_due_at"]),
            models.Index(fields=["team", "status", "first_contact_due_at"]),
            models.Index(fields=["assignee", "status", "first_contact_due_at"]),
            # The inbox's default view: open cases by deadline, without walking the resolved ones.
            models.Index(
                fields=["first_contact_due_at", "id"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="ticket_open_by_deadline",
            ),
            # The inbox's deadline sort: cases awaiting a first contact first (the expression the
            # inbox orders by, so PostgreSQL reads it in order).
            models.Index(
                *_DEADLINE_SORT, condition=models.Q(status__in=OPEN_STATUSES), name="ticket_open_awaiting_contact"
            ),
            # The same sort over every case (resolved, or any status): page 1 or page 100 of
            # 100,000 cases reads its rows in order instead of sorting them all.
            models.Index(*_DEADLINE_SORT, name="ticket_awaiting_contact"),
        ]

    def __str__(self) -> str:
        return f"#{str(self.public_id)[:8]} {self.customer or _('anonymous')}"

    @property
    def reference(self) -> str:
        return str(self.public_id)[:8].upper()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_recovered(self) -> bool | None:
        """Did the re-surveyed customer come back (7 or more)? None until they answered."""
        if self.resurvey_score is None:
            return None
        return self.resurvey_score >= RECOVERED_MIN_SCORE

    @property
    def clock_is_paused(self) -> bool:
        return self.clock_paused_at is not None

    def is_overdue(self, now=None) -> bool:
        """Not yet contacted, still open, clock running, and past its first-contact deadline."""
        now = now or timezone.now()
        return (
            self.is_open
            and self.first_contacted_at is None
            and self.clock_paused_at is None
            and self.first_contact_due_at < now
        )


class TicketEvent(models.Model):
    """The audit trail: every change to a ticket writes one row (who, when, what, old, new).

    Never deleted: a case with events cannot be deleted (PROTECT), and deleting a staff user
    leaves their events with no actor (SET_NULL).
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    field = models.CharField(max_length=50, blank=True)
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        return f"{self.ticket} {self.kind} {self.field}"


class TicketNotification(models.Model):
    """A deadline warning or breach alert: one row per case and kind, so it is sent once.

    The row is claimed (inserted) before anything is sent; a second beat or a retried task
    hits the unique constraint and does nothing. Outside the business calendar the row waits
    with `delivered_at` empty for the morning digest.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    # What the notification is about within its kind: empty for a deadline (once per case), the
    # customer's message for a reply notice (once per reply).
    key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind", "key"], name="notification_once_per_case_and_key")
        ]

    def __str__(self) -> str:
        return f"{self.ticket} {self.kind}"
