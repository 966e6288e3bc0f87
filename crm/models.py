import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.choices import AgeBand, Area, AttributeType, EventKind, Gender, Plan


class Customer(models.Model):
    public_id = models.UUIDField(verbose_name=_("public id"), default=uuid.uuid4, unique=True, editable=False)
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
    # Survey emails: set when the customer unsubscribes; every later campaign skips them.
    surveys_opted_out_at = models.DateTimeField(_("unsubscribed from surveys at"), null=True, blank=True)
    # A mail server refused this address for good (a hard bounce): no survey or close-the-loop
    # email goes to it again. Kept with the address that failed, so a new address lifts it.
    email_failed_at = models.DateTimeField(_("email address failed at"), null=True, blank=True)
    email_failed_address = models.EmailField(_("address that failed"), blank=True)
    email_failure_reason = models.CharField(_("why the address failed"), max_length=300, blank=True)
    # Kept in step with the purchases by the CRM services, so lists can sort by customer value
    # (indexed with the tenure: Meta's customer_by_value).
    total_spend = models.DecimalField(_("total spend"), max_digits=14, decimal_places=2, default=0)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    age_band = models.CharField(_("age band"), max_length=8, choices=AgeBand.choices, blank=True)
    gender = models.CharField(_("gender"), max_length=12, choices=Gender.choices, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    area = models.CharField(_("urban or rural"), max_length=10, choices=Area.choices, blank=True)
    plan = models.CharField(_("plan"), max_length=20, choices=Plan.choices, blank=True)
    account_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    custom_attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)
    # Set when the customer's identity was erased (GDPR): the row stays for the aggregates.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["last_name", "first_name"]
        indexes = [
            # The customer list's order (selectors.customer_search): a page is read off the index.
            models.Index(fields=["last_name", "first_name", "id"], name="customer_by_name"),
            # The inbox's value sort (followups.selectors.ValueSortedTickets) walks the customers
            # by spend, then tenure, and reads their cases until a page is full.
            models.Index(fields=["-total_spend", "customer_since"], name="customer_by_value"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.external_id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Purchase(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="purchases"
    )
    purchased_at = models.DateTimeField(_("purchased at"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    product_category = models.CharField(_("product category"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-purchased_at"]
        indexes = [
            models.Index(fields=["customer", "purchased_at"]),
            # Trigger rules scan the purchases of a day range, every customer's.
            models.Index(fields=["purchased_at"], name="purchase_time"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.amount} {self.currency} on {self.purchased_at:%Y-%m-%d}"


class CustomerEvent(models.Model):
    """Behaviour from other systems: visits, abandoned carts, unsubscribes, support contacts."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=30, choices=EventKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("customer event")
        verbose_name_plural = _("customer events")
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["customer", "kind", "occurred_at"]),
            # Trigger rules scan one kind's events of a day range.
            models.Index(fields=["kind", "occurred_at"], name="customer_event_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.kind} {self.occurred_at:%Y-%m-%d}"


class CustomAttribute(models.Model):
    """A customer attribute an admin declares (stored in Customer.custom_attributes), usable as a segment."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=10, choices=AttributeType.choices, default=AttributeType.TEXT)
    choices = models.TextField(_("choices"), blank=True, help_text=_("For a choice attribute: one value per line."))

    class Meta:
        verbose_name = _("custom attribute")
        verbose_name_plural = _("custom attributes")
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class ErasedExternalId(models.Model):
    """What an erasure keeps of an erased customer's external id, so that an import can refuse it.

    A keyed digest (crm.services.customers.external_id_digest), never the id itself.
    """

    digest = models.CharField(_("digest"), max_length=64, unique=True)
    erased_at = models.DateTimeField(_("erased at"), default=timezone.now)

    class Meta:
        verbose_name = _("erased external id")
        verbose_name_plural = _("erased external ids")

    def __str__(self) -> str:
        return f"{self.digest[:12]}… {self.erased_at:%Y-%m-%d}"
