from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from followups import services
from followups.models import Ticket, TicketEvent
from followups.tasks import tickets_mark_breached_task
from integrations.models import WebhookDelivery, WebhookSubscription
from tests.factories import ResponseFactory


@pytest.fixture
def ticket(db):
    """Opened now, first contact due in 48 hours."""
    return services.ticket_open_for_response(response=ResponseFactory(score=2, comment="Never arrived"))


def _breach_events(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket, field="breached_at").values_list("actor", "new_value"))


def test_marked_once_even_when_two_runs_race(ticket):
    after_deadline = ticket.first_contact_due_at + timedelta(minutes=1)
    # Two beats loaded the same case before either marked it.
    first, second = Ticket.objects.get(id=ticket.id), Ticket.objects.get(id=ticket.id)
    assert services.ticket_mark_breached(ticket=first, now=after_deadline) is True
    assert services.ticket_mark_breached(ticket=second, now=after_deadline + timedelta(minutes=1)) is False
    ticket.refresh_from_db()
    assert ticket.breached_at == after_deadline
    assert _breach_events(ticket) == [(None, after_deadline.isoformat())]


def test_not_marked_before_the_deadline(ticket):
    assert services.ticket_mark_breached(ticket=ticket, now=ticket.first_contact_due_at - timedelta(seconds=1)) is False
    ticket.refresh_from_db()
    assert ticket.breached_at is None and _breach_events(ticket) == []


def test_beat_task_twice_marks_each_overdue_case_once(db):
    now = timezone.now()
    overdue = services.ticket_open_for_response(
        response=ResponseFactory(score=1, submitted_at=now - timedelta(hours=49))
    )
    on_time = services.ticket_open_for_response(
        response=ResponseFactory(score=3, submitted_at=now - timedelta(hours=47))
    )
    with time_machine.travel(now, tick=False):
        assert tickets_mark_breached_task() == 1
        assert tickets_mark_breached_task() == 0
    overdue.refresh_from_db()
    on_time.refresh_from_db()
    assert overdue.breached_at == now and on_time.breached_at is None
    assert len(_breach_events(overdue)) == 1 and _breach_events(on_time) == []
    # The case still shows as overdue in the inbox: marking changes nothing else.
    assert overdue.is_overdue(now) and overdue.status == "new"


def test_contacted_or_resolved_cases_are_not_marked(db, agent):
    submitted = timezone.now() - timedelta(hours=60)
    contacted = services.ticket_open_for_response(response=ResponseFactory(score=2, submitted_at=submitted))
    services.ticket_mark_contacted(ticket=contacted, actor=agent, channel="phone")
    resolved = services.ticket_open_for_response(response=ResponseFactory(score=2, submitted_at=submitted))
    services.ticket_resolve(ticket=resolved, actor=agent, outcome="no_reply")

    assert tickets_mark_breached_task() == 0
    assert not Ticket.objects.filter(breached_at__isnull=False).exists()
    assert not TicketEvent.objects.filter(field="breached_at").exists()


def test_case_breached_is_sent_once(db, django_capture_on_commit_callbacks):
    subscription = WebhookSubscription.objects.create(
        name="Pager", url="https://hooks.example.com/x", events=["case.breached"], is_active=True
    )
    ticket = services.ticket_open_for_response(
        response=ResponseFactory(score=0, submitted_at=timezone.now() - timedelta(hours=50))
    )
    with django_capture_on_commit_callbacks() as published:  # queued, not sent
        tickets_mark_breached_task()
        tickets_mark_breached_task()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.subscription, delivery.event) == (subscription, "case.breached")
    assert delivery.payload["data"]["case"]["id"] == str(ticket.public_id)
    assert delivery.payload["data"]["case"]["breached_at"] is not None
    assert len(published) == 1


@pytest.mark.django_db(transaction=True)
def test_two_beats_running_at_the_same_moment_notify_once(django_user_model):
    """Real concurrency (two connections) on PostgreSQL; SQLite serialises writers anyway."""
    import threading

    from django.core import mail
    from django.db import connection, connections

    from followups.models import TicketNotification
    from followups.tasks import notifications_digest_task, tickets_check_deadlines_task
    from npsapp import roles

    if connection.vendor != "postgresql":
        pytest.skip("needs a database with concurrent writers")
    manager = django_user_model.objects.create_user("maria", email="maria@example.com")
    from django.contrib.auth.models import Group

    manager.groups.add(Group.objects.get_or_create(name=roles.MANAGER)[0])
    now = timezone.now().replace(hour=10)  # daytime in Paris
    with time_machine.travel(now, tick=False):
        for _ in range(5):
            services.ticket_open_for_response(response=ResponseFactory(score=1, submitted_at=now - timedelta(hours=49)))
        start = threading.Barrier(2)
        results = []

        def beat():
            try:
                start.wait()
                results.append(tickets_check_deadlines_task())
                results.append(notifications_digest_task())
            finally:
                connections.close_all()

        threads = [threading.Thread(target=beat) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    breached = [r["breached"] for r in results if isinstance(r, dict)]
    assert sorted(breached) == [0, 5] or sum(breached) == 5
    assert TicketNotification.objects.filter(kind="breach").count() == 5
    assert TicketEvent.objects.filter(field="breached_at").count() == 5
    assert len(mail.outbox) == 5  # one email per case to the one manager
