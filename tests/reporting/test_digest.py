from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from followups import services as followups
from reporting.digest import TREND_WEEKS, digest_build, digest_send_weekly
from reporting.tasks import weekly_digest_task
from tests.factories import ResponseFactory

# Monday 10 March 2025, 07:00 in Paris: the digest covers Monday 3 to Sunday 9 March.
NOW = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)
LAST_WEEK = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
WEEK_BEFORE = datetime(2025, 2, 26, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def managers(manager, admin_user, agent):
    for user in (manager, admin_user, agent):
        user.email = f"{user.username}@example.com"
        user.save()
    return [manager, admin_user]


def _overdue_case(**customer):
    fields = {f"invitation__customer__{name}": value for name, value in customer.items()}
    response = ResponseFactory(score=1, submitted_at=NOW - timedelta(days=20), **fields)
    return followups.ticket_open_for_response(response=response)


def test_one_email_per_manager_and_admin_with_nps_and_overdue_cases(managers, agent):
    for score in [10, 10, 9, 8, 7, 6, 0, 10, 9, 2]:  # +20
        ResponseFactory(score=score, submitted_at=LAST_WEEK)
    ResponseFactory(score=0, submitted_at=WEEK_BEFORE)
    _overdue_case(first_name="Jeanne", last_name="<b>Moreau</b>")
    _overdue_case()

    assert digest_send_weekly() == 2

    assert sorted(message.to[0] for message in mail.outbox) == ["maria@example.com", "root@example.com"]
    message = mail.outbox[0]
    assert message.subject == "Weekly NPS: +20 (n = 10), 2 overdue cases"
    assert "NPS +20   n = 10" in message.body
    assert "Promoters 50 % · Passives 20 % · Detractors 30 %" in message.body
    assert "The 7 days before: NPS -100   n = 1" in message.body
    assert "2 cases overdue for first contact" in message.body
    assert "http://127.0.0.1:8000/cases/" in message.body
    assert "<b>Moreau</b>" in message.body  # plain text is not escaped
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "+20" in html
    assert "&lt;b&gt;Moreau&lt;/b&gt;" in html and "<b>Moreau" not in html


def test_no_answers_is_no_score_not_zero(managers):
    digest_send_weekly()
    message = mail.outbox[0]
    assert message.subject == "Weekly NPS: — (n = 0), 0 overdue cases"
    assert "NPS —   n = 0" in message.body
    assert "NPS 0" not in message.body and "NPS +0" not in message.body
    assert "No comparison" in message.body


def test_significance_of_the_change(managers):
    for _ in range(40):
        ResponseFactory(score=10, submitted_at=LAST_WEEK)
        ResponseFactory(score=0, submitted_at=WEEK_BEFORE)
    digest = digest_build()
    assert digest.change == 200
    assert digest.change_is_significant is True
    digest_send_weekly()
    assert "+200 points: a real change" in mail.outbox[0].body


def test_trend_covers_eight_weeks_ending_yesterday(db):
    ResponseFactory(score=10, submitted_at=datetime(2025, 3, 9, 22, 30, tzinfo=UTC))  # Sunday 23:30 in Paris
    ResponseFactory(score=10, submitted_at=datetime(2025, 3, 9, 23, 30, tzinfo=UTC))  # Monday: next digest
    ResponseFactory(score=0, submitted_at=datetime(2025, 1, 13, 12, 0, tzinfo=UTC))  # first day of the trend
    digest = digest_build()
    assert len(digest.weeks) == TREND_WEEKS
    assert (digest.weeks[0].start.isoformat(), digest.weeks[-1].end.isoformat()) == ("2025-01-13", "2025-03-09")
    assert [week.result.n for week in digest.weeks] == [1, 0, 0, 0, 0, 0, 0, 1]


def test_lists_the_ten_oldest_overdue_cases(db):
    cases = [_overdue_case() for _ in range(12)]
    contacted = _overdue_case()
    followups.ticket_mark_contacted(ticket=contacted, actor=None, channel="phone")
    digest = digest_build()
    assert digest.overdue_cases == 12
    assert [case.reference for case in digest.oldest_overdue] == [case.reference for case in cases[:10]]
    assert digest.oldest_overdue[0].url.endswith(f"/cases/{cases[0].public_id}/")


def test_inactive_and_addressless_managers_get_nothing(manager, admin_user):
    manager.email = "maria@example.com"
    manager.is_active = False
    manager.save()
    assert digest_send_weekly() == 0
    assert mail.outbox == []


def test_task_sends_the_digest(managers):
    weekly_digest_task.delay()
    assert len(mail.outbox) == 2


def test_running_twice_mails_nobody_twice(managers):
    assert digest_send_weekly() == len(mail.outbox) > 0
    sent = len(mail.outbox)
    assert digest_send_weekly() == 0
    assert len(mail.outbox) == sent
