"""A worker that dies while sending an email must not leave it in "sending" for ever."""

import uuid
from datetime import date, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.template.loader import render_to_string
from django.test import RequestFactory

from conversations import selectors, services, tasks
from conversations.models import Delivery, LoopRecipient, Message
from surveys.models import ResponseTheme
from tests.conversations.factories import ThemeFactory, case_for

SEND = "django.core.mail.EmailMultiAlternatives.send"
START = datetime.fromisoformat("2026-03-10 10:00+00:00")
STOPPED = "The sending worker stopped before the email was confirmed sent."


class WorkerKilled(BaseException):
    """What the worker's process dying looks like from inside the send: nothing after it runs."""


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ticket(db, clock):
    return case_for(first_name="Jeanne", email="jeanne@example.com", language="en")


def _reply(ticket, agent, capture) -> Message:
    with capture(execute=False):
        return services.message_reply_send(ticket=ticket, actor=agent, subject="About your order", body="Sorry.")


def _deliver_and_die(message: Message, *, attempts_before: int = 0) -> None:
    Message.objects.filter(id=message.id).update(delivery_attempts=attempts_before)
    with mock.patch(SEND, side_effect=WorkerKilled), pytest.raises(WorkerKilled):
        services.message_deliver(message_id=message.id)
    message.refresh_from_db()
    assert message.delivery_status == Delivery.SENDING


def test_a_reply_stuck_past_the_lease_is_sent_by_the_reconciliation(
    ticket, agent, clock, django_capture_on_commit_callbacks
):
    message = _reply(ticket, agent, django_capture_on_commit_callbacks)
    _deliver_and_die(message)
    clock.shift(services.SENDING_LEASE + timedelta(minutes=1))
    tasks.messages_reconcile_task.delay()
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_attempts) == (Delivery.SENT, 2)
    assert [email.to for email in mail.outbox] == [["jeanne@example.com"]]


def test_a_reply_within_the_lease_is_left_to_its_worker(ticket, agent, clock, django_capture_on_commit_callbacks):
    message = _reply(ticket, agent, django_capture_on_commit_callbacks)
    _deliver_and_die(message)
    clock.shift(services.SENDING_LEASE - timedelta(minutes=1))
    assert services.deliveries_release_stale() == 0
    tasks.messages_reconcile_task.delay()
    message.refresh_from_db()
    assert message.delivery_status == Delivery.SENDING
    assert mail.outbox == []


def test_a_reply_claimed_before_leases_existed_is_released(ticket, agent, django_capture_on_commit_callbacks):
    message = _reply(ticket, agent, django_capture_on_commit_callbacks)
    Message.objects.filter(id=message.id).update(delivery_status=Delivery.SENDING, delivery_attempts=1, claimed_at=None)
    assert services.deliveries_release_stale() == 1
    message.refresh_from_db()
    assert message.delivery_status == Delivery.PENDING


def test_a_reply_stuck_on_its_last_attempt_fails_and_the_case_says_why(
    ticket, agent, clock, django_capture_on_commit_callbacks
):
    message = _reply(ticket, agent, django_capture_on_commit_callbacks)
    _deliver_and_die(message, attempts_before=services.MAX_DELIVERY_ATTEMPTS - 1)
    clock.shift(services.SENDING_LEASE + timedelta(minutes=1))
    tasks.messages_reconcile_task.delay()
    message.refresh_from_db()
    assert (message.delivery_status, message.failure_reason) == (Delivery.FAILED, STOPPED)
    assert mail.outbox == []
    request = RequestFactory().get("/")
    request.user = agent
    html = render_to_string(
        "conversations/_case_conversation.html",
        {"ticket": ticket, "conversation": selectors.case_conversation(ticket=ticket, user=agent)},
        request=request,
    )
    assert "Not delivered" in html and STOPPED in html


def test_releasing_twice_changes_nothing_the_second_time(ticket, agent, clock, django_capture_on_commit_callbacks):
    retried = _reply(ticket, agent, django_capture_on_commit_callbacks)
    _deliver_and_die(retried)
    exhausted = _reply(ticket, agent, django_capture_on_commit_callbacks)
    _deliver_and_die(exhausted, attempts_before=services.MAX_DELIVERY_ATTEMPTS - 1)
    clock.shift(services.SENDING_LEASE + timedelta(minutes=1))
    assert services.deliveries_release_stale() == 2
    states = _states()
    assert states == [(Delivery.PENDING, 1, ""), (Delivery.FAILED, services.MAX_DELIVERY_ATTEMPTS, STOPPED)]
    assert services.deliveries_release_stale() == 0
    assert _states() == states


def _states() -> list[tuple]:
    return list(Message.objects.order_by("id").values_list("delivery_status", "delivery_attempts", "failure_reason"))


# --- Close the loop -------------------------------------------------------------------------------


@pytest.fixture
def loop_recipient(ticket, manager, django_capture_on_commit_callbacks):
    """Jeanne's close-the-loop email, whose worker died while sending it."""
    theme = ThemeFactory()
    ResponseTheme.objects.create(response=ticket.response, theme=theme, source="manual")
    with django_capture_on_commit_callbacks(execute=False):
        loop = services.loop_message_send(
            key=uuid.uuid4(),
            theme=theme,
            actor=manager,
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
            subject_en="We fixed deliveries",
            body_en="Hello {first_name}, deliveries are fixed.",
            subject_fr="Les livraisons sont réparées",
            body_fr="Bonjour {first_name}, les livraisons sont réparées.",
        )
    (recipient,) = loop.recipients.all()
    with mock.patch(SEND, side_effect=WorkerKilled), pytest.raises(WorkerKilled):
        services.loop_recipient_deliver(recipient_id=recipient.id)
    recipient.refresh_from_db()
    assert recipient.delivery_status == Delivery.SENDING
    return recipient


def test_a_loop_email_stuck_past_the_lease_is_sent_by_the_reconciliation(loop_recipient, clock):
    clock.shift(services.SENDING_LEASE + timedelta(minutes=1))
    tasks.messages_reconcile_task.delay()
    loop_recipient.refresh_from_db()
    assert (loop_recipient.delivery_status, loop_recipient.delivery_attempts) == (Delivery.SENT, 2)
    assert [email.to for email in mail.outbox] == [["jeanne@example.com"]]
    assert set(Message.objects.filter(loop_recipient=loop_recipient).values_list("delivery_status", flat=True)) == {
        Delivery.SENT
    }


def test_a_loop_email_within_the_lease_is_left_to_its_worker(loop_recipient, clock):
    clock.shift(services.SENDING_LEASE - timedelta(minutes=1))
    assert services.deliveries_release_stale() == 0
    loop_recipient.refresh_from_db()
    assert loop_recipient.delivery_status == Delivery.SENDING


def test_a_loop_email_stuck_on_its_last_attempt_fails_on_the_case_too(loop_recipient, clock):
    LoopRecipient.objects.filter(id=loop_recipient.id).update(delivery_attempts=services.MAX_DELIVERY_ATTEMPTS)
    clock.shift(services.SENDING_LEASE + timedelta(minutes=1))
    assert services.deliveries_release_stale() == 1
    loop_recipient.refresh_from_db()
    assert (loop_recipient.delivery_status, loop_recipient.failure_reason) == (Delivery.FAILED, STOPPED)
    case_message = Message.objects.get(loop_recipient=loop_recipient)
    assert (case_message.delivery_status, case_message.failure_reason) == (Delivery.FAILED, STOPPED)
    assert services.deliveries_release_stale() == 0
