from django.db import models
from django.utils.translation import gettext_lazy as _


class AtRiskPolicy(models.Model):
    """The rules that flag silent detractors. One row (the first) is used."""

    inactivity_factor = models.DecimalField(
        _("no purchase for longer than k × the usual interval (k)"), max_digits=4, decimal_places=1, default=2
    )
    min_purchases_for_interval = models.PositiveSmallIntegerField(
        _("purchases needed to know the usual interval"), default=3
    )
    cart_abandoned_days = models.PositiveSmallIntegerField(
        _("cart abandoned without purchase in the last (days)"), default=14
    )
    unsubscribed_days = models.PositiveSmallIntegerField(_("newsletter unsubscribe in the last (days)"), default=30)
    detractor_days = models.PositiveSmallIntegerField(_("detractor answer in the last (days)"), default=90)

    class Meta:
        # Created by the CRM: the table keeps its name and its rows.
        db_table = "crm_atriskpolicy"
        verbose_name = _("at-risk policy")
        verbose_name_plural = _("at-risk policy")

    def __str__(self) -> str:
        return str(_("At-risk rules"))


# What the at-risk list sorts by; each filter (a reason) has its own partial index in this order.
LIST_ORDER = ("-total_spend", "-reason_count", "sort_name", "customer")
LIST_ORDER_BY = ("-total_spend", "-reason_count", "sort_name", "customer_id")  # not the Customer's ordering


class CustomerRisk(models.Model):
    """One customer's at-risk flags as the rules last computed them, with what their reasons say.

    Written only by customerview.risk (risk_refresh): when a purchase, event or answer of the
    customer is written, when the policy changes, and for everyone each night (the rules that
    count days change with the clock). The list reads these rows and nothing else.
    """

    customer = models.OneToOneField(
        "crm.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, primary_key=True, related_name="risk"
    )
    # The flags, one per rule of customerview.atrisk, and how many are set.
    inactive = models.BooleanField(_("no purchase for longer than usual"), default=False)
    cart_abandoned = models.BooleanField(_("cart abandoned"), default=False)
    unsubscribed = models.BooleanField(_("unsubscribed from the newsletter"), default=False)
    detractor = models.BooleanField(_("recent detractor answer"), default=False)
    reason_count = models.PositiveSmallIntegerField(_("reasons"), default=0)
    at_risk = models.BooleanField(_("at risk"), default=False)
    # The signals the reasons are told from (and the list's columns and order).
    total_spend = models.DecimalField(_("total spend"), max_digits=14, decimal_places=2, default=0)
    sort_name = models.CharField(_("last name"), max_length=100, blank=True)
    erased = models.BooleanField(_("erased"), default=False)
    purchase_count = models.PositiveIntegerField(_("purchases"), default=0)
    first_purchase_at = models.DateTimeField(_("first purchase"), null=True, blank=True)
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True)
    last_cart_abandoned_at = models.DateTimeField(_("last cart abandoned"), null=True, blank=True)
    last_unsubscribed_at = models.DateTimeField(_("last newsletter unsubscribe"), null=True, blank=True)
    last_detractor_at = models.DateTimeField(_("last detractor answer"), null=True, blank=True)
    last_detractor_score = models.PositiveSmallIntegerField(_("last detractor score"), null=True, blank=True)
    # When a refresh last found the signals changed (a refresh that finds them unchanged does not
    # write the row). Not indexed: PostgreSQL can then update a row in place (a HOT update).
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("customer at-risk flags")
        verbose_name_plural = _("customers' at-risk flags")
        indexes = [
            models.Index(fields=list(LIST_ORDER), condition=models.Q(at_risk=True), name="risk_list"),
            models.Index(fields=list(LIST_ORDER), condition=models.Q(inactive=True), name="risk_inactive"),
            models.Index(fields=list(LIST_ORDER), condition=models.Q(cart_abandoned=True), name="risk_cart"),
            models.Index(fields=list(LIST_ORDER), condition=models.Q(unsubscribed=True), name="risk_unsubscribed"),
            models.Index(fields=list(LIST_ORDER), condition=models.Q(detractor=True), name="risk_detractor"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.reason_count}"


class RiskRefresh(models.Model):
    """One full refresh of every customer's flags (the nightly task, a policy change): when, and how many."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    customers = models.PositiveIntegerField(_("customers"))

    class Meta:
        verbose_name = _("full refresh of the at-risk flags")
        verbose_name_plural = _("full refreshes of the at-risk flags")

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}: {self.customers}"
