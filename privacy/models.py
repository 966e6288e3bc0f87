from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.choices import PrivacyAction


class PrivacyEvent(models.Model):
    """Audit of staff actions on personal data."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(verbose_name=_("action"), max_length=20, choices=PrivacyAction.choices)
    customer = models.ForeignKey(
        "crm.Customer",
        null=True,
        blank=True,
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        related_name="privacy_events",
    )
    details = models.JSONField(verbose_name=_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("privacy event")
        verbose_name_plural = _("privacy events")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.created_at:%Y-%m-%d}"
