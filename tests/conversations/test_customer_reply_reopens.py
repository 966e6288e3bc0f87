"""A customer's reply is never missed: it reopens a done case, marks it in the inbox, and tells
the assignee (in their language, held outside business hours), through the reply page and
inbound email alike."""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.services import staff_language_set
from conversations import services
from followups import services as followup_services
from followups.models import Ticket, TicketNotification
from followups.tasks import notifications_digest_task
from tests.conversations.factories import case_for

DAYTIME = datetime(2026, 6, 2, 10, 0, tzinfo=UTC)  # a Tuesday, 12:00 in Paris
NIGHT = datetime(2026, 6, 2, 22, 0, tzinfo=UTC)  # 00:00 in Paris
INBOX = reverse("followups:inbox")


@pytest.fixture
def resolved(agent, django_capture_on_commit_callbacks):
    """A case Alice contacted by email and resolved: the customer has a reply link."""
    agent.email = "alice@example.com"
    agent.last_name = "Martin"
    agent.save()
    with time_machine.travel(DAYTIME, tick=False):
        ticket = case_for(first_name="Jeanne", email="jeanne@example.com")
        with django_capture_on_commit_callbacks(execute=True):
            message = services.message_reply_send(ticket=ticket, actor=agent, subject="Sorry", body="Refund sent")
        followup_services.ticket_set_status(ticket=ticket, actor=agent, status="resolved", outcome="recovered")
    mail.outbox.clear()
    return message


def _reply_page(client, message, body):
    return client.post(reverse("conversations:customer_reply", args=[message.reply_token]), {"body": body})


def _inbound(client, settings, message, body):
    settings.NPSAPP_INBOUND_EMAIL_SECRET = "s3cret"
    data = {"to": f"reply+{message.reply_token}@in.example.com", "from": "jeanne@example.com", "text": body}
    return client.post(
        reverse("conversations:inbound_email"),
        json.dumps(data),
        content_type="application/json",
        HTTP_X_NPSAPP_INBOUND_SECRET="s3cret",
    )


@pytest.mark.parametrize("channel", ["page", "email"])
def test_a_reply_reopens_the_resolved_case_and_notifies_the_assignee(
    client, settings, resolved, channel, django_capture_on_commit_callbacks
):
    with time_machine.travel(DAYTIME, tick=False), django_capture_on_commit_callbacks(execute=True):
        if channel == "page":
            assert _reply_page(client, resolved, "It broke again").status_code == 200
        else:
            assert _inbound(client, settings, resolved, "It broke again").status_code == 201
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.outcome, ticket.resolved_at) == ("contacted", "", None)
    assert ticket.customer_reply_unread_at is not None
    assert ticket.events.filter(kind="reopened", new_value="customer_reply", actor=None).count() == 1
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert ticket.reference in mail.outbox[0].subject and "replied" in mail.outbox[0].subject


def test_the_reply_notice_is_in_the_recipients_language(client, agent, resolved, django_capture_on_commit_callbacks):
    staff_language_set(user=agent, language="fr")
    with time_machine.travel(DAYTIME, tick=False), django_capture_on_commit_callbacks(execute=True):
        _reply_page(client, resolved, "Encore cassé")
    assert "a répondu" in mail.outbox[0].subject


def test_at_night_the_notice_waits_for_the_morning_digest_and_goes_once(
    client, resolved, django_capture_on_commit_callbacks
):
    with time_machine.travel(NIGHT, tick=False), django_capture_on_commit_callbacks(execute=True):
        _reply_page(client, resolved, "It broke again")
        assert notifications_digest_task() == 0
    assert mail.outbox == []
    assert TicketNotification.objects.get().delivered_at is None
    with time_machine.travel(DAYTIME.replace(day=3), tick=False):
        assert notifications_digest_task() == 1
        assert notifications_digest_task() == 0
    assert len(mail.outbox) == 1 and "1 customer replied" in mail.outbox[0].body


def test_two_replies_are_two_notices(client, resolved, django_capture_on_commit_callbacks):
    with time_machine.travel(DAYTIME, tick=False), django_capture_on_commit_callbacks(execute=True):
        _reply_page(client, resolved, "It broke again")
        _reply_page(client, resolved, "Hello?")
    assert len(mail.outbox) == 2


def test_the_inbox_marks_the_case_until_someone_who_may_work_it_opens_it(
    client, agent, outsider, resolved, django_capture_on_commit_callbacks
):
    with time_machine.travel(DAYTIME, tick=False), django_capture_on_commit_callbacks(execute=True):
        _reply_page(client, resolved, "It broke again")
    ticket = Ticket.objects.get()
    client.force_login(agent)
    page = client.get(INBOX)
    assert "Customer replied" in page.content.decode() and page.context["counts"]["replied"] == 1
    assert [t.id for t in client.get(INBOX, {"replied": "1"}).context["page"]] == [ticket.id]
    client.force_login(outsider)
    assert client.get(reverse("followups:ticket", args=[ticket.public_id])).status_code in (302, 403, 404)
    assert Ticket.objects.get().customer_reply_unread_at is not None
    client.force_login(agent)
    assert client.get(reverse("followups:ticket", args=[ticket.public_id])).status_code == 200
    assert Ticket.objects.get().customer_reply_unread_at is None
    assert list(client.get(INBOX, {"replied": "1"}).context["page"]) == []
    # A notice still held for the night is dropped once the reply was read.
    assert ticket.events.filter(kind="reply_read", actor=agent).count() == 1


def test_the_migration_marks_open_cases_whose_last_email_is_the_customers(
    client, agent, resolved, django_capture_on_commit_callbacks
):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("conversations.migrations.0007_mark_unanswered_replies_unread")
    with time_machine.travel(DAYTIME, tick=False), django_capture_on_commit_callbacks(execute=True):
        _reply_page(client, resolved, "It broke again")
    ticket = Ticket.objects.get()
    unanswered = Ticket.objects.filter(id=ticket.id)
    unanswered.update(customer_reply_unread_at=None)  # as before the marker existed
    migration.mark_unanswered(apps, None)
    assert Ticket.objects.get().customer_reply_unread_at is not None
    unanswered.update(customer_reply_unread_at=None, status="resolved")
    migration.mark_unanswered(apps, None)
    assert Ticket.objects.get().customer_reply_unread_at is None  # a done case's history is not new work
