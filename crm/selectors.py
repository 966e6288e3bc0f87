"""Reads over the CRM: the customer list, a customer's own attributes, the at-risk list. No N+1.

The figures beside a case and on the customer page read cases and answers: customerview.selectors.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    ExpressionWrapper,
    FloatField,
    Func,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce, Concat
from django.http import Http404
from django.utils import timezone

from crm import atrisk
from crm.choices import AttributeType, EventKind
from crm.models import AtRiskPolicy, CustomAttribute, Customer, CustomerEvent, Purchase
from followups.choices import OPEN_STATUSES, TicketKind
from followups.models import Ticket
from followups.selectors import responses_visible_to, tickets_visible_to
from surveys import consent
from surveys.choices import ContactRefusal
from surveys.models import Invitation, Response
from surveys.selectors import DETRACTOR_Q

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


# At risk ------------------------------------------------------------------------------


def at_risk_policy() -> AtRiskPolicy:
    """The rules in force: the first row, or the defaults when an admin saved none. One query."""
    return AtRiskPolicy.objects.order_by("id").first() or AtRiskPolicy()


@dataclass
class AtRiskRow:
    customer: Customer
    reasons: list[atrisk.Reason]
    total_spend: Decimal
    last_purchase_at: dt.datetime | None
    last_invited_at: dt.datetime | None
    open_outreach: Ticket | None = None
    # Why the consent gate would refuse a survey invitation now ("" when it would not), with the
    # default contact-fatigue window; a survey with its own window is checked when inviting.
    contact_refusal: str = ""
    contact_refusal_label: str = ""

    @property
    def reason_codes(self) -> set[str]:
        return {reason.code for reason in self.reasons}


def _per_customer(queryset: QuerySet, aggregate) -> Subquery:
    """One aggregate over the customer's rows of `queryset`, as a correlated subquery."""
    grouped = queryset.filter(customer=OuterRef("pk")).order_by().values("customer")
    return Subquery(grouped.annotate(value=aggregate).values("value")[:1])


def _latest(queryset: QuerySet, order_field: str, value_field: str) -> Subquery:
    return Subquery(queryset.filter(customer=OuterRef("pk")).order_by(f"-{order_field}").values(value_field)[:1])


def with_signals(customers: QuerySet[Customer], *, answers: QuerySet[Response] | None = None) -> QuerySet[Customer]:
    """Each customer annotated with what the at-risk rules read: one query for any number.

    `answers`: the answers the detractor rule may read (a viewer's visible ones); default all.
    """
    purchases = Purchase.objects.all()
    carts = CustomerEvent.objects.filter(kind=EventKind.CART_ABANDONED)
    unsubscribes = CustomerEvent.objects.filter(kind=EventKind.NEWSLETTER_UNSUBSCRIBED)
    detractor_answers = (Response.objects.all() if answers is None else answers).filter(DETRACTOR_Q)
    return customers.annotate(
        signal_purchase_count=Coalesce(_per_customer(purchases, Count("id")), 0),
        signal_first_purchase_at=_per_customer(purchases, Min("purchased_at")),
        signal_last_purchase_at=_per_customer(purchases, Max("purchased_at")),
        signal_total_spend=_per_customer(purchases, Sum("amount")),
        signal_last_cart_abandoned_at=_per_customer(carts, Max("occurred_at")),
        signal_last_unsubscribed_at=_per_customer(unsubscribes, Max("occurred_at")),
        signal_last_detractor_at=_latest(detractor_answers, "submitted_at", "submitted_at"),
        signal_last_detractor_score=_latest(detractor_answers, "submitted_at", "score"),
        signal_last_invited_at=_per_customer(Invitation.objects.all(), Max("created_at")),
    )


def signals_of(customer: Customer, tz=None) -> atrisk.Signals:
    """The Signals of a customer annotated by `with_signals`, in local time."""
    tz = tz or timezone.get_current_timezone()

    def local(moment):
        return moment.astimezone(tz) if moment is not None else None

    return atrisk.Signals(
        purchase_count=customer.signal_purchase_count,
        first_purchase_at=local(customer.signal_first_purchase_at),
        last_purchase_at=local(customer.signal_last_purchase_at),
        last_cart_abandoned_at=local(customer.signal_last_cart_abandoned_at),
        last_unsubscribed_at=local(customer.signal_last_unsubscribed_at),
        last_detractor_at=local(customer.signal_last_detractor_at),
        last_detractor_score=customer.signal_last_detractor_score,
    )


def customer_at_risk_reasons(*, customer: Customer, policy: AtRiskPolicy, viewer, today: dt.date | None = None) -> list:
    """Why one customer is at risk (empty when not), from what `viewer` may see. One query."""
    if customer.erased_at is not None:
        return []
    annotated = with_signals(Customer.objects.filter(pk=customer.pk), answers=responses_visible_to(viewer)).first()
    if annotated is None:
        return []
    return atrisk.at_risk_reasons(signals=signals_of(annotated), policy=policy, today=today or timezone.localdate())


class _Epoch(Func):
    """Seconds since 1970 of a datetime, as a float: gaps between datetimes become plain numbers."""

    output_field = FloatField()
    template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS double precision)"

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite stores datetimes as ISO text in UTC; 2440587.5 is the Julian day of 1970-01-01.
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)", **extra_context
        )


# The database keeps a little more than the rules flag (a slack of two days against the
# difference between "days ago" on the calendar and elapsed seconds), and the rules decide.
SLACK_SECONDS = 2 * 86400


def _inactive_candidates(*, policy: AtRiskPolicy, now: dt.datetime) -> QuerySet:
    """Customers who may be past k × their usual purchase interval, found by one grouped scan."""
    factor = float(policy.inactivity_factor)
    last, first = _Epoch(Max("purchased_at")), _Epoch(Min("purchased_at"))
    idle = Value(now.timestamp() + SLACK_SECONDS, output_field=FloatField()) - last
    return (
        Purchase.objects.order_by()
        .values("customer_id")
        .annotate(
            n=Count("id"),
            idle=ExpressionWrapper(idle, output_field=FloatField()),
            overdue_by=ExpressionWrapper(
                idle * (Count("id") - 1) - Value(factor) * (last - first), output_field=FloatField()
            ),
        )
        .filter(
            n__gte=max(2, policy.min_purchases_for_interval),
            idle__gt=factor * atrisk.MIN_INTERVAL_DAYS * 86400,
            overdue_by__gt=0,
        )
        .values("customer_id")
    )


def _window_start(today: dt.date, days: int) -> dt.datetime:
    """The first moment that is at most `days` calendar days before `today`, local time."""
    return timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time.min))


def _candidates_q(*, policy: AtRiskPolicy, today: dt.date, now: dt.datetime, answers: QuerySet[Response]) -> Q | None:
    parts = []
    if policy.cart_abandoned_days:
        since = _window_start(today, policy.cart_abandoned_days)
        carts = CustomerEvent.objects.filter(kind=EventKind.CART_ABANDONED, occurred_at__gte=since)
        parts.append(Q(id__in=carts.values("customer_id")))
    if policy.unsubscribed_days:
        since = _window_start(today, policy.unsubscribed_days)
        unsubscribes = CustomerEvent.objects.filter(kind=EventKind.NEWSLETTER_UNSUBSCRIBED, occurred_at__gte=since)
        parts.append(Q(id__in=unsubscribes.values("customer_id")))
    if policy.detractor_days:
        since = _window_start(today, policy.detractor_days)
        detractors = answers.filter(DETRACTOR_Q, submitted_at__gte=since, customer__isnull=False)
        parts.append(Q(id__in=detractors.values("customer_id")))
    if policy.inactivity_factor and policy.inactivity_factor > 0:
        parts.append(Q(id__in=_inactive_candidates(policy=policy, now=now)))
    if not parts:
        return None
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return q


def at_risk_customers(
    *,
    policy: AtRiskPolicy,
    viewer,
    reason: str = "",
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> list[AtRiskRow]:
    """Customers the rules flag, with their reasons; most valuable first. One query.

    Erased customers are left out: there is nobody left to contact. `reason` keeps only
    customers flagged for that reason. The detractor rule reads only the answers `viewer`
    may see, so the list never shows another team's customer's score.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    answers = responses_visible_to(viewer)
    q = _candidates_q(policy=policy, today=today, now=now, answers=answers)
    if q is None:
        return []
    # Only what a row shows: the list may read thousands of candidates.
    shown = ("id", "public_id", "external_id", "first_name", "last_name", "email", "erased_at")
    candidates = with_signals(Customer.objects.filter(q, erased_at__isnull=True).only(*shown), answers=answers)
    tz = timezone.get_current_timezone()
    rows = []
    for customer in candidates:
        reasons = atrisk.at_risk_reasons(signals=signals_of(customer, tz), policy=policy, today=today)
        if not reasons or (reason and reason not in {r.code for r in reasons}):
            continue
        rows.append(
            AtRiskRow(
                customer=customer,
                reasons=reasons,
                # SQLite sums decimals as floats: back to cents.
                total_spend=(customer.signal_total_spend or Decimal("0")).quantize(CENTS),
                last_purchase_at=customer.signal_last_purchase_at,
                last_invited_at=customer.signal_last_invited_at,
            )
        )
    rows.sort(key=lambda row: (-row.total_spend, -len(row.reasons), row.customer.last_name, row.customer.id))
    return rows


def attach_open_outreach(rows: list[AtRiskRow], *, viewer) -> None:
    """Set each row's open outreach case `viewer` may see, if any: one query for the rows of a page."""
    if not rows:
        return
    open_cases = (
        tickets_visible_to(viewer)
        .filter(kind=TicketKind.OUTREACH, status__in=OPEN_STATUSES, customer_id__in=[row.customer.id for row in rows])
        .order_by("opened_at")
    )
    by_customer = {ticket.customer_id: ticket for ticket in open_cases}
    for row in rows:
        row.open_outreach = by_customer.get(row.customer.id)


def attach_contact_refusals(rows: list[AtRiskRow], *, now: dt.datetime | None = None) -> list[tuple[str, str, int]]:
    """Set each row's consent verdict; returns (code, label, count) per refusing rule. One query for a page."""
    if not rows:
        return []
    refusals = dict(
        consent.with_refusal(Customer.objects.filter(id__in=[row.customer.id for row in rows]), survey=None, now=now)
        .order_by()
        .values_list("id", "contact_refusal")
    )
    labels = dict(ContactRefusal.choices)
    counts: dict[str, int] = {}
    for row in rows:
        row.contact_refusal = refusals.get(row.customer.id, "")
        row.contact_refusal_label = str(labels.get(row.contact_refusal, ""))
        if row.contact_refusal:
            counts[row.contact_refusal] = counts.get(row.contact_refusal, 0) + 1
    return consent.counts_by_label(counts)
