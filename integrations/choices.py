from django.db import models
from django.utils.translation import gettext_lazy as _


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class WebhookEvent(models.TextChoices):
    RESPONSE_CREATED = "response.created", _("Response created")
    RESPONSE_CORRECTED = "response.corrected", _("Response corrected by the respondent")
    CASE_OPENED = "case.opened", _("Case opened")
    CASE_BREACHED = "case.breached", _("Case past its first-contact deadline")
    CASE_RESOLVED = "case.resolved", _("Case resolved")
    CASE_CUSTOMER_REPLIED = "case.customer_replied", _("Customer replied on a case")


class SubscriptionKind(models.TextChoices):
    """How a receiver is sent an event: signed JSON (Standard Webhooks), or a chat platform's own message."""

    STANDARD = "standard", _("Standard Webhooks")
    CHAT = "chat", _("Chat message")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")
