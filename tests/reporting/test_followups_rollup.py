"""The follow-up panel's roll-up: the same counts as the cases themselves, kept up to date by the cases' events."""

import random
from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from followups import services
from followups.models import Team, Ticket, TicketEvent
from followups.selectors import tickets_of_responses
from reporting import followups_rollup
from reporting.followup_metrics import followup_report
from reporting.followups_rollup import bucket_value, dashboard_followup_report, first_contact_figures, minute_bucket
from reporting.models import DailyFollowup
from surveys.filters import RESURVEYS_ONLY, ResponseFilter
from tests.factories import CustomerFactory, ResponseFactory

PARIS = ZoneInfo("Europe/Paris")


def _case(at, score=3, **extra):
    customer = CustomerFactory(region=random.Random(at.toordinal()).choice(["Bretagne", "Occitanie"]))
    response = ResponseFactory(score=score, submitted_at=at, customer=customer, invitation__customer=customer, **extra)
    return services.ticket_open_for_response(response=response)


def _raw(filters, now):
    return followup_report(tickets=tickets_of_responses(filters.case_responses()), now=now)


def _bucketed(report):
    """The raw report with its percentiles read as the roll-up's histogram reads them."""
    for performance in [report.total, *report.by_agent, *report.by_team]:
        for name in ("median_minutes", "p90_minutes"):
            value = getattr(performance, name)
            if value is not None:
                setattr(performance, name, bucket_value(minute_bucket(value)))
    return asdict(report)


@pytest.mark.parametrize(
    ("minutes", "first", "width"),
    [(0, 0, 1), (59, 59, 1), (62, 60, 5), (800, 795, 15), (3010, 3000, 60), (20000, 19800, 360)],
)
def test_buckets(minutes, first, width):
    assert minute_bucket(minutes) == first
    assert bucket_value(first) == first + (width - 1) / 2


@pytest.mark.parametrize("seed", [1, 2])
def test_the_roll_up_gives_the_figures_of_the_cases(db, agent, other_agent, seed):
    """Counts equal; percentiles the middle of the bucket of the exact value (the exact value under an hour)."""
    rng = random.Random(seed)
    teams = [Team.objects.create(name=f"Team {i}") for i in range(2)]
    now = timezone.now()
    for _ in range(rng.randint(10, 30)):
        ticket = _case(now - timedelta(days=rng.randint(0, 80)), is_resurvey=rng.random() < 0.2)
        contacted = rng.random() < 0.7
        Ticket.objects.filter(id=ticket.id).update(
            assignee=rng.choice([agent, other_agent, None]),
            team=rng.choice([*teams, None]),
            first_contacted_at=now if contacted else None,
            minutes_to_first_contact=rng.choice([rng.randint(0, 59), rng.randint(0, 9000)]) if contacted else None,
            first_contact_met=(rng.random() < 0.6) if contacted else None,
            first_contact_due_at=now + timedelta(hours=rng.randint(-60, 60)),
            status=rng.choice(["new", "contacted", "waiting", "resolved", "closed"]),
            outcome=rng.choice(["", "recovered", "not_recoverable", "no_reply"]),
            resurvey_score=rng.choice([None, None, *range(11)]),
        )
    followups_rollup.followup_rollup_rebuild()  # the updates above bypass the services and their events
    today = timezone.localdate()
    for filters in (
        ResponseFilter(start=today - timedelta(days=90), end=today, today=today),
        ResponseFilter(start=today - timedelta(days=45), end=today - timedelta(days=3), today=today),
        ResponseFilter(start=today - timedelta(days=90), end=today, resurveys=RESURVEYS_ONLY, today=today),
    ):
        assert asdict(dashboard_followup_report(filters=filters, now=now)) == _bucketed(_raw(filters, now))
        # The API's "% within deadline": the cases of the answers the NPS counts, without percentiles.
        for api_filters in (filters, replace(filters, region="Bretagne")):
            raw = followup_report(tickets=tickets_of_responses(api_filters.responses()), now=now).total
            rolled = first_contact_figures(filters=api_filters, now=now)
            assert (rolled.deadline_counted, rolled.within_deadline) == (raw.deadline_counted, raw.within_deadline)


def test_month_rows_and_the_days_around_them_count_each_case_once(db, survey):
    days = [
        date(2026, 1, 30),
        date(2026, 2, 1),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 3, 1),
        date(2026, 3, 2),
    ]
    for day in days:
        _case(datetime(day.year, day.month, day.day, 12, tzinfo=PARIS), survey=survey, invitation__survey=survey)
    followups_rollup.followup_rollup_refresh()
    assert DailyFollowup.objects.filter(whole_month=True).count() == 3
    now = timezone.now()
    for start, end in (
        (date(2026, 1, 30), date(2026, 3, 1)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 2, 2), date(2026, 3, 2)),
    ):
        filters = ResponseFilter(start=start, end=end, today=end)
        assert dashboard_followup_report(filters=filters, now=now).total.opened == sum(start <= d <= end for d in days)


def test_the_refresh_follows_each_change_to_a_case_once(db, agent, django_assert_max_num_queries):
    opened_at = timezone.now() - timedelta(hours=3)
    ticket = _case(opened_at)
    assert followups_rollup.followup_rollup_refresh() >= 1
    with django_assert_max_num_queries(1):  # the cursor beside the newest event: nothing to recount
        assert followups_rollup.followup_rollup_refresh() == 0
    with time_machine.travel(opened_at + timedelta(minutes=40)):
        services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="phone")
    followups_rollup.followup_rollup_refresh()
    row = DailyFollowup.objects.get(whole_month=False)
    assert (row.opened, row.contacted, row.settled, row.within_deadline, row.assignee_id) == (1, 1, 1, 1, agent.id)
    assert row.first_contact_minutes == {"40": 1}


def test_a_case_falls_overdue_with_the_clock_alone(db):
    """No write happens when a deadline passes: the open cases are read live."""
    ticket = _case(timezone.now())
    today = timezone.localdate()
    filters = ResponseFilter(start=today - timedelta(days=1), end=today + timedelta(days=1), today=today)
    followups_rollup.followup_rollup_refresh()
    before = dashboard_followup_report(filters=filters, now=timezone.now()).total
    after = dashboard_followup_report(filters=filters, now=ticket.first_contact_due_at + timedelta(minutes=1)).total
    assert (before.overdue_now, before.deadline_counted) == (0, 0)
    assert (after.overdue_now, after.deadline_counted, after.pct_within_deadline) == (1, 1, 0)


def test_the_first_refresh_counts_the_cases_that_were_there_before_it(db):
    """Installed on a site with cases (some imported, without events): its first refresh counts them all."""
    ticket = _case(timezone.now() - timedelta(days=3))
    TicketEvent.objects.filter(ticket=ticket).delete()
    assert followups_rollup.followup_rollup_refresh() >= 1
    assert DailyFollowup.objects.get(whole_month=False).opened == 1
