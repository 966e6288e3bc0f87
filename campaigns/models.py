from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.choices import CampaignStatus


class Campaign(models.Model):
    """A survey sent to a set of customers at a given time."""

    name = models.CharField(_("name"), max_length=200)
    survey = models.ForeignKey(
        "surveys.Survey", verbose_name=_("survey"), on_delete=models.PROTECT, related_name="campaigns"
    )
    # The CRM filter that chose the customers, kept as the form's cleaned query string.
    audience = models.JSONField(_("audience"), default=dict, blank=True)
    send_at = models.DateTimeField(_("send at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.SCHEDULED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-send_at", "-id"]

    def __str__(self) -> str:
        return self.name
