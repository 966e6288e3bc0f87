from django.db import models
from django.utils.translation import gettext_lazy as _


class TriggerKind(models.TextChoices):
    PURCHASE = "purchase", _("After a purchase")
    CASE_RESOLVED = "case_resolved", _("After a detractor case is resolved (recovery re-survey)")
    EVENT = "event", _("After a customer event")


class FireStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for the sending window")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")


class SkipReason(models.TextChoices):
    """Why a due fire sent nothing: the consent gate's reasons, and the rule's own."""

    ERASED = "erased", _("Personal data erased")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed from surveys")
    NO_EMAIL = "no_email", _("No email address")
    EMAIL_FAILED = "email_failed", _("Email address refused for good")
    RECENTLY_INVITED = "recently_invited", _("Invited recently")
    ALREADY_RESURVEYED = "already_resurveyed", _("The case was reopened or already re-surveyed")
