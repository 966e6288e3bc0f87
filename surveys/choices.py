from django.db import models
from django.utils.translation import gettext_lazy as _


class Segment(models.TextChoices):
    PROMOTER = "promoter", _("Promoter")
    PASSIVE = "passive", _("Passive")
    DETRACTOR = "detractor", _("Detractor")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PUBLIC_FORM = "public_form", _("Public feedback form")
