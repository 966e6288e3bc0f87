"""Reads over the CRM: the customer list, a customer's own attributes. No N+1.

The figures beside a case and on the customer page read cases and answers (customerview.selectors);
the at-risk list and its reasons are the customer view's too (customerview.atrisk_selectors).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Concat
from django.http import Http404

from crm.choices import AttributeType
from crm.models import CustomAttribute, Customer

CENTS = Decimal("0.01")


# The customer list and page ------------------------------------------------------------


CUSTOMER_LIST_ORDER = ("last_name", "first_name", "id")


def customer_search(*, query: str = "") -> QuerySet[Customer]:
    """Customers whose name, email or external id contain every word of `query`, by name.

    Unsearched, a page is read off the index customer_by_name. Searched, each word is found
    through trigram indexes (followups migration 0010, crm migration 0007) and the few matches
    sorted: the order is by an expression equal to the last name, which that index cannot give,
    because with it PostgreSQL would walk every customer in name order hoping to meet a rare
    match soon enough for the page (a search for one email read all 20,000 customers).
    """
    customers = Customer.objects.select_related("account_owner")
    words = query.split()
    if not words:
        return customers.order_by(*CUSTOMER_LIST_ORDER)
    for word in words:
        customers = customers.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(external_id__icontains=word)
        )
    return customers.order_by(Concat("last_name", Value(""), output_field=TextField()), "first_name", "id")


class CustomersByName:
    """Every customer by name (the customer list unsearched), sliced by npsapp.pagination.LookaheadPaginator.

    A slice is one query that finds its ids on the index customer_by_name alone (an index-only
    scan skips the rows of the earlier pages without reading them from the table) and then reads
    only the page's rows, with their account owner.
    """

    def __getitem__(self, index: slice) -> list[Customer]:
        ids = Customer.objects.order_by(*CUSTOMER_LIST_ORDER).values("id")[index]
        return list(Customer.objects.select_related("account_owner").filter(id__in=ids).order_by(*CUSTOMER_LIST_ORDER))

    def count(self) -> int:
        return Customer.objects.count()


# Above this many customers (PostgreSQL's estimate), the customer list does not count them.
COUNT_ESTIMATE_ABOVE = 10_000


@dataclass(frozen=True)
class CustomerCount:
    value: int
    exact: bool


def customer_count() -> CustomerCount:
    """How many customers there are, in one query that does not grow with them.

    On PostgreSQL, past COUNT_ESTIMATE_ABOVE rows, the planner's own estimate (pg_class.reltuples,
    kept by autovacuum and ANALYZE) rounded to three figures and marked as not exact; below it, or
    before the table was ever analysed (-1), or on SQLite, the exact count.
    """
    if connection.vendor != "postgresql":
        return CustomerCount(Customer.objects.count(), exact=True)
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT CASE WHEN reltuples >= %s THEN reltuples::bigint ELSE (SELECT count(*) FROM {table}) END, "
            "reltuples >= %s FROM pg_class WHERE oid = %s::regclass",
            [COUNT_ESTIMATE_ABOVE, COUNT_ESTIMATE_ABOVE, Customer._meta.db_table],
        )
        value, estimated = cursor.fetchone()
    if not estimated:
        return CustomerCount(int(value), exact=True)
    return CustomerCount(int(float(f"{value:.3g}")), exact=False)


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
