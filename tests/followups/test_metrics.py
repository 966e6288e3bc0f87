from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from followups import services
from followups.metrics import followup_report, percentile
from followups.models import Team, Ticket
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
    # Re-surveyed after resolution: came back as a promoter.
    ResponseFactory(
        score=9, customer=fast.customer, invitation__customer=fast.customer, submitted_at=start + timedelta(days=5)
    )

    with django_assert_num_queries(2):
        report = followup_report(tickets=Ticket.objects.all(), now=timezone.now())
    total = report.total
    assert (total.opened, total.contacted, total.within_deadline, total.overdue_now) == (3, 2, 1, 1)
    assert total.pct_within_deadline == 50
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
