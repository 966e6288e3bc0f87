from django.db import models
from django.utils.translation import gettext_lazy as _


class AgeBand(models.TextChoices):
    UNDER_25 = "18-24", "18–24"
    FROM_25 = "25-34", "25–34"
    FROM_35 = "35-49", "35–49"
    FROM_50 = "50-64", "50–64"
    OVER_65 = "65+", "65+"


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNDISCLOSED = "undisclosed", _("Prefers not to say")


class Plan(models.TextChoices):
    BASIC = "basic", _("Basic")
    STANDARD = "standard", _("Standard")
    PREMIUM = "premium", _("Premium")


class Area(models.TextChoices):
    URBAN = "urban", _("Urban")
    RURAL = "rural", _("Rural")


class EventKind(models.TextChoices):
    SITE_VISIT = "site_visit", _("Site visit")
    CART_ABANDONED = "cart_abandoned", _("Cart abandoned")
    NEWSLETTER_UNSUBSCRIBED = "newsletter_unsubscribed", _("Newsletter unsubscribed")
    SUPPORT_CONTACT = "support_contact", _("Support contact")


class AttributeType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
