from django.db import models
from django.utils.translation import gettext_lazy as _


class Segment(models.TextChoices):
    PROMOTER = "promoter", _("Promoter")
    PASSIVE = "passive", _("Passive")
    DETRACTOR = "detractor", _("Detractor")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PUBLIC_FORM = "public_form", _("Public feedback form")
    # The public page reached from a poster's QR code in a shop (Response.location says which).
    IN_STORE = "in_store", _("In store")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class SlaClock(models.TextChoices):
    ELAPSED = "elapsed", _("Elapsed hours (24/7)")
    BUSINESS_HOURS = "business_hours", _("Business hours (opening hours only)")
    BUSINESS_DAYS = "business_days", _("Business days")


class ContactRefusal(models.TextChoices):
    """Why a customer may not get a survey email now (surveys/consent.py), in the order checked."""

    ERASED = "erased", _("Personal data erased")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed from surveys")
    NO_EMAIL = "no_email", _("No email address")
    EMAIL_FAILED = "email_failed", _("Email address refused for good")
    RECENTLY_INVITED = "recently_invited", _("Invited recently")
