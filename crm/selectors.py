"""Reads over the CRM: the customer panel and page, the customer list. No N+1.

The at-risk list and its reasons are the customer view's (customerview.atrisk_selectors)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
)
from django.http import Http404
from django.utils import timezone

from crm.choices import AttributeType, EventKind
from crm.models import CustomAttribute, Customer
from followups.selectors import responses_visible_to, tickets_visible_to

LATEST_ROWS = 20
CENTS = Decimal("0.01")


@dataclass
class EventSummary:
    kind: str
    label: str
    count: int
    last_at: dt.datetime


@dataclass
class CrmSummary:
    customer: Customer
    purchase_count: int
    total_spend: Decimal
    first_purchase_at: dt.datetime | None
    last_purchase_at: dt.datetime | None
    earlier_responses: list = field(default_factory=list)
    # The spend in each currency bought in, by currency code: adding euros to dollars means nothing.
    spend_by_currency: dict[str, Decimal] = field(default_factory=dict)
    # Categories bought, most bought first.
    product_categories: list[str] = field(default_factory=list)
    # One row per kind of event, in the order of EventKind.
    events: list[EventSummary] = field(default_factory=list)
    earlier_cases: list = field(default_factory=list)
    today: dt.date | None = None

    @property
    def customer_since(self):
        if self.customer.customer_since:
            return self.customer.customer_since
        return self.first_purchase_at.date() if self.first_purchase_at else None

    @property
    def spend_currency(self) -> str:
        """The one currency of every purchase; "" when none, or when they are in several (mixed)."""
        return next(iter(self.spend_by_currency)) if len(self.spend_by_currency) == 1 else ""

    @property
    def spend_is_mixed(self) -> bool:
        return len(self.spend_by_currency) > 1

    @property
    def purchase_interval_days(self) -> float | None:
        """Purchase frequency: the mean number of days between two purchases (None under two)."""
        if self.purchase_count < 2 or self.first_purchase_at is None or self.last_purchase_at is None:
            return None
        span = (self.last_purchase_at - self.first_purchase_at).total_seconds() / 86400
        return span / (self.purchase_count - 1)

    @property
    def days_since_last_purchase(self) -> int | None:
        if self.last_purchase_at is None:
            return None
        today = self.today or timezone.localdate()
        return (today - timezone.localtime(self.last_purchase_at).date()).days

    @property
    def newsletter_subscribed(self) -> bool:
        return self.customer.newsletter_subscribed

    @property
    def last_unsubscribed_at(self) -> dt.datetime | None:
        return self._event_last(EventKind.NEWSLETTER_UNSUBSCRIBED)

    def _event_last(self, kind: str) -> dt.datetime | None:
        return next((event.last_at for event in self.events if event.kind == kind), None)


def customer_crm_summary(
    *,
    customer: Customer,
    viewer,
    exclude_response_id: int | None = None,
    exclude_ticket_id: int | None = None,
    today: dt.date | None = None,
    with_earlier_responses: bool = True,
) -> CrmSummary:
    """The CRM panel beside a case and on the customer page. Four queries (three without the
    earlier answers, which the customer page shows in its timeline instead).

    Tenure, purchases (count, spend, frequency, last, categories), newsletter and web
    activity, and the earlier answers and cases `viewer` may see (another team's stay out).
    """
    by_category = list(
        customer.purchases.order_by()
        .values("product_category", "currency")
        .annotate(n=Count("id"), spend=Sum("amount"), first=Min("purchased_at"), last=Max("purchased_at"))
    )
    per_category: dict[str, int] = {}
    spend_by_currency: dict[str, Decimal] = {}
    for row in by_category:
        if row["product_category"]:
            per_category[row["product_category"]] = per_category.get(row["product_category"], 0) + row["n"]
        # SQLite sums decimals as floats: back to cents.
        spend = Decimal(str(row["spend"])).quantize(CENTS)
        spend_by_currency[row["currency"]] = spend_by_currency.get(row["currency"], Decimal("0")) + spend
    categories = sorted(per_category, key=lambda category: (-per_category[category], category))
    events = customer.events.order_by().values("kind").annotate(n=Count("id"), last=Max("occurred_at"))
    by_kind = {row["kind"]: row for row in events}
    earlier = responses_visible_to(viewer).filter(customer=customer).select_related("survey").order_by("-submitted_at")
    if exclude_response_id is not None:
        earlier = earlier.exclude(id=exclude_response_id)
    cases = (
        tickets_visible_to(viewer)
        .filter(customer=customer)
        .select_related("survey", "response")
        .order_by("-opened_at", "-id")
    )
    if exclude_ticket_id is not None:
        cases = cases.exclude(id=exclude_ticket_id)
    return CrmSummary(
        customer=customer,
        purchase_count=sum(row["n"] for row in by_category),
        total_spend=sum(spend_by_currency.values(), Decimal("0")),
        spend_by_currency=dict(sorted(spend_by_currency.items())),
        first_purchase_at=min((row["first"] for row in by_category), default=None),
        last_purchase_at=max((row["last"] for row in by_category), default=None),
        earlier_responses=list(earlier[:LATEST_ROWS]) if with_earlier_responses else [],
        product_categories=categories,
        events=[
            EventSummary(kind=kind, label=str(label), count=by_kind[kind]["n"], last_at=by_kind[kind]["last"])
            for kind, label in EventKind.choices
            if kind in by_kind
        ],
        earlier_cases=list(cases[:LATEST_ROWS]),
        today=today,
    )


# The customer list and page ------------------------------------------------------------


def customer_search(*, query: str = "") -> QuerySet[Customer]:
    """Customers whose name, email or external id contain every word of `query`."""
    customers = Customer.objects.select_related("account_owner").order_by("last_name", "first_name", "id")
    for word in query.split():
        customers = customers.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(external_id__icontains=word)
        )
    return customers


def customer_by_public_id(*, public_id) -> Customer:
    customer = Customer.objects.select_related("account_owner").filter(public_id=public_id).first()
    if customer is None:
        raise Http404
    return customer


@dataclass
class AttributeValue:
    key: str
    label: str
    type: str
    value: object  # a date for a valid date attribute, else the stored value; None when unset


def _typed(attribute_type: str, value):
    if attribute_type == AttributeType.DATE and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def customer_custom_attributes(*, customer: Customer) -> list[AttributeValue]:
    """The declared attributes with their labels (unset ones too), then any undeclared keys. One query."""
    values = customer.custom_attributes or {}
    declared = list(CustomAttribute.objects.order_by("label", "key"))
    rows = [
        AttributeValue(key=a.key, label=a.label, type=a.type, value=_typed(a.type, values.get(a.key))) for a in declared
    ]
    known = {a.key for a in declared}
    rows += [
        AttributeValue(key=key, label=key, type=AttributeType.TEXT, value=value)
        for key, value in sorted(values.items())
        if key not in known
    ]
    return rows
