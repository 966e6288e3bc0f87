from datetime import timedelta

import time_machine
from django.utils import timezone

from followups.models import Ticket
from followups.tasks import ticket_open_for_response_task, tickets_reconcile_task
from surveys.models import Response
from tests.factories import ResponseFactory


def test_running_the_task_twice_opens_one_ticket(db):
    response = ResponseFactory(score=3)
    ticket_open_for_response_task(response.id)
    ticket_open_for_response_task(response.id)
    assert Ticket.objects.filter(response=response).count() == 1
    assert Ticket.objects.get().events.count() == 1


def test_task_for_a_deleted_response_returns_quietly(db):
    ticket_open_for_response_task(987654)
    assert not Ticket.objects.exists()


def test_reconcile_opens_missing_tickets_for_detractors_older_than_a_minute(db, settings):
    settings.NPSAPP_RECONCILE_AFTER_SECONDS = 60
    now = timezone.now()
    old_detractor = ResponseFactory(score=0, submitted_at=now - timedelta(minutes=5))
    fresh_detractor = ResponseFactory(score=4, submitted_at=now - timedelta(seconds=10))
    ResponseFactory(score=8, submitted_at=now - timedelta(minutes=5))
    ResponseFactory(score=10, submitted_at=now - timedelta(minutes=5))

    with time_machine.travel(now, tick=False):
        assert tickets_reconcile_task() == 1
    assert list(Ticket.objects.values_list("response_id", flat=True)) == [old_detractor.id]

    with time_machine.travel(now + timedelta(minutes=2), tick=False):
        assert tickets_reconcile_task() == 1
        assert tickets_reconcile_task() == 0
    assert Ticket.objects.filter(response=fresh_detractor).count() == 1
    assert Ticket.objects.count() == 2


def test_reconcile_keeps_the_original_deadline(db, settings):
    settings.NPSAPP_RECONCILE_AFTER_SECONDS = 60
    submitted = timezone.now() - timedelta(hours=3)
    ResponseFactory(score=2, submitted_at=submitted)
    tickets_reconcile_task()
    assert Ticket.objects.get().first_contact_due_at == submitted + timedelta(hours=48)


def test_reconcile_covers_passives_of_surveys_with_outreach(db, settings):
    from tests.factories import SurveyFactory

    settings.NPSAPP_RECONCILE_AFTER_SECONDS = 60
    now = timezone.now()
    outreach = SurveyFactory(passive_outreach=True)
    passive = ResponseFactory(
        score=8, survey=outreach, invitation__survey=outreach, submitted_at=now - timedelta(minutes=5)
    )
    ResponseFactory(score=8, submitted_at=now - timedelta(minutes=5))  # survey without passive outreach
    with time_machine.travel(now, tick=False):
        assert tickets_reconcile_task() == 1
        assert tickets_reconcile_task() == 0
    assert Ticket.objects.get().response == passive
    assert Ticket.objects.get().kind == "passive"


def test_the_hook_runs_for_every_answer_and_opens_only_what_it_should(db):
    for score in range(11):
        ticket_open_for_response_task(ResponseFactory(score=score).id)
    assert Ticket.objects.count() == 7
    assert Ticket.objects.filter(priority="high").count() == 4


def test_the_deadline_task_reports_both_halves(db):
    from followups.tasks import tickets_check_deadlines_task

    now = timezone.now()
    ResponseFactory(score=2, submitted_at=now - timedelta(hours=47))
    ResponseFactory(score=2, submitted_at=now - timedelta(hours=49))
    for response in Response.objects.all():
        ticket_open_for_response_task(response.id)
    with time_machine.travel(now, tick=False):
        assert tickets_check_deadlines_task() == {"warned": 1, "breached": 1}
        assert tickets_check_deadlines_task() == {"warned": 0, "breached": 0}
