"""The stored at-risk flags (CustomerRisk), recomputed in the database a batch at a time.

`risk_refresh(customer_ids=...)` rewrites the rows of those customers in two statements per
batch of BATCH_SIZE, whatever their number: one INSERT … SELECT … ON CONFLICT gathers each
customer's signals (purchases, carts, newsletter unsubscribes, detractor answers) and one UPDATE
applies the policy's rules to them. No customer is looked at in Python. The rules are those of
customerview.atrisk, written as SQL expressions; a test holds the two to the same verdicts.

Flags are as of `computed_at`. The rules that count days ("no purchase for N days", "a cart in
the last 14 days") change with the clock alone: `risk_refresh_all` recomputes everyone each night
(the beat's "at-risk-refresh"), and after the policy changes. Writes that touch a customer (a
purchase, an event, an answer) refresh that customer once their transaction commits
(customerview.atrisk_hooks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from itertools import islice

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, NullIf, TruncDate
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from crm.choices import EventKind
from crm.models import Customer, CustomerEvent, Purchase
from customerview import atrisk
from customerview.atrisk_selectors import at_risk_policy
from customerview.models import AtRiskPolicy, CustomerRisk, RiskRefresh
from surveys.models import Response
from surveys.selectors import DETRACTOR_Q

BATCH_SIZE = 1000
DAY_SECONDS = 86400.0
EPOCH_DAY = dt.date(1970, 1, 1)


class Epoch(Func):
    """Seconds since 1970 of a datetime (or of a date's midnight), as a float."""

    output_field = FloatField()
    template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS double precision)"

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite stores datetimes as ISO text in UTC; 2440587.5 is the Julian day of 1970-01-01.
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)", **extra_context
        )


class _ToMilliseconds(Func):
    """Rounded to the millisecond: SQLite's Julian days carry noise in the tenth of a millisecond,
    enough to tip "exactly twice the usual interval" one way or the other."""

    output_field = FloatField()
    template = "(ROUND(%(expressions)s * 1000.0) / 1000.0)"


def _per_customer(queryset: QuerySet, aggregate) -> Subquery:
    """One aggregate over the customer's rows of `queryset`, as a correlated subquery."""
    grouped = queryset.filter(customer=OuterRef("pk")).order_by().values("customer")
    return Subquery(grouped.annotate(value=aggregate).values("value")[:1])


def _latest(queryset: QuerySet, order_field: str, value_field: str) -> Subquery:
    return Subquery(queryset.filter(customer=OuterRef("pk")).order_by(f"-{order_field}").values(value_field)[:1])


# Stored column ← the signal that fills it, in the SELECT below.
SIGNALS = {
    "total_spend": "signal_total_spend",
    "sort_name": "last_name",
    "erased": "signal_erased",
    "purchase_count": "signal_purchase_count",
    "first_purchase_at": "signal_first_purchase_at",
    "last_purchase_at": "signal_last_purchase_at",
    "last_cart_abandoned_at": "signal_last_cart_abandoned_at",
    "last_unsubscribed_at": "signal_last_unsubscribed_at",
    "last_detractor_at": "signal_last_detractor_at",
    "last_detractor_score": "signal_last_detractor_score",
}
FLAGS = ("inactive", "cart_abandoned", "unsubscribed", "detractor", "reason_count", "at_risk")


def _signals(customers: QuerySet[Customer]) -> QuerySet:
    """Each customer's signals, as values: one query (correlated subqueries on indexed columns)."""
    purchases = Purchase.objects.all()
    carts = CustomerEvent.objects.filter(kind=EventKind.CART_ABANDONED)
    unsubscribes = CustomerEvent.objects.filter(kind=EventKind.NEWSLETTER_UNSUBSCRIBED)
    detractors = Response.objects.filter(DETRACTOR_Q)
    return (
        customers.order_by()
        .annotate(
            signal_total_spend=Coalesce(_per_customer(purchases, Sum("amount")), Value(Decimal("0"))),
            signal_erased=Case(When(erased_at__isnull=False, then=Value(True)), default=Value(False)),
            signal_purchase_count=Coalesce(_per_customer(purchases, Count("id")), 0),
            signal_first_purchase_at=_per_customer(purchases, Min("purchased_at")),
            signal_last_purchase_at=_per_customer(purchases, Max("purchased_at")),
            signal_last_cart_abandoned_at=_per_customer(carts, Max("occurred_at")),
            signal_last_unsubscribed_at=_per_customer(unsubscribes, Max("occurred_at")),
            signal_last_detractor_at=_latest(detractors, "submitted_at", "submitted_at"),
            signal_last_detractor_score=_latest(detractors, "submitted_at", "score"),
        )
        .values("id", *SIGNALS.values())
    )


def _store_signals(customers: QuerySet[Customer], now: dt.datetime) -> None:
    """INSERT … SELECT … ON CONFLICT DO UPDATE: the customers' signals into their rows, flags untouched."""
    quote = connection.ops.quote_name
    select_sql, select_params = _signals(customers).query.sql_with_params()
    table = quote(CustomerRisk._meta.db_table)
    columns = [CustomerRisk._meta.get_field(name).column for name in SIGNALS]
    flags = [CustomerRisk._meta.get_field(name).column for name in FLAGS]
    computed = CustomerRisk._meta.get_field("computed_at").column
    inserted = ", ".join(quote(c) for c in ["customer_id", *columns, computed, *flags])
    # New rows start unflagged; the UPDATE that follows sets them.
    unflagged = ["0" if name == "reason_count" else "false" for name in FLAGS]
    selected = ", ".join(["sub.id", *(f"sub.{quote(s)}" for s in SIGNALS.values()), "%s", *unflagged])
    updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in [*columns, computed])
    # A row whose signals did not change is not written: a night's full refresh rewrites the few
    # customers whose figures moved, not all of them (and leaves no dead rows behind).
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    changed = " OR ".join(f"{table}.{quote(c)} {distinct} EXCLUDED.{quote(c)}" for c in columns)
    # "WHERE true": SQLite would read ON CONFLICT as a join's ON without it.
    sql = (
        f"INSERT INTO {table} ({inserted}) SELECT {selected} FROM ({select_sql}) sub WHERE true "
        f"ON CONFLICT (customer_id) DO UPDATE SET {updates} WHERE {changed}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), *select_params])


def _window_start(today: dt.date, days: int) -> dt.datetime:
    """The first moment that is at most `days` calendar days before `today`, local time."""
    return timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time.min))


def _inactive_when(policy: AtRiskPolicy, today: dt.date):
    """atrisk.inactive_reason in SQL: days since the last purchase (local calendar days) beyond
    k × the usual interval (the mean gap between purchases, at least MIN_INTERVAL_DAYS)."""
    factor = float(policy.inactivity_factor or 0)
    if factor <= 0:
        return None
    needed = max(2, policy.min_purchases_for_interval)
    tz = timezone.get_current_timezone()
    last_day = Epoch(TruncDate("last_purchase_at", tzinfo=tz)) / Value(DAY_SECONDS)
    idle = Value(float((today - EPOCH_DAY).days), output_field=FloatField()) - last_day
    span_days = _ToMilliseconds(Epoch(F("last_purchase_at")) - Epoch(F("first_purchase_at"))) / Value(DAY_SECONDS)
    gaps = NullIf(F("purchase_count") - Value(1), Value(0), output_field=IntegerField())
    usual = Greatest(span_days / gaps, Value(atrisk.MIN_INTERVAL_DAYS), output_field=FloatField())
    overdue = GreaterThan(idle, Value(factor, output_field=FloatField()) * usual)
    return Q(purchase_count__gte=needed, last_purchase_at__isnull=False, first_purchase_at__isnull=False) & Q(overdue)


def rule_conditions(policy: AtRiskPolicy, today: dt.date) -> dict[str, Q]:
    """Each rule of customerview.atrisk as a condition on CustomerRisk's stored signals (a rule switched
    off by its policy is left out)."""
    conditions: dict[str, Q] = {}
    inactive = _inactive_when(policy, today)
    if inactive is not None:
        conditions[atrisk.INACTIVE] = inactive
    if policy.cart_abandoned_days:
        since = _window_start(today, policy.cart_abandoned_days)
        conditions[atrisk.CART_ABANDONED] = Q(last_cart_abandoned_at__gte=since) & (
            Q(last_purchase_at__isnull=True) | Q(last_purchase_at__lt=F("last_cart_abandoned_at"))
        )
    if policy.unsubscribed_days:
        conditions[atrisk.UNSUBSCRIBED] = Q(last_unsubscribed_at__gte=_window_start(today, policy.unsubscribed_days))
    if policy.detractor_days:
        since = _window_start(today, policy.detractor_days)
        conditions[atrisk.DETRACTOR] = Q(last_detractor_at__gte=since, last_detractor_score__isnull=False)
    return conditions


def _flag(condition: Q | None) -> Case | Value:
    if condition is None:
        return Value(False)
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def _apply_rules(rows: QuerySet[CustomerRisk], policy: AtRiskPolicy, today: dt.date) -> int:
    """One UPDATE: the policy's verdicts on the rows' stored signals, where they change. An erased
    customer is never flagged. Returns how many rows changed."""
    conditions = {code: Q(erased=False) & q for code, q in rule_conditions(policy, today).items()}
    count = sum(
        (Case(When(q, then=Value(1)), default=Value(0), output_field=IntegerField()) for q in conditions.values()),
        Value(0),
    )
    anything = None
    for q in conditions.values():
        anything = q if anything is None else anything | q
    flags = {
        "inactive": _flag(conditions.get(atrisk.INACTIVE)),
        "cart_abandoned": _flag(conditions.get(atrisk.CART_ABANDONED)),
        "unsubscribed": _flag(conditions.get(atrisk.UNSUBSCRIBED)),
        "detractor": _flag(conditions.get(atrisk.DETRACTOR)),
    }
    # Only the rows whose verdicts change (the count and the summary follow from the four flags).
    return rows.exclude(**flags).update(**flags, reason_count=count, at_risk=_flag(anything))


def _batches(ids: Iterable[int]) -> Iterable[list[int]]:
    iterator = iter(sorted(set(ids)))
    while batch := list(islice(iterator, BATCH_SIZE)):
        yield batch


@transaction.atomic
def risk_refresh(
    *, customer_ids: Iterable[int], policy: AtRiskPolicy | None = None, now: dt.datetime | None = None
) -> int:
    """Recompute the stored flags of these customers: two statements per BATCH_SIZE customers.

    Returns how many ids were looked at (a deleted customer's is skipped; an unchanged row is not rewritten).
    """
    policy = policy or at_risk_policy()
    now = now or timezone.now()
    today = timezone.localdate(now)
    refreshed = 0
    for batch in _batches(customer_ids):
        _store_signals(Customer.objects.filter(pk__in=batch), now)
        rows = CustomerRisk.objects.filter(customer_id__in=batch)
        _apply_rules(rows, policy, today)
        refreshed += len(batch)
    return refreshed


@transaction.atomic
def risk_refresh_all(*, policy: AtRiskPolicy | None = None, now: dt.datetime | None = None) -> int:
    """Recompute every customer's flags (the nightly beat task, and after a policy change): two statements."""
    policy = policy or at_risk_policy()
    now = now or timezone.now()
    _store_signals(Customer.objects.all(), now)
    _apply_rules(CustomerRisk.objects.all(), policy, timezone.localdate(now))
    refreshed = CustomerRisk.objects.count()
    RiskRefresh.objects.create(started_at=now, finished_at=timezone.now(), customers=refreshed)
    return refreshed
