"""Close the loop tells the customers who complained, through the consent gate, once per theme."""

import uuid
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from campaigns import services as campaign_services
from conversations import selectors, services
from conversations.models import LoopMessage, LoopRecipient, Message
from followups.services import ticket_open_for_response
from surveys.models import ResponseTheme
from tests.conversations.factories import ThemeFactory, case_for
from tests.factories import CustomerFactory, InvitationFactory, ResponseFactory

pytestmark = pytest.mark.django_db

LOOP = reverse("conversations:close_the_loop")
TEXTS = {
    "subject_en": "We fixed deliveries",
    "body_en": "Hello {first_name}, deliveries are fixed.",
    "subject_fr": "Les livraisons sont réparées",
    "body_fr": "Bonjour {first_name}, les livraisons sont réparées.",
}
PERIOD = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}


def _answer(theme, score, **customer_fields):
    customer = CustomerFactory(**customer_fields)
    response = ResponseFactory(invitation=InvitationFactory(customer=customer), score=score, comment="delivery")
    ResponseTheme.objects.create(response=response, theme=theme, source="rule")
    return response


@pytest.fixture
def theme():
    return ThemeFactory()


@pytest.fixture
def mix(theme):
    """Who mentioned deliveries in March, and how."""
    with time_machine.travel("2026-03-10 10:00Z"):
        detractor = case_for(first_name="Dora").customer
        ResponseTheme.objects.create(response=detractor.responses.get(), theme=theme, source="manual")
        passive = _answer(theme, 7, first_name="Pascal").customer
        promoters = [_answer(theme, 9, first_name="Pia").customer, _answer(theme, 10, first_name="Paolo").customer]
        # Answered 2, had a case, then corrected the answer to 9: the case still carries the theme.
        corrected = _answer(theme, 2, first_name="Cora")
        ticket_open_for_response(response=corrected)
        type(corrected).objects.filter(pk=corrected.pk).update(score=9)
        unsubscribed = _answer(theme, 3, surveys_opted_out_at=timezone.now()).customer
        bounced = _answer(theme, 4).customer
        bounced.email_failed_at, bounced.email_failed_address = timezone.now(), bounced.email
        bounced.save()
    return {
        "detractor": detractor,
        "passive": passive,
        "promoters": promoters,
        "case": corrected.customer,
        "unsubscribed": unsubscribed,
        "bounced": bounced,
    }


def _send(theme, manager, **extra):
    return services.loop_message_send(key=uuid.uuid4(), theme=theme, actor=manager, **PERIOD, **TEXTS, **extra)


def test_only_those_who_complained_are_told(theme, mix, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        loop = _send(theme, manager)
    told = {recipient.customer for recipient in LoopRecipient.objects.filter(loop_message=loop)}
    assert told == {mix["detractor"], mix["passive"], mix["case"]}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.email for c in told)


def test_the_preview_shows_the_mix_and_each_reason_in_and_out(client, theme, mix, manager):
    client.force_login(manager)
    data = {"theme": theme.id, "period_start": "2026-03-01", "period_end": "2026-03-31", **TEXTS}
    page = client.post(LOOP, {**data, "action": "preview"})
    html = page.content.decode()
    assert "3 customers will receive this email." in html
    for line in (
        '<li data-reason="detractor">Detractor answer: 1</li>',
        '<li data-reason="passive">Passive answer: 1</li>',
        '<li data-reason="case">A case about it: 1</li>',
        '<li data-reason="promoter_only">Promoter only: mentioned it without complaining: 2</li>',
        '<li data-reason="unsubscribed">Unsubscribed from surveys: 1</li>',
        '<li data-reason="email_failed">Email address refused for good: 1</li>',
    ):
        assert line in html, line


def test_a_second_mailing_skips_those_already_told_unless_asked(
    theme, mix, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _send(theme, manager)
    mail.outbox.clear()
    audience = selectors.loop_audience(theme=theme, **PERIOD)
    assert audience.count == 0 and ("already_told", "Already told about this theme", 3) in audience.excluded

    with django_capture_on_commit_callbacks(execute=True):
        again = _send(theme, manager)
    assert again.recipient_count == 0 and mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        resent = _send(theme, manager, send_again=True)
    assert resent.recipient_count == 3 and len(mail.outbox) == 3
    assert LoopMessage.objects.get(pk=resent.pk).sent_again_to_told is True
    assert LoopMessage.objects.get(pk=again.pk).sent_again_to_told is False


def test_the_send_again_box_goes_through_the_page(client, theme, mix, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _send(theme, manager)
    client.force_login(manager)
    data = {"theme": theme.id, "period_start": "2026-03-01", "period_end": "2026-03-31", **TEXTS}
    assert "0 customers will receive" in client.post(LOOP, {**data, "action": "preview"}).content.decode()
    preview = client.post(LOOP, {**data, "send_again": "on", "action": "preview"})
    assert "3 customers will receive" in preview.content.decode()
    key = preview.context["form"]["key"].value()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(LOOP, {**data, "send_again": "on", "key": key, "action": "send"})
    assert LoopMessage.objects.get(key=key).sent_again_to_told is True
    assert "Sent again to those already told" in client.get(LOOP).content.decode()


def test_an_unsubscribe_after_the_mailing_was_created_stops_the_email(
    theme, mix, manager, django_capture_on_commit_callbacks
):
    loop = _send(theme, manager)  # created; the emails go out after commit (not run here)
    campaign_services.customer_unsubscribe_from_surveys(customer=mix["passive"])
    with django_capture_on_commit_callbacks(execute=True):
        for recipient in LoopRecipient.objects.filter(loop_message=loop):
            services.loop_recipient_deliver(recipient_id=recipient.id)
    assert mix["passive"].email not in [m.to[0] for m in mail.outbox]
    recipient = LoopRecipient.objects.get(loop_message=loop, customer=mix["passive"])
    assert (recipient.delivery_status, recipient.failure_reason) == ("failed", "Not sent: Unsubscribed from surveys")


def test_case_emails_still_reach_a_customer_who_left_surveys(manager, django_capture_on_commit_callbacks):
    ticket = case_for(surveys_opted_out_at=timezone.now() - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.message_reply_send(ticket=ticket, actor=manager, subject="About your parcel", body="Sorry.")
        services.customer_status_update_send(ticket=ticket, actor=manager)
    assert [m.to for m in mail.outbox] == [[ticket.customer.email]] * 2
    assert set(Message.objects.values_list("delivery_status", flat=True)) == {"sent"}


def test_the_preview_reads_a_fixed_number_of_queries(theme, mix, django_assert_num_queries):
    # The audience with its reasons (one query), then the first recipients (one query).
    with django_assert_num_queries(2):
        small = selectors.loop_preview(theme=theme, **PERIOD)
    with time_machine.travel("2026-03-11 10:00Z"):
        for _ in range(5):
            _answer(theme, 1)
    with django_assert_num_queries(2):
        large = selectors.loop_preview(theme=theme, **PERIOD)
    assert (small["count"], large["count"]) == (3, 8)
