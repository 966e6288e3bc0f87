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


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")
