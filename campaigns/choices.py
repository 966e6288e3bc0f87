from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class SkipReason(models.TextChoices):
    """Why a customer of the audience got no invitation."""

    RECENTLY_INVITED = "recently_invited", _("Invited recently")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed from surveys")
    NO_EMAIL = "no_email", _("No email address")
    ERASED = "erased", _("Personal data erased")
