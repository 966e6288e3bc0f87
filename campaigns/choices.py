from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.choices import ContactRefusal


class CampaignStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


# Why a customer of the audience got no invitation: the consent gate's reasons (surveys/consent.py).
SkipReason = ContactRefusal
