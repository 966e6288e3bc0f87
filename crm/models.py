import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.choices import AgeBand, Gender, Plan


class Customer(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    external_id = models.CharField(_("external id"), max_length=100, unique=True)
    email = models.EmailField(_("email"), blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: the customer's browser language is used."),
    )
    customer_since = models.DateField(_("customer since"), null=True, blank=True)
    newsletter_subscribed = models.BooleanField(_("newsletter subscribed"), default=False)
    age_band = models.CharField(_("age band"), max_length=8, choices=AgeBand.choices, blank=True)
    gender = models.CharField(_("gender"), max_length=12, choices=Gender.choices, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    plan = models.CharField(_("plan"), max_length=20, choices=Plan.choices, blank=True)
    account_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.full_name or self.email or self.external_id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Purchase(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="purchases")
    purchased_at = models.DateTimeField(_("purchased at"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    product_category = models.CharField(_("product category"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-purchased_at"]
        indexes = [models.Index(fields=["customer", "purchased_at"])]

    def __str__(self) -> str:
        return f"{self.customer} {self.amount} {self.currency} on {self.purchased_at:%Y-%m-%d}"
