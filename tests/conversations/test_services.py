import smtplib
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from conversations import selectors, services
from conversations.models import Delivery, Message, ReplyTemplate
from followups import services as followup_services
from followups.models import TicketEvent
from tests.conversations.factories import case_for
from tests.factories import SurveyFactory

SEND = "django.core.mail.EmailMultiAlternatives.send"


@pytest.fixture
def ticket(db):
    return case_for(first_name="Jeanne", email="jeanne@example.com", language="en")


def _reply(ticket, agent, **kwargs):
    kwargs = {"subject": "About your order", "body": "Hello Jeanne, I am sorry.", **kwargs}
    return services.message_reply_send(ticket=ticket, actor=agent, **kwargs)


def test_reply_is_stored_sent_and_counts_as_first_contact(ticket, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = _reply(ticket, agent)
    message.refresh_from_db()
    assert (message.direction, message.channel, message.kind, message.author) == ("out", "email", "reply", agent)
    assert message.delivery_status == Delivery.SENT and message.sent_at is not None
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["jeanne@example.com"]
    assert email.subject == "About your order"
    assert "Hello Jeanne, I am sorry." in email.body
    assert message.reply_url in email.body
    assert message.reply_url.endswith(f"/conversations/r/{message.reply_token}/")
    assert len(message.reply_token) >= 32
    ticket.refresh_from_db()
    assert ticket.status == "contacted"
    assert ticket.contact_channel == "email"
    assert ticket.first_contacted_at is not None
    assert ticket.events.filter(kind="contacted", new_value="email").exists()


def test_reply_to_address_carries_the_token_when_inbound_email_is_set_up(
    ticket, agent, settings, django_capture_on_commit_callbacks
):
    settings.NPSAPP_INBOUND_EMAIL_DOMAIN = "in.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        message = _reply(ticket, agent)
    assert mail.outbox[0].reply_to == [f"reply+{message.reply_token}@in.example.com"]


def test_the_email_leaves_only_after_commit(ticket, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _reply(ticket, agent)
    assert mail.outbox == []
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("customer_fields", "survey_fields", "reason"),
    [
        ({"email": ""}, {}, "no email address"),
        ({"erased_at": timezone.now()}, {}, "erased"),
        ({}, {"is_anonymous": True}, "anonymous"),
    ],
)
def test_nobody_to_email_is_a_clear_error_and_changes_nothing(
    db, agent, customer_fields, survey_fields, reason, django_capture_on_commit_callbacks
):
    ticket = case_for(survey=SurveyFactory(**survey_fields), **customer_fields)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as error:
        _reply(ticket, agent)
    assert reason in " ".join(error.value.messages)
    assert not Message.objects.exists()
    assert mail.outbox == []
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.first_contacted_at is None


def test_empty_text_is_refused(ticket, agent):
    with pytest.raises(ValidationError) as error:
        _reply(ticket, agent, subject=" ", body="  ")
    assert set(error.value.message_dict) == {"subject", "body"}


def test_an_internal_note_is_never_emailed(ticket, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        followup_services.ticket_add_note(ticket=ticket, actor=agent, body="Customer is a journalist, careful")
    assert mail.outbox == []
    assert not Message.objects.exists()


def test_a_transient_smtp_error_is_retried(ticket, agent, django_capture_on_commit_callbacks):
    with (
        mock.patch(SEND, side_effect=[smtplib.SMTPServerDisconnected("gone"), 1]) as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = _reply(ticket, agent)
    message.refresh_from_db()
    assert send.call_count == 2
    assert (message.delivery_status, message.delivery_attempts, message.failure_reason) == ("sent", 2, "")


def test_a_refused_address_fails_at_once_with_the_reason(ticket, agent, django_capture_on_commit_callbacks):
    refused = smtplib.SMTPRecipientsRefused({"jeanne@example.com": (550, b"no such user")})
    with mock.patch(SEND, side_effect=refused) as send, django_capture_on_commit_callbacks(execute=True):
        message = _reply(ticket, agent)
    message.refresh_from_db()
    assert send.call_count == 1
    assert message.delivery_status == "failed"
    assert "SMTPRecipientsRefused" in message.failure_reason


def test_a_server_down_for_good_fails_after_the_last_attempt(ticket, agent, django_capture_on_commit_callbacks):
    with (
        mock.patch(SEND, side_effect=ConnectionRefusedError("refused")) as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = _reply(ticket, agent)
    message.refresh_from_db()
    assert send.call_count == services.MAX_DELIVERY_ATTEMPTS
    assert message.delivery_status == "failed"
    assert "refused" in message.failure_reason


def test_delivering_twice_sends_once(ticket, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        message = _reply(ticket, agent)
    assert services.message_deliver(message_id=message.id) is True
    assert services.message_deliver(message_id=message.id) is False
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("status", "words"),
    [("new", "being handled"), ("waiting", "waiting for your reply"), ("resolved", "resolved")],
)
def test_status_update_says_the_status_in_customer_words(
    ticket, agent, status, words, django_capture_on_commit_callbacks
):
    type(ticket).objects.filter(id=ticket.id).update(status=status)
    ticket.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        message = services.customer_status_update_send(ticket=ticket, actor=agent)
    assert message.kind == "status"
    assert words in mail.outbox[0].subject
    assert ticket.reference in mail.outbox[0].body
    assert message.reply_url in mail.outbox[0].body


def test_status_update_is_written_in_the_customer_language(db, agent, django_capture_on_commit_callbacks):
    ticket = case_for(language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        message = services.customer_status_update_send(ticket=ticket, actor=agent)
    assert message.language == "fr"


def test_status_update_to_a_customer_without_email_is_refused(db, agent):
    ticket = case_for(email="")
    with pytest.raises(ValidationError):
        services.customer_status_update_send(ticket=ticket, actor=agent)
    assert not Message.objects.exists()


# --- Customer replies --------------------------------------------------------------------------


def test_customer_reply_is_stored_and_resumes_a_waiting_case(ticket, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outbound = _reply(ticket, agent)
    followup_services.ticket_set_status(ticket=ticket, actor=agent, status="waiting")
    reply = services.customer_reply_receive(message=outbound, body="  It was the blue lamp.  ")
    assert (reply.direction, reply.kind, reply.channel, reply.body) == (
        "in",
        "customer",
        "web",
        "It was the blue lamp.",
    )
    assert reply.in_reply_to == outbound
    assert reply.subject == "Re: About your order"
    ticket.refresh_from_db()
    assert ticket.status == "contacted"
    assert TicketEvent.objects.filter(ticket=ticket, kind="customer_replied").exists()


def test_an_expired_reply_link_is_refused(ticket, agent, settings):
    with time_machine.travel(timezone.now() - timedelta(days=settings.NPSAPP_REPLY_LINK_DAYS + 1)):
        outbound = _reply(ticket, agent)
    with pytest.raises(services.ReplyLinkExpired):
        services.customer_reply_receive(message=outbound, body="Hello?")
    assert not Message.objects.filter(direction="in").exists()


def test_inbound_email_finds_the_case_by_token_and_drops_the_quote(ticket, agent):
    outbound = _reply(ticket, agent)
    text = "Thanks, yes please call me.\n\nOn Mon, 4 May 2026, Alice wrote:\n> Hello Jeanne\n> I am sorry"
    reply = services.inbound_email_receive(
        to=f"Support <reply+{outbound.reply_token}@in.example.com>",
        sender="Jeanne Moreau <jeanne@example.com>",
        subject="Re: About your order",
        text=text,
    )
    assert reply.ticket_id == ticket.id
    assert reply.channel == "email"
    assert reply.body == "Thanks, yes please call me."
    assert reply.email == "jeanne@example.com"


def test_inbound_email_with_an_unknown_token_is_rejected(db):
    with pytest.raises(Message.DoesNotExist):
        services.inbound_email_receive(to="reply+nosuchtokenatallxx@in.example.com", sender="", subject="", text="Hi")


# --- Templates ------------------------------------------------------------------------------------


def test_defaults_are_seeded_for_each_segment_and_language(db):
    pairs = set(ReplyTemplate.objects.filter(is_default=True).values_list("segment", "language"))
    assert pairs == {(s, lang) for s in ("detractor", "passive", "promoter") for lang in ("en", "fr")}


def test_default_template_follows_segment_and_language_and_personalises(db, agent):
    ticket = case_for(score=2, comment="Too slow", first_name="Luc", language="fr")
    conversation = selectors.case_conversation(ticket=ticket, user=agent)
    assert (conversation["reply_template"].segment, conversation["reply_template"].language) == ("detractor", "fr")
    body = conversation["reply_form"].initial["body"]
    assert body.startswith("Bonjour Luc,")
    assert "2 sur 10" in body and "« Too slow »" in body
    assert "Alice" in body


def test_without_a_comment_the_template_asks_why(db, agent):
    ticket = case_for(score=5, comment="", first_name="Ann", language="en")
    ticket_template = ReplyTemplate.objects.get(segment="detractor", language="en", is_default=True)
    values = selectors.placeholder_values(ticket=ticket, recipient=selectors.ticket_recipient(ticket), agent=agent)
    _subject, body = selectors.reply_template_render(template=ticket_template, values=values)
    assert "Could you tell me what went wrong?" in body
    assert "{comment}" not in body and "“”" not in body


def test_erasing_a_customer_blanks_their_emails_and_kills_the_reply_link(ticket, agent):
    message = _reply(ticket, agent, body="Hello Jeanne, about your lamp")
    services.customer_reply_receive(message=message, body="My address is 1 rue X")
    counts = services.customer_messages_erase(customer=ticket.customer, ticket_ids=[ticket.id])
    assert counts["messages_redacted"] == 2
    assert set(Message.objects.values_list("body", "email", "reply_token")) == {("[erased]", "", None)}
    assert selectors.outbound_message_for_token(message.reply_token) is None


def test_lost_task_messages_are_sent_by_the_reconciliation(ticket, agent, django_capture_on_commit_callbacks):
    from conversations.tasks import messages_reconcile_task

    with time_machine.travel(timezone.now() - timedelta(minutes=30)):
        with django_capture_on_commit_callbacks(execute=False):
            message = _reply(ticket, agent)
    assert mail.outbox == []
    messages_reconcile_task.delay()
    message.refresh_from_db()
    assert message.delivery_status == "sent"
    assert len(mail.outbox) == 1
