import random
from collections import defaultdict
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from followups import services
from followups.models import Team, Ticket
from reporting.followup_metrics import followup_report, percentile
from tests.factories import CustomerFactory, ResponseFactory


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [([], 0.5, None), ([5], 0.9, 5), ([1, 2, 3, 4], 0.5, 2), ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9)],
)
def test_percentile_nearest_rank(values, share, expected):
    assert percentile(values, share) == expected


def _case(at, score=3, customer=None):
    customer = customer or CustomerFactory()
    response = ResponseFactory(score=score, submitted_at=at, customer=customer, invitation__customer=customer)
    return services.ticket_open_for_response(response=response)


def test_followup_report(db, agent, other_agent, django_assert_num_queries):
    team = Team.objects.create(name="Care")
    start = timezone.now() - timedelta(days=10)
    fast, slow, _never_contacted = _case(start), _case(start), _case(start)
    Ticket.objects.filter(id__in=[fast.id, slow.id]).update(team=team)
    with time_machine.travel(start + timedelta(hours=2)):
        services.ticket_mark_contacted(ticket=fast, actor=agent, channel="phone")
    with time_machine.travel(start + timedelta(hours=60)):
        services.ticket_mark_contacted(ticket=slow, actor=other_agent, channel="email")
    with time_machine.travel(start + timedelta(days=3)):
        services.ticket_resolve(ticket=fast, actor=agent, outcome="recovered")
    # Re-surveyed after resolution: came back as a promoter (the recovery service stores the score).
    Ticket.objects.filter(id=fast.id).update(resurvey_score=9)

    # The grouped figures, then the agents' and the teams' names.
    with django_assert_num_queries(3):
        report = followup_report(tickets=Ticket.objects.all(), now=timezone.now())
    total = report.total
    assert (total.opened, total.contacted, total.within_deadline, total.overdue_now) == (3, 2, 1, 1)
    # The never-contacted case is past its deadline: it counts, as a miss. 1 of 3.
    assert total.deadline_counted == 3
    assert total.pct_within_deadline == pytest.approx(100 / 3)
    assert total.median_minutes == pytest.approx(120, abs=1)
    assert total.p90_minutes == pytest.approx(3600, abs=1)
    assert (total.recovered, total.resurveyed, total.came_back, total.recovery_rate) == (1, 1, 1, 100)
    agents = {p.label: p for p in report.by_agent}
    assert agents["Alice"].median_minutes == pytest.approx(120, abs=1)
    assert agents["Bob"].within_deadline == 0
    assert [(p.label, p.opened) for p in report.by_team] == [("Care", 2)]


def test_empty_report_has_no_rates(db):
    report = followup_report(tickets=Ticket.objects.none(), now=timezone.now())
    assert report.total.pct_within_deadline is None
    assert report.total.median_minutes is None
    assert report.total.recovery_rate is None


def _expected(tickets, now, key):
    """The report's figures for one group, computed naively from the case objects."""
    groups = defaultdict(list)
    for ticket in tickets:
        groups[key(ticket)].append(ticket)
    result = {}
    for group, members in groups.items():
        if group is None:
            continue
        minutes = [t.minutes_to_first_contact for t in members if t.minutes_to_first_contact is not None]
        result[group] = (
            len(members),
            sum(t.first_contacted_at is not None for t in members),
            sum(
                t.first_contact_met is not None or t.status in ("resolved", "closed") or t.first_contact_due_at < now
                for t in members
            ),
            sum(bool(t.first_contact_met) for t in members),
            sum(t.is_overdue(now) for t in members),
            sum(t.outcome == "recovered" for t in members),
            sum(t.resurvey_score is not None for t in members),
            sum(t.resurvey_score is not None and t.resurvey_score >= 7 for t in members),
            percentile(minutes, 0.5),
            percentile(minutes, 0.9),
        )
    return result


def _figures(p):
    return (
        p.opened,
        p.contacted,
        p.deadline_counted,
        p.within_deadline,
        p.overdue_now,
        p.recovered,
        p.resurveyed,
        p.came_back,
        p.median_minutes,
        p.p90_minutes,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_report_equals_a_direct_computation_on_random_cases(db, agent, other_agent, seed):
    """Whatever the database (GROUPING SETS on PostgreSQL, Python on SQLite), the same figures."""
    rng = random.Random(seed)
    teams = [Team.objects.create(name=f"Team {i}") for i in range(2)]
    now = timezone.now()
    for _ in range(rng.randint(0, 25)):
        ticket = _case(now - timedelta(days=rng.randint(0, 20)))
        contacted = rng.random() < 0.7
        Ticket.objects.filter(id=ticket.id).update(
            assignee=rng.choice([agent, other_agent, None]),
            team=rng.choice([*teams, None]),
            first_contacted_at=now if contacted else None,
            minutes_to_first_contact=rng.randint(0, 5000) if contacted else None,
            first_contact_met=(rng.random() < 0.6) if contacted else None,
            first_contact_due_at=now + timedelta(hours=rng.randint(-60, 60)),
            status=rng.choice(["new", "contacted", "waiting", "resolved", "closed"]),
            outcome=rng.choice(["", "recovered", "not_recoverable", "no_reply"]),
            resurvey_score=rng.choice([None, None, *range(11)]),
        )
    tickets = list(Ticket.objects.all())
    report = followup_report(tickets=Ticket.objects.all(), now=now)

    expected_total = _expected(tickets, now, key=lambda t: "all").get("all", (0,) * 8 + (None, None))
    assert _figures(report.total) == expected_total
    assert {p.label: _figures(p) for p in report.by_agent} == {
        {agent.id: "Alice", other_agent.id: "Bob"}[k]: v
        for k, v in _expected(tickets, now, lambda t: t.assignee_id).items()
    }
    assert {p.label: _figures(p) for p in report.by_team} == {
        Team.objects.get(id=k).name: v for k, v in _expected(tickets, now, lambda t: t.team_id).items()
    }


def test_a_case_resolved_without_any_contact_counts_as_a_missed_deadline(db, agent):
    """Closing cases instead of calling customers must not lift "% within deadline"."""
    now = timezone.now()
    called = _case(now - timedelta(hours=1))
    services.ticket_mark_contacted(ticket=called, actor=agent, channel="phone")
    dodged = _case(now - timedelta(hours=1))  # deadline still ahead, but resolved without a word
    services.ticket_resolve(ticket=dodged, actor=agent, outcome="no_reply")
    _case(now - timedelta(hours=1))  # still inside its deadline, not contacted: not counted yet
    dodged.refresh_from_db()
    assert dodged.first_contact_met is False
    total = followup_report(tickets=Ticket.objects.all(), now=now).total
    assert (total.within_deadline, total.deadline_counted, total.pct_within_deadline) == (1, 2, 50)
