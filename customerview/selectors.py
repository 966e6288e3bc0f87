"""Reads for the customer view: a customer's figures beside a case and on their page. No N+1.

They read across the apps (purchases and events from crm, answers from surveys, cases from
followups), each as the viewer may see it: another team's answers and cases stay out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from crm.choices import EventKind
from crm.models import Customer
from customerview import atrisk
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
        return self._signals.mean_interval_days

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

    @property
    def _signals(self) -> atrisk.Signals:
        return atrisk.Signals(
            purchase_count=self.purchase_count,
            first_purchase_at=self.first_purchase_at,
            last_purchase_at=self.last_purchase_at,
        )


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
