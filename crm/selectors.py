"""Reads over the CRM."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Max, Min, Sum

from crm.models import Customer


@dataclass
class CrmSummary:
    customer: Customer
    purchase_count: int
    total_spend: Decimal
    first_purchase_at: datetime | None
    last_purchase_at: datetime | None
    earlier_responses: list = field(default_factory=list)

    @property
    def customer_since(self):
        if self.customer.customer_since:
            return self.customer.customer_since
        return self.first_purchase_at.date() if self.first_purchase_at else None


def customer_crm_summary(*, customer: Customer, exclude_response_id: int | None = None) -> CrmSummary:
    """The CRM panel beside a case: tenure, purchases, spend, earlier answers. Two queries."""
    figures = customer.purchases.aggregate(
        purchase_count=Count("id"),
        total_spend=Sum("amount"),
        first_purchase_at=Min("purchased_at"),
        last_purchase_at=Max("purchased_at"),
    )
    earlier = customer.responses.select_related("survey").order_by("-submitted_at")
    if exclude_response_id is not None:
        earlier = earlier.exclude(id=exclude_response_id)
    return CrmSummary(
        customer=customer,
        purchase_count=figures["purchase_count"],
        total_spend=figures["total_spend"] or Decimal("0"),
        first_purchase_at=figures["first_purchase_at"],
        last_purchase_at=figures["last_purchase_at"],
        earlier_responses=list(earlier[:20]),
    )
