"""Whether follow-up keeps its promise: first-contact times, deadlines met, outcomes, recovery.

Reads only, and only columns frozen when things happened (minutes to first contact, deadline
met, score after follow-up), so the figures never move because later data arrived.

On PostgreSQL one query computes every group (total, per agent, per team) in a single scan with
GROUPING SETS and `percentile_disc`; two small queries fetch the agents' and teams' names. On
SQLite, which has neither, the same rows are read once and aggregated here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BooleanField, Case, QuerySet, Value, When

from followups.choices import Outcome
from followups.models import Team, Ticket
from followups.selectors import deadline_counted_q, deadline_met_q, overdue_q

RECOVERED_FROM = 7  # a re-surveyed detractor who now answers 7 or more came back
COUNTS = (
    "opened",
    "contacted",
    "deadline_counted",
    "within_deadline",
    "overdue_now",
    "recovered",
    "not_recoverable",
    "no_reply",
    "resurveyed",
    "came_back",
)


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `share` of the values at or below it.

    The same definition as PostgreSQL's `percentile_disc`.
    """
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
    # "% within deadline": of the cases due or contacted (deadline_counted_q), those contacted in time.
    deadline_counted: int = 0
    within_deadline: int = 0
    overdue_now: int = 0
    recovered: int = 0
    not_recoverable: int = 0
    no_reply: int = 0
    resurveyed: int = 0
    came_back: int = 0
    median_minutes: float | None = None
    p90_minutes: float | None = None

    @property
    def pct_within_deadline(self) -> float | None:
        """Of the cases whose deadline passed or that were contacted, how many were contacted in time.

        A case resolved or closed without any contact, or still uncontacted past its deadline,
        is a miss: leaving them out would reward closing cases instead of calling customers.
        """
        return None if not self.deadline_counted else 100 * self.within_deadline / self.deadline_counted

    @property
    def missed_deadline(self) -> int:
        return self.deadline_counted - self.within_deadline

    @property
    def recovery_rate(self) -> float | None:
        """Of the detractors surveyed again after their case, how many answered 7 or more."""
        return None if not self.resurveyed else 100 * self.came_back / self.resurveyed


@dataclass
class FollowupReport:
    total: Performance
    by_agent: list[Performance]
    by_team: list[Performance]


def _flag(condition) -> Case:
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def with_deadline_verdict(tickets: QuerySet[Ticket], now) -> QuerySet[Ticket]:
    """Each case with `deadline_counted` and `deadline_met`: THE rule of "% within deadline",
    read by the dashboard, the digest, the API and the cases CSV alike."""
    return tickets.annotate(deadline_counted=_flag(deadline_counted_q(now)), deadline_met=_flag(deadline_met_q()))


def _rows(tickets: QuerySet[Ticket], now) -> QuerySet:
    """One row per case with what the report counts, as plain columns."""
    return (
        with_deadline_verdict(tickets.order_by(), now)
        .annotate(is_overdue=_flag(overdue_q(now)))
        .values(
            "assignee_id",
            "team_id",
            "first_contacted_at",
            "deadline_counted",
            "deadline_met",
            "minutes_to_first_contact",
            "outcome",
            "resurvey_score",
            "is_overdue",
        )
    )


_GROUPED_SQL = """
SELECT GROUPING(t.assignee_id, t.team_id) AS grouping_id, t.assignee_id, t.team_id,
       count(*),
       count(*) FILTER (WHERE t.first_contacted_at IS NOT NULL),
       count(*) FILTER (WHERE t.deadline_counted),
       count(*) FILTER (WHERE t.deadline_met),
       count(*) FILTER (WHERE t.is_overdue),
       count(*) FILTER (WHERE t.outcome = %s),
       count(*) FILTER (WHERE t.outcome = %s),
       count(*) FILTER (WHERE t.outcome = %s),
       count(*) FILTER (WHERE t.resurvey_score IS NOT NULL),
       count(*) FILTER (WHERE t.resurvey_score >= %s),
       percentile_disc(0.5) WITHIN GROUP (ORDER BY t.minutes_to_first_contact),
       percentile_disc(0.9) WITHIN GROUP (ORDER BY t.minutes_to_first_contact)
FROM ({inner}) t
GROUP BY GROUPING SETS ((), (t.assignee_id), (t.team_id))
"""


def _grouped_in_postgres(rows: QuerySet, using: str) -> tuple[Performance, dict, dict]:
    total, agents, teams = Performance(), {}, {}
    try:
        inner, params = rows.query.sql_with_params()
    except EmptyResultSet:  # e.g. Ticket.objects.none(): nothing to count
        return total, agents, teams
    outcomes = [Outcome.RECOVERED, Outcome.NOT_RECOVERABLE, Outcome.NO_REPLY]
    with connections[using].cursor() as cursor:
        cursor.execute(_GROUPED_SQL.format(inner=inner), [*outcomes, RECOVERED_FROM, *params])
        for grouping_id, assignee_id, team_id, *values in cursor.fetchall():
            performance = Performance(**dict(zip(COUNTS, values[: len(COUNTS)], strict=True)))
            performance.median_minutes, performance.p90_minutes = values[len(COUNTS) :]
            # GROUPING(a, t): 3 for the total, 1 for a row per agent, 2 for a row per team.
            if grouping_id == 3:
                total = performance
            elif grouping_id == 1 and assignee_id is not None:
                agents[assignee_id] = performance
            elif grouping_id == 2 and team_id is not None:
                teams[team_id] = performance
    return total, agents, teams


def _grouped_in_python(rows: QuerySet) -> tuple[Performance, dict, dict]:
    total, agents, teams = Performance(), defaultdict(Performance), defaultdict(Performance)
    minutes: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        groups = [total]
        if row["assignee_id"] is not None:
            groups.append(agents[row["assignee_id"]])
        if row["team_id"] is not None:
            groups.append(teams[row["team_id"]])
        score = row["resurvey_score"]
        for performance in groups:
            performance.opened += 1
            performance.contacted += row["first_contacted_at"] is not None
            performance.deadline_counted += bool(row["deadline_counted"])
            performance.within_deadline += bool(row["deadline_met"])
            performance.overdue_now += bool(row["is_overdue"])
            performance.recovered += row["outcome"] == Outcome.RECOVERED
            performance.not_recoverable += row["outcome"] == Outcome.NOT_RECOVERABLE
            performance.no_reply += row["outcome"] == Outcome.NO_REPLY
            performance.resurveyed += score is not None
            performance.came_back += score is not None and score >= RECOVERED_FROM
            if row["minutes_to_first_contact"] is not None:
                minutes[id(performance)].append(row["minutes_to_first_contact"])
    for performance in [total, *agents.values(), *teams.values()]:
        values = minutes.get(id(performance), [])
        performance.median_minutes = percentile(values, 0.5)
        performance.p90_minutes = percentile(values, 0.9)
    return total, dict(agents), dict(teams)


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


def followup_report(*, tickets: QuerySet[Ticket], now) -> FollowupReport:
    rows = _rows(tickets, now)
    if connections[tickets.db].vendor == "postgresql":
        total, agents, teams = _grouped_in_postgres(rows, tickets.db)
    else:
        total, agents, teams = _grouped_in_python(rows)
    return labelled_report(total, agents, teams)


def labelled_report(total: Performance, agents: dict, teams: dict) -> FollowupReport:
    """The report of these groups (by user id and team id), named and sorted: two queries at most."""
    if agents:
        for user in get_user_model().objects.filter(pk__in=agents).only("username", "first_name", "last_name"):
            agents[user.pk].label = _person(user)
    if teams:
        for team in Team.objects.filter(pk__in=teams).only("name"):
            teams[team.pk].label = team.name
    return FollowupReport(
        total=total,
        by_agent=sorted(agents.values(), key=lambda p: p.label.casefold()),
        by_team=sorted(teams.values(), key=lambda p: p.label.casefold()),
    )
