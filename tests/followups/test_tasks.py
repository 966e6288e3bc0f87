from datetime import timedelta

import time_machine
from django.utils import timezone

from followups.models import Ticket
from followups.tasks import ticket_open_for_response_task, tickets_reconcile_task
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
