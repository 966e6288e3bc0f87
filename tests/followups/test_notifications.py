"""Deadline warnings and breach alerts: once per case and kind, never at night, a morning digest."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from followups import notifications, services
from followups.models import Ticket, TicketEvent, TicketNotification
from followups.tasks import notifications_digest_task, tickets_check_deadlines_task
from tests.factories import SurveyFactory
from tests.followups.factories import office_calendar, open_case, team_of

# Tuesday 2 June 2026, 10:00 UTC = 12:00 in Paris (summer time).
T0 = datetime(2026, 6, 2, 10, 0, tzinfo=UTC)


def travel(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def case(db, agent):
    """Opened at T0, due T0 + 48 h, held by Alice; a 4-hour warning lead."""
    with travel(T0):
        ticket = open_case(score=2, comment="Broken on arrival")
        services.ticket_claim(ticket=ticket, actor=agent)
    agent.email = "alice@example.com"
    agent.save()
    return ticket


@pytest.fixture
def managers(manager, django_user_model):
    manager.email = "maria@example.com"
    manager.save()
    second = django_user_model.objects.create_user("marc", email="marc@example.com")
    second.groups.add(*manager.groups.all())
    return [manager, second]


def test_warning_goes_to_the_assignee_once(case):
    due = case.first_contact_due_at
    with travel(due - timedelta(hours=4, minutes=1)):
        assert tickets_check_deadlines_task() == {"warned": 0, "breached": 0}
    with travel(due - timedelta(hours=4)):  # Thursday 08:00 Paris: the day has started
        assert tickets_check_deadlines_task() == {"warned": 1, "breached": 0}
        assert tickets_check_deadlines_task() == {"warned": 0, "breached": 0}
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert case.reference in mail.outbox[0].subject
    assert "Broken on arrival" not in mail.outbox[0].body  # a pointer to the case, not the verbatim
    notification = TicketNotification.objects.get()
    assert (notification.kind, notification.delivered_at) == ("warning", due - timedelta(hours=4))
    case.refresh_from_db()
    assert case.warned_at == due - timedelta(hours=4)
    assert TicketEvent.objects.filter(ticket=case, kind="warned", actor=None).count() == 1


def test_two_beats_that_loaded_the_same_case_warn_once(case):
    moment = case.first_contact_due_at - timedelta(hours=2)
    first, second = Ticket.objects.get(id=case.id), Ticket.objects.get(id=case.id)
    with travel(moment):
        assert services.ticket_warn(ticket=first, now=moment) is True
        assert services.ticket_warn(ticket=second, now=moment) is False
    assert len(mail.outbox) == 1
    assert TicketNotification.objects.count() == 1


def test_a_notification_row_claimed_elsewhere_is_not_sent_again(case):
    moment = case.first_contact_due_at + timedelta(minutes=1)
    TicketNotification.objects.create(ticket=case, kind="breach", created_at=moment)  # a retried task's first run
    with travel(moment):
        assert services.ticket_mark_breached(ticket=case, now=moment) is True
    assert mail.outbox == []


def test_breach_at_night_waits_for_the_morning_digest(db, managers):
    # Opened Friday 21:30 Paris: due Sunday 21:30, after hours; a second case due at 23:00.
    friday_night = datetime(2026, 6, 5, 19, 30, tzinfo=UTC)
    with travel(friday_night):
        first = open_case(score=0)
    with travel(friday_night + timedelta(minutes=90)):
        second = open_case(score=5)
    sunday_night = friday_night + timedelta(hours=49, minutes=45)  # 23:15 Paris
    with travel(sunday_night):
        # Past due already: no warning any more, only the breach.
        assert tickets_check_deadlines_task() == {"warned": 0, "breached": 2}
        assert tickets_check_deadlines_task()["breached"] == 0
        assert notifications_digest_task() == 0
    assert mail.outbox == []
    assert TicketNotification.objects.filter(delivered_at__isnull=True, kind="breach").count() == 2
    with travel(datetime(2026, 6, 8, 5, 59, tzinfo=UTC)):  # Monday 07:59
        assert notifications_digest_task() == 0
    monday = datetime(2026, 6, 8, 6, 0, tzinfo=UTC)  # 08:00 Paris
    with travel(monday):
        assert notifications_digest_task() == 2
        assert notifications_digest_task() == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["marc@example.com", "maria@example.com"]
    body = mail.outbox[0].body
    assert first.reference in body and second.reference in body
    assert "2 cases missed their first-contact deadline" in body
    assert not TicketNotification.objects.filter(delivered_at__isnull=True).exists()


def test_breach_in_the_day_goes_to_the_managers_of_the_team(db, managers, agent):
    care_manager = managers[1]
    survey = SurveyFactory(team=team_of(agent, care_manager))
    with travel(T0):
        ticket = open_case(score=1, survey=survey, invitation__survey=survey)
    with travel(ticket.first_contact_due_at + timedelta(minutes=1)):
        tickets_check_deadlines_task()
    breach = [m for m in mail.outbox if "missed" in m.subject]
    assert [m.to for m in breach] == [["marc@example.com"]]


def test_an_unassigned_warning_goes_to_the_team_agents(db, agent, other_agent):
    agent.email, other_agent.email = "alice@example.com", "bob@example.com"
    agent.save()
    other_agent.save()
    survey = SurveyFactory(team=team_of(agent, other_agent))
    with travel(T0):
        ticket = open_case(score=1, survey=survey, invitation__survey=survey)
    Ticket.objects.filter(id=ticket.id).update(assignee=None)
    with travel(ticket.first_contact_due_at - timedelta(hours=1)):
        assert tickets_check_deadlines_task()["warned"] == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]


def test_no_warning_when_the_lead_is_zero_nor_for_contacted_or_paused_cases(db, agent):
    quiet = SurveyFactory(warning_lead_hours=0)
    with travel(T0):
        silent = open_case(score=2, survey=quiet, invitation__survey=quiet)
        contacted = open_case(score=2)
        services.ticket_mark_contacted(ticket=contacted, actor=agent, channel="phone")
        paused = open_case(score=2)  # paused before waiting needed a first contact
        Ticket.objects.filter(id=paused.id).update(status="waiting", clock_paused_at=T0)
    with travel(T0 + timedelta(hours=47)):
        assert tickets_check_deadlines_task() == {"warned": 0, "breached": 0}
    with travel(T0 + timedelta(hours=49)):
        # The quiet survey still breaches; the paused and contacted cases do not.
        assert tickets_check_deadlines_task() == {"warned": 0, "breached": 1}
    silent.refresh_from_db()
    assert silent.breached_at is not None
    assert Ticket.objects.filter(breached_at__isnull=False).count() == 1


def test_a_business_calendar_holds_notifications_over_the_weekend(db, managers):
    survey = SurveyFactory(sla_clock="business_hours", first_contact_hours=2, business_calendar=office_calendar())
    friday = datetime(2026, 6, 5, 15, 0, tzinfo=UTC)  # 17:00 Paris: due Monday 10:00
    with travel(friday):
        ticket = open_case(score=3, survey=survey, invitation__survey=survey)
    assert ticket.first_contact_due_at == datetime(2026, 6, 8, 8, 0, tzinfo=UTC)
    # The warning lead is wall-clock hours: 4 hours before 10:00 is 06:00, when the office is closed.
    with travel(datetime(2026, 6, 8, 3, 59, tzinfo=UTC)):
        assert tickets_check_deadlines_task()["warned"] == 0
    with travel(datetime(2026, 6, 8, 4, 0, tzinfo=UTC)):
        assert tickets_check_deadlines_task()["warned"] == 1
        assert notifications_digest_task() == 0
    assert mail.outbox == []
    with travel(datetime(2026, 6, 8, 7, 0, tzinfo=UTC)):  # Monday 09:00 Paris, the office opens
        # Unassigned and no team: the managers hear about the warning.
        assert notifications_digest_task() == 2
    assert len(mail.outbox) == 2


def test_a_configured_calendar_decides_for_elapsed_clocks(db, settings, case):
    settings.NPSAPP_NOTIFICATION_CALENDAR = "Paris office"
    office_calendar()
    lunch = datetime(2026, 6, 3, 10, 30, tzinfo=UTC)  # Wednesday 12:30 Paris
    assert notifications.calendar_for(case.survey).timezone == "Europe/Paris"
    with travel(lunch):
        assert services.ticket_warn(ticket=case, now=lunch) is True
        assert notifications_digest_task() == 0
    assert mail.outbox == []  # daytime, but the office is at lunch
    settings.NPSAPP_NOTIFICATION_CALENDAR = ""
    with travel(lunch):
        assert notifications_digest_task() == 1


def test_the_digest_sends_each_notification_once_when_runs_overlap(db, managers, case):
    night = datetime(2026, 6, 3, 22, 0, tzinfo=UTC)
    with travel(night):
        services.ticket_warn(ticket=case, now=night)
    morning = datetime(2026, 6, 4, 6, 0, tzinfo=UTC)
    with travel(morning):
        assert notifications_digest_task() == 1
        assert notifications_digest_task() == 0
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_a_held_warning_is_dropped_when_the_case_was_contacted_meanwhile(db, case, agent):
    night = datetime(2026, 6, 3, 22, 0, tzinfo=UTC)
    with travel(night):
        services.ticket_warn(ticket=case, now=night)
        services.ticket_mark_contacted(ticket=case, actor=agent, channel="phone")
    with travel(datetime(2026, 6, 4, 6, 0, tzinfo=UTC)):
        assert notifications_digest_task() == 0
    assert mail.outbox == []
    assert not TicketNotification.objects.filter(delivered_at__isnull=True).exists()


def _queries_on(table: str, captured) -> int:
    return sum(f'"{table}"' in query["sql"] for query in captured.captured_queries)


def test_a_beat_reads_a_calendar_once_whatever_the_number_of_cases(db, managers):
    survey = SurveyFactory(sla_clock="business_hours", first_contact_hours=2, business_calendar=office_calendar())
    with travel(datetime(2026, 6, 2, 7, 0, tzinfo=UTC)):  # Tuesday 09:00 Paris: due 11:00
        for _ in range(3):
            open_case(score=1, survey=survey, invitation__survey=survey)
    with travel(datetime(2026, 6, 2, 9, 30, tzinfo=UTC)), CaptureQueriesContext(connection) as captured:
        assert tickets_check_deadlines_task() == {"warned": 0, "breached": 3}
    assert len(mail.outbox) == 2 * 3  # in office hours: each breach goes to both managers at once
    assert _queries_on("followups_openinghours", captured) == 1
    assert _queries_on("followups_holiday", captured) == 1


def test_the_digest_looks_up_who_to_tell_once_per_team(db, managers):
    friday_night = datetime(2026, 6, 5, 19, 30, tzinfo=UTC)
    with travel(friday_night):
        for _ in range(3):
            open_case(score=0)
    with travel(friday_night + timedelta(hours=49, minutes=45)):
        assert tickets_check_deadlines_task()["breached"] == 3
    with travel(datetime(2026, 6, 8, 6, 0, tzinfo=UTC)), CaptureQueriesContext(connection) as captured:
        assert notifications_digest_task() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["marc@example.com", "maria@example.com"]
    # One for the notifications (their assignees joined in), one for the managers.
    assert _queries_on("auth_user", captured) == 2
