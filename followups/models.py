import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from followups.choices import OPEN_STATUSES, ContactChannel, EventKind, Outcome, Priority, TicketKind, TicketStatus


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


class Ticket(models.Model):
    """A follow-up case opened for a detractor's response, with a first-contact deadline."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=TicketKind.choices, default=TicketKind.DETRACTOR)
    # One ticket per response, whatever happens: the database enforces it. Outreach cases
    # (at-risk customers who did not answer) have no response.
    response = models.OneToOneField(
        "surveys.Response", null=True, blank=True, on_delete=models.CASCADE, related_name="ticket"
    )
    reason = models.TextField(_("reason"), blank=True, help_text=_("Why an outreach case was opened."))
    survey = models.ForeignKey("surveys.Survey", on_delete=models.PROTECT, related_name="tickets")
    customer = models.ForeignKey(
        "crm.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
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
    contact_channel = models.CharField(max_length=10, choices=ContactChannel.choices, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)

    class Meta:
        verbose_name = _("follow-up case")
        verbose_name_plural = _("follow-up cases")
        ordering = ["first_contact_due_at"]
        indexes = [models.Index(fields=["status", "first_contact_due_at"])]

    def __str__(self) -> str:
        return f"#{str(self.public_id)[:8]} {self.customer or _('anonymous')}"

    @property
    def reference(self) -> str:
        return str(self.public_id)[:8].upper()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now=None) -> bool:
        """Not yet contacted, still open, and past its first-contact deadline."""
        now = now or timezone.now()
        return self.is_open and self.first_contacted_at is None and self.first_contact_due_at < now


class TicketEvent(models.Model):
    """The audit trail: every change to a ticket writes one row (who, when, what, old, new)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
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
