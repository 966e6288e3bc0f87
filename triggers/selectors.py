"""Reads for trigger rules: the subjects each rule finds due, and what each rule did."""

import datetime as dt

from django.db.models import Count, Q, QuerySet

from crm.models import CustomerEvent, Purchase
from followups.services import resurvey_due_tickets
from triggers.choices import FireStatus, SkipReason, TriggerKind
from triggers.models import TriggerFire, TriggerRule

# A subject due longer ago than this is left alone: a new or re-activated rule does not
# survey everyone who bought something last year, and a beat stopped for a few days catches up.
CATCH_UP_DAYS = 7


def rule_event_kinds() -> list[str]:
    """The event kinds trigger rules wait for (the CRM API accepts them besides its own)."""
    return list(
        TriggerRule.objects.filter(kind=TriggerKind.EVENT).exclude(event_kind="").values_list("event_kind", flat=True)
    )


def due_subjects(*, rule: TriggerRule, now: dt.datetime) -> QuerySet:
    """The purchases, cases or events that `rule` finds due at `now` and has not claimed yet.

    Each row has `customer` (selected) and `subject_at` (when the purchase, resolution or event happened).
    """
    due_before = now - dt.timedelta(days=rule.delay_days)
    due_after = due_before - dt.timedelta(days=CATCH_UP_DAYS)
    if rule.kind == TriggerKind.CASE_RESOLVED:
        rows = resurvey_due_tickets(survey_id=rule.survey_id, due_before=due_before, due_after=due_after)
        claimed = TriggerFire.objects.filter(rule=rule, ticket__isnull=False).values("ticket_id")
        return rows.exclude(id__in=claimed).select_related("customer").order_by("resolved_at")
    if rule.kind == TriggerKind.PURCHASE:
        rows = Purchase.objects.filter(purchased_at__lte=due_before, purchased_at__gt=due_after)
        if rule.category_list:
            rows = rows.filter(product_category__in=rule.category_list)
        if rule.channel_list:
            rows = rows.filter(channel__in=rule.channel_list)
        claimed = TriggerFire.objects.filter(rule=rule, purchase__isnull=False).values("purchase_id")
        return rows.exclude(id__in=claimed).select_related("customer").order_by("purchased_at")
    rows = CustomerEvent.objects.filter(kind=rule.event_kind, occurred_at__lte=due_before, occurred_at__gt=due_after)
    claimed = TriggerFire.objects.filter(rule=rule, event__isnull=False).values("event_id")
    return rows.exclude(id__in=claimed).select_related("customer").order_by("occurred_at")


def fires_ready(*, now: dt.datetime) -> QuerySet[TriggerFire]:
    """Fires waiting whose sending time has come, oldest first."""
    return (
        TriggerFire.objects.filter(status=FireStatus.WAITING, send_after__lte=now)
        .select_related("rule__survey__brand", "customer", "ticket")
        .order_by("send_after", "id")
    )


def rule_outcomes(*, rule: TriggerRule) -> dict:
    """What a rule did: {"sent": n, "waiting": n, "skipped": [(reason label, n), ...]}. One query."""
    rows = (
        TriggerFire.objects.filter(rule=rule)
        .values("status", "reason")
        .annotate(n=Count("id"))
        .order_by("status", "reason")
    )
    labels = dict(SkipReason.choices)
    outcome = {"sent": 0, "waiting": 0, "skipped": []}
    for row in rows:
        if row["status"] == FireStatus.SKIPPED:
            outcome["skipped"].append((labels.get(row["reason"], row["reason"]), row["n"]))
        else:
            outcome[row["status"]] += row["n"]
    return outcome


def rules_with_counts() -> QuerySet[TriggerRule]:
    """Rules with `sent_count`, `skipped_count` and `waiting_count` (for the admin's list)."""
    return TriggerRule.objects.select_related("survey").annotate(
        sent_count=Count("fires", filter=Q(fires__status=FireStatus.SENT)),
        skipped_count=Count("fires", filter=Q(fires__status=FireStatus.SKIPPED)),
        waiting_count=Count("fires", filter=Q(fires__status=FireStatus.WAITING)),
    )


def rules_overview() -> list[TriggerRule]:
    """Every rule with its counts and `skip_reasons` [(label, n)], most skipped first. Two queries."""
    rules = list(rules_with_counts().order_by("survey__name", "kind", "delay_days"))
    labels = dict(SkipReason.choices)
    reasons: dict[int, list] = {rule.id: [] for rule in rules}
    rows = (
        TriggerFire.objects.filter(status=FireStatus.SKIPPED)
        .values("rule_id", "reason")
        .annotate(n=Count("id"))
        .order_by("rule_id", "-n", "reason")
    )
    for row in rows:
        reasons.setdefault(row["rule_id"], []).append((labels.get(row["reason"], row["reason"]), row["n"]))
    for rule in rules:
        rule.skip_reasons = reasons[rule.id]
    return rules
