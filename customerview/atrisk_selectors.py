"""Reads for the at-risk list (from the stored flags, CustomerRisk) and for one customer's reasons.

The list reads only CustomerRisk rows (written by customerview.atrisk_services), in the order
of their partial indexes: the same few queries for any page, filter and number of customers.
One customer's reasons (the customer page, and the outreach action that must not act on a stale
flag) are computed live from the CRM by the rules of customerview.atrisk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.choices import EventKind
from crm.models import Customer, CustomerEvent, Purchase
from customerview import atrisk
from customerview.models import LIST_ORDER_BY, AtRiskPolicy, CustomerRisk, RiskRefresh
from followups.choices import OPEN_STATUSES, TicketKind
from followups.models import Ticket
from followups.selectors import responses_visible_to, sees_every_team, tickets_visible_to
from surveys import consent
from surveys.choices import ContactRefusal
from surveys.models import Invitation, Response
from surveys.selectors import DETRACTOR_Q

CENTS = Decimal("0.01")
# A reason's code → the stored flag that filters on it.
FLAG_OF = {
    atrisk.INACTIVE: "inactive",
    atrisk.CART_ABANDONED: "cart_abandoned",
    atrisk.UNSUBSCRIBED: "unsubscribed",
    atrisk.DETRACTOR: "detractor",
}
# Only what a row shows of the customer.
SHOWN_CUSTOMER = ("id", "public_id", "external_id", "first_name", "last_name", "email", "erased_at")


def at_risk_policy() -> AtRiskPolicy:
    """The rules in force: the first row, or the defaults when an admin saved none. One query."""
    return AtRiskPolicy.objects.order_by("id").first() or AtRiskPolicy()


@dataclass
class AtRiskRow:
    customer: Customer
    reasons: list[atrisk.Reason]
    total_spend: Decimal
    last_purchase_at: dt.datetime | None
    last_invited_at: dt.datetime | None = None
    open_outreach: Ticket | None = None
    # Why the consent gate would refuse a survey invitation now ("" when it would not), with the
    # default contact-fatigue window; a survey with its own window is checked when inviting.
    contact_refusal: str = ""
    contact_refusal_label: str = ""

    @property
    def reason_codes(self) -> set[str]:
        return {reason.code for reason in self.reasons}


# The list, from the stored flags ----------------------------------------------------------


def _window_start(today: dt.date, days: int) -> dt.datetime:
    """The first moment that is at most `days` calendar days before `today`, local time."""
    return timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time.min))


def _visible_detractor_answers(viewer, policy: AtRiskPolicy, today: dt.date) -> QuerySet[Response] | None:
    """The detractor answers within the policy's window that `viewer` may read; None when the rule is off."""
    if not policy.detractor_days:
        return None
    since = _window_start(today, policy.detractor_days)
    return responses_visible_to(viewer).filter(DETRACTOR_Q, submitted_at__gte=since, customer__isnull=False)


def _one_if(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def at_risk_list(*, viewer, policy: AtRiskPolicy, reason: str = "", today: dt.date | None = None) -> QuerySet:
    """The customers flagged at risk (for `reason` only, if given), most valuable first; lazy, for a paginator.

    Read in the order of the flag's partial index, without a join: a page deep in the list skips
    index entries, not customers (theirs are read for the page's rows only). An erased customer
    is not flagged (erasure saves the customer, which refreshes their flags). The detractor flag
    counts only for an answer `viewer` may read: an agent never sees another team's customer's
    score (for them it is checked against the answers they see, among the flagged customers).
    """
    today = today or timezone.localdate()
    risks = CustomerRisk.objects.prefetch_related(Prefetch("customer", queryset=Customer.objects.only(*SHOWN_CUSTOMER)))
    if sees_every_team(viewer):
        return risks.filter(**{FLAG_OF.get(reason, "at_risk"): True}).order_by(*LIST_ORDER_BY)
    answers = _visible_detractor_answers(viewer, policy, today)
    if answers is None:
        visible, visible_q = Value(False), Q(pk__in=[])
    else:
        # Not correlated: the database reads the answers the viewer sees once, as a set.
        visible_q = Q(detractor=True, customer_id__in=answers.values("customer_id"))
        visible = Case(When(visible_q, then=Value(True)), default=Value(False), output_field=BooleanField())
    risks = risks.filter(at_risk=True).annotate(
        visible_detractor=visible,
        shown_count=F("reason_count") - _one_if(Q(detractor=True)) + _one_if(Q(visible_detractor=True)),
    )
    if reason == atrisk.DETRACTOR:
        risks = risks.filter(visible_q)
    elif reason in FLAG_OF:
        risks = risks.filter(**{FLAG_OF[reason]: True})
    else:
        risks = risks.filter(Q(inactive=True) | Q(cart_abandoned=True) | Q(unsubscribed=True) | visible_q)
    # The stored order but for the count of reasons: the database sorts each spend's few rows again.
    return risks.order_by("-total_spend", "-shown_count", "sort_name", "customer_id")


def _local(moment: dt.datetime | None, tz) -> dt.datetime | None:
    return moment.astimezone(tz) if moment is not None else None


def at_risk_rows(risks, *, viewer, policy: AtRiskPolicy, today: dt.date | None = None) -> list[AtRiskRow]:
    """A page of at_risk_list as rows with their reasons told; one more query for an agent's detractor answers."""
    risks = list(risks)
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    latest_visible: dict[int, tuple[dt.datetime, int]] = {}
    if any(getattr(risk, "visible_detractor", False) for risk in risks):
        answers = _visible_detractor_answers(viewer, policy, today).filter(
            customer_id__in=[risk.customer_id for risk in risks if risk.visible_detractor]
        )
        for customer_id, submitted_at, score in answers.order_by("customer_id", "submitted_at").values_list(
            "customer_id", "submitted_at", "score"
        ):
            latest_visible[customer_id] = (submitted_at, score)  # ascending: the latest wins
    rows = []
    for risk in risks:
        detractor_at, detractor_score = risk.last_detractor_at, risk.last_detractor_score
        flagged = {atrisk.INACTIVE: risk.inactive, atrisk.CART_ABANDONED: risk.cart_abandoned}
        flagged |= {atrisk.UNSUBSCRIBED: risk.unsubscribed, atrisk.DETRACTOR: risk.detractor}
        if hasattr(risk, "visible_detractor"):
            flagged[atrisk.DETRACTOR] = risk.visible_detractor
            detractor_at, detractor_score = latest_visible.get(risk.customer_id, (None, None))
        signals = atrisk.Signals(
            purchase_count=risk.purchase_count,
            first_purchase_at=_local(risk.first_purchase_at, tz),
            last_purchase_at=_local(risk.last_purchase_at, tz),
            last_cart_abandoned_at=_local(risk.last_cart_abandoned_at, tz),
            last_unsubscribed_at=_local(risk.last_unsubscribed_at, tz),
            last_detractor_at=_local(detractor_at, tz),
            last_detractor_score=detractor_score,
        )
        reasons = [
            atrisk.stated_reason(code, signals=signals, policy=policy, today=today)
            for code, _label in atrisk.REASONS
            if flagged[code]
        ]
        rows.append(
            AtRiskRow(
                customer=risk.customer,
                reasons=reasons,
                total_spend=risk.total_spend.quantize(CENTS),
                last_purchase_at=risk.last_purchase_at,
            )
        )
    return rows


def flags_computed_since() -> dt.datetime | None:
    """When the last full refresh started (None before the first): every flag is at least this recent. One query."""
    last = RiskRefresh.objects.order_by("-id").first()
    return last.started_at if last else None


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
    """Set each row's consent verdict and last invitation; returns (code, label, count) per refusing rule.

    One query for a page.
    """
    if not rows:
        return []
    last_invited = Invitation.objects.filter(customer=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    customers = Customer.objects.filter(id__in=[row.customer.id for row in rows])
    verdicts = {
        customer_id: (refusal, invited_at)
        for customer_id, refusal, invited_at in consent.with_refusal(customers, survey=None, now=now)
        .annotate(last_invited_at=Subquery(last_invited))
        .order_by()
        .values_list("id", "contact_refusal", "last_invited_at")
    }
    labels = dict(ContactRefusal.choices)
    counts: dict[str, int] = {}
    for row in rows:
        row.contact_refusal, row.last_invited_at = verdicts.get(row.customer.id, ("", None))
        row.contact_refusal_label = str(labels.get(row.contact_refusal, ""))
        if row.contact_refusal:
            counts[row.contact_refusal] = counts.get(row.contact_refusal, 0) + 1
    return consent.counts_by_label(counts)


# One customer, live from the CRM ------------------------------------------------------------


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
    )


def signals_of(customer: Customer, tz=None) -> atrisk.Signals:
    """The Signals of a customer annotated by `with_signals`, in local time."""
    tz = tz or timezone.get_current_timezone()
    return atrisk.Signals(
        purchase_count=customer.signal_purchase_count,
        first_purchase_at=_local(customer.signal_first_purchase_at, tz),
        last_purchase_at=_local(customer.signal_last_purchase_at, tz),
        last_cart_abandoned_at=_local(customer.signal_last_cart_abandoned_at, tz),
        last_unsubscribed_at=_local(customer.signal_last_unsubscribed_at, tz),
        last_detractor_at=_local(customer.signal_last_detractor_at, tz),
        last_detractor_score=customer.signal_last_detractor_score,
    )


def customer_at_risk_reasons(*, customer: Customer, policy: AtRiskPolicy, viewer, today: dt.date | None = None) -> list:
    """Why one customer is at risk now (empty when not), from what `viewer` may see. One query."""
    if customer.erased_at is not None:
        return []
    annotated = with_signals(Customer.objects.filter(pk=customer.pk), answers=responses_visible_to(viewer)).first()
    if annotated is None:
        return []
    return atrisk.at_risk_reasons(signals=signals_of(annotated), policy=policy, today=today or timezone.localdate())
