from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Customer, CustomerEvent, Purchase
from followups.models import Ticket
from surveys.models import Invitation, Survey
from triggers.choices import FireStatus, SkipReason, TriggerKind

EVENT_KIND_PATTERN = r"^[a-z][a-z0-9_]{0,29}$"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class TriggerRule(models.Model):
    """Send a survey by itself, `delay_days` after a purchase, a resolved case or a customer event."""

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="trigger_rules")
    name = models.CharField(_("name"), max_length=100, blank=True)
    kind = models.CharField(_("sent when"), max_length=20, choices=TriggerKind.choices)
    delay_days = models.PositiveSmallIntegerField(
        _("after (days)"), default=14, validators=[MaxValueValidator(365)], help_text=_("0: on the next run.")
    )
    product_categories = models.TextField(
        _("only these product categories"), blank=True, help_text=_("One per line; empty: any purchase.")
    )
    channels = models.TextField(_("only these purchase channels"), blank=True, help_text=_("One per line; empty: any."))
    event_kind = models.CharField(
        _("event kind"),
        max_length=30,
        blank=True,
        validators=[RegexValidator(EVENT_KIND_PATTERN, _("Lower-case letters, digits and underscores."))],
        help_text=_("For an event rule: the kind the CRM API posts, e.g. order_delivered."),
    )
    send_any_time = models.BooleanField(
        _("send any time"),
        default=False,
        help_text=_("Unticked: only on weekday mornings in the customer's time zone."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("trigger rule")
        verbose_name_plural = _("trigger rules")
        ordering = ["survey", "kind", "delay_days"]

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display()} +{self.delay_days}"

    @property
    def category_list(self) -> list[str]:
        return _lines(self.product_categories)

    @property
    def channel_list(self) -> list[str]:
        return _lines(self.channels)

    def clean(self) -> None:
        if self.kind == TriggerKind.EVENT and not self.event_kind:
            raise ValidationError({"event_kind": _("Name the event kind this rule waits for.")})
        if self.kind == TriggerKind.CASE_RESOLVED and self.survey_id and self.survey.is_anonymous:
            raise ValidationError({"kind": _("An anonymous survey has no case to re-survey.")})


class TriggerFire(models.Model):
    """One rule met one subject (a purchase, a case or an event): the row claims it, so it is sent once."""

    rule = models.ForeignKey(TriggerRule, on_delete=models.CASCADE, related_name="fires")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    purchase = models.ForeignKey(Purchase, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(CustomerEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField(_("due at"))
    send_after = models.DateTimeField(_("send after"))
    status = models.CharField(_("status"), max_length=10, choices=FireStatus.choices, default=FireStatus.WAITING)
    reason = models.CharField(_("reason"), max_length=30, choices=SkipReason.choices, blank=True)
    invitation = models.OneToOneField(Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("trigger fire")
        verbose_name_plural = _("trigger fires")
        ordering = ["-due_at"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "purchase"], name="trigger_fire_once_per_purchase"),
            models.UniqueConstraint(fields=["rule", "ticket"], name="trigger_fire_once_per_ticket"),
            models.UniqueConstraint(fields=["rule", "event"], name="trigger_fire_once_per_event"),
        ]
        indexes = [models.Index(fields=["status", "send_after"], name="trigger_fire_waiting")]

    def __str__(self) -> str:
        return f"{self.rule} → {self.customer_id} ({self.status})"
