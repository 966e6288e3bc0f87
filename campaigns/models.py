from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.choices import CampaignStatus, SkipReason


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
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    # Set when the beat task claims the campaign (invitations created) and when no email is left to send.
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # When the queued invitations were last published again by the beat (their messages were lost).
    requeued_at = models.DateTimeField(verbose_name=_("requeued at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-send_at", "-id"]
        indexes = [models.Index(fields=["status", "send_at"])]

    def __str__(self) -> str:
        return self.name


class CampaignSkip(models.Model):
    """A customer of a campaign's audience who was not invited, and why."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="skips")
    customer = models.ForeignKey("crm.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=20, choices=SkipReason.choices)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("skipped customer")
        verbose_name_plural = _("skipped customers")
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="campaign_skip_once")]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.customer_id} ({self.reason})"
