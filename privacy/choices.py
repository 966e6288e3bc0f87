from django.db import models
from django.utils.translation import gettext_lazy as _


class PrivacyAction(models.TextChoices):
    EXPORT = "export", _("Personal data exported")
    ERASE = "erase", _("Customer erased")
    RETENTION = "retention", _("Old responses anonymised")
    IMPORT = "import", _("Customers imported")
