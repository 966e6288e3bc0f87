"""Whether follow-up keeps its promise: first-contact times, deadlines met, outcomes, recovery.

Reads only. Two queries whatever the data: one grouped count per agent and team, one list
of first-contact durations for the medians and 90th percentiles.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, DurationField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery

from followups.choices import Outcome
from followups.models import Ticket
from followups.selectors import overdue_q
from surveys.models import Response

RECOVERED_FROM = 7  # a re-surveyed detractor who now answers 7 or more came back


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(share * len(ordered)), 1)
    return ordered[rank - 1]


@dataclass
class Performance:
    label: str = ""
    opened: int = 0
    contacted: int = 0
    within_deadline: int = 0
    overdue_now: int = 0
    recovered: int = 0
    not_recoverable: int = 0
    no_reply: int = 0
    resurveyed: int = 0
    came_back: int = 0
    minutes_to_contact: list[float] = field(default_factory=list)

    def add(self, row: dict) -> None:
        for name in (
            "opened",
            "contacted",
            "within_deadline",
            "overdue_now",
            "recovered",
            "not_recoverable",
            "no_reply",
            "resurveyed",
            "came_back",
        ):
            setattr(self, name, getattr(self, name) + row[name])

    @property
    def pct_within_deadline(self) -> float | None:
        """Of the cases contacted, how many within their deadline."""
        return None if not self.contacted else 100 * self.within_deadline / self.contacted

    @property
    def median_minutes(self) -> float | None:
        return percentile(self.minutes_to_contact, 0.5)

    @property
    def p90_minutes(self) -> float | None:
        return percentile(self.minutes_to_contact, 0.9)

    @property
    def recovery_rate(self) -> float | None:
        """Of the detractors surveyed again after their case, how many answered 7 or more."""
        return None if not self.resurveyed else 100 * self.came_back / self.resurveyed


@dataclass
class FollowupReport:
    total: Performance
    by_agent: list[Performance]
    by_team: list[Performance]


def _person(row: dict) -> str:
    name = f"{row['assignee__first_name']} {row['assignee__last_name']}".strip()
    return name or row["assignee__username"] or ""


def followup_report(*, tickets: QuerySet[Ticket], now) -> FollowupReport:
    later_answer = Response.objects.filter(
        customer=OuterRef("customer"), submitted_at__gt=OuterRef("resolved_at")
    ).order_by("submitted_at")
    rows = (
        tickets.alias(later_score=Subquery(later_answer.values("score")[:1]))
        .order_by()
        .values(
            "assignee_id", "assignee__username", "assignee__first_name", "assignee__last_name", "team_id", "team__name"
        )
        .annotate(
            opened=Count("id"),
            contacted=Count("id", filter=Q(first_contacted_at__isnull=False)),
            within_deadline=Count("id", filter=Q(first_contacted_at__lte=F("first_contact_due_at"))),
            overdue_now=Count("id", filter=overdue_q(now)),
            recovered=Count("id", filter=Q(outcome=Outcome.RECOVERED)),
            not_recoverable=Count("id", filter=Q(outcome=Outcome.NOT_RECOVERABLE)),
            no_reply=Count("id", filter=Q(outcome=Outcome.NO_REPLY)),
            resurveyed=Count("id", filter=Q(later_score__isnull=False, resolved_at__isnull=False)),
            came_back=Count("id", filter=Q(later_score__gte=RECOVERED_FROM, resolved_at__isnull=False)),
        )
    )
    durations = (
        tickets.filter(first_contacted_at__isnull=False)
        .order_by()
        .values_list(
            "assignee_id",
            "team_id",
            ExpressionWrapper(F("first_contacted_at") - F("response__submitted_at"), output_field=DurationField()),
        )
    )
    total = Performance()
    agents: dict = defaultdict(Performance)
    teams: dict = defaultdict(Performance)
    for row in rows:
        total.add(row)
        if row["assignee_id"] is not None:
            agents[row["assignee_id"]].add(row)
            agents[row["assignee_id"]].label = _person(row)
        if row["team_id"] is not None:
            teams[row["team_id"]].add(row)
            teams[row["team_id"]].label = row["team__name"]
    for assignee_id, team_id, duration in durations:
        minutes = duration.total_seconds() / 60
        total.minutes_to_contact.append(minutes)
        if assignee_id is not None:
            agents[assignee_id].minutes_to_contact.append(minutes)
        if team_id is not None:
            teams[team_id].minutes_to_contact.append(minutes)
    return FollowupReport(
        total=total,
        by_agent=sorted(agents.values(), key=lambda p: p.label.casefold()),
        by_team=sorted(teams.values(), key=lambda p: p.label.casefold()),
    )
