import smtplib
import uuid
from datetime import date
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from conversations import services, tasks
from conversations.models import LoopRecipient, Message
from surveys.models import ResponseTheme
from tests.conversations.factories import ThemeFactory, case_for
from tests.factories import CustomerFactory, InvitationFactory, ResponseFactory, SurveyFactory

TEXTS = {
    "subject_en": "We fixed deliveries",
    "body_en": "Hello {first_name}, deliveries are fixed.",
    "subject_fr": "Les livraisons sont réparées",
    "body_fr": "Bonjour {first_name}, les livraisons sont réparées.",
}
PERIOD = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}


def _tag(response, theme):
    ResponseTheme.objects.create(response=response, theme=theme, source="manual")


@pytest.fixture
def theme(db):
    return ThemeFactory()


@pytest.fixture
def audience(theme):
    """Who should get it, who should not, as named customers."""
    with time_machine.travel("2026-03-10 10:00Z"):
        jeanne_case = case_for(first_name="Jeanne", language="fr")
        _tag(jeanne_case.response, theme)
        # Jeanne answered twice about deliveries: one email, both cases show it.
        second = ResponseFactory(invitation=InvitationFactory(customer=jeanne_case.customer), score=1, comment="Again")
        from followups.services import ticket_open_for_response

        jeanne_case_2 = ticket_open_for_response(response=second)
        _tag(second, theme)
        # A passive who mentioned deliveries: no case, still told.
        paul = CustomerFactory(first_name="Paul")
        _tag(ResponseFactory(invitation=InvitationFactory(customer=paul), score=7), theme)
        # A promoter who mentioned them ("faster than expected") did not complain: not told.
        pia = CustomerFactory(first_name="Pia")
        _tag(
            ResponseFactory(invitation=InvitationFactory(customer=pia), score=9, comment="Faster than expected"), theme
        )
        skipped = {
            "no_email": CustomerFactory(email=""),
            "erased": CustomerFactory(erased_at=timezone.now()),
            "opted_out": CustomerFactory(surveys_opted_out_at=timezone.now()),
        }
        for customer in skipped.values():
            _tag(ResponseFactory(invitation=InvitationFactory(customer=customer), score=2), theme)
        anonymous = CustomerFactory()
        _tag(
            ResponseFactory(
                invitation=InvitationFactory(customer=anonymous, survey=SurveyFactory(is_anonymous=True)),
                customer=anonymous,
                score=2,
            ),
            theme,
        )
        # Another theme, and the right theme outside the period: not told.
        other = CustomerFactory()
        _tag(ResponseFactory(invitation=InvitationFactory(customer=other), score=2), ThemeFactory(name="Price"))
    with time_machine.travel("2026-04-02 10:00Z"):
        late = CustomerFactory()
        _tag(ResponseFactory(invitation=InvitationFactory(customer=late), score=2), theme)
    return {"jeanne": jeanne_case.customer, "paul": paul, "pia": pia, "cases": [jeanne_case, jeanne_case_2]}


def _send(theme, manager, key=None):
    return services.loop_message_send(key=key or uuid.uuid4(), theme=theme, actor=manager, **PERIOD, **TEXTS)


def test_each_customer_with_the_theme_gets_one_email_in_their_language(
    theme, audience, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        loop = _send(theme, manager)
    assert loop.recipient_count == 2
    assert sorted(email.to[0] for email in mail.outbox) == sorted([audience["jeanne"].email, audience["paul"].email])
    by_address = {email.to[0]: email for email in mail.outbox}
    jeanne_email = by_address[audience["jeanne"].email]
    assert jeanne_email.subject == "Les livraisons sont réparées"
    assert "Bonjour Jeanne, les livraisons sont réparées." in jeanne_email.body
    assert "Hello Paul, deliveries are fixed." in by_address[audience["paul"].email].body
    assert set(LoopRecipient.objects.values_list("delivery_status", flat=True)) == {"sent"}


def test_each_affected_case_shows_the_email(theme, audience, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _send(theme, manager)
    for case in audience["cases"]:
        message = Message.objects.get(ticket=case)
        assert (message.kind, message.direction, message.delivery_status) == ("loop", "out", "sent")
        # And the case's history says who told the customer about which fix.
        (event,) = case.events.filter(kind="loop_message")
        assert (event.actor, event.new_value, event.body) == (manager, theme.name, TEXTS["subject_en"])
    # The email carries the reply link of her latest case.
    jeanne_email = next(e for e in mail.outbox if e.to == [audience["jeanne"].email])
    latest = Message.objects.filter(ticket__in=audience["cases"]).order_by("-ticket__opened_at").first()
    assert latest.reply_url in jeanne_email.body


def test_confirming_twice_sends_once(theme, audience, manager, django_capture_on_commit_callbacks):
    key = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        first = _send(theme, manager, key)
        second = _send(theme, manager, key)
    assert first.id == second.id
    assert len(mail.outbox) == 2


def test_a_rerun_batch_sends_nobody_twice(theme, audience, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        loop = _send(theme, manager)
    ids = list(loop.recipients.values_list("id", flat=True))
    tasks.loop_batch_send_task.delay(loop.id, ids)
    assert len(mail.outbox) == 2


def test_a_failed_address_is_recorded_and_the_others_are_sent(
    theme, audience, manager, django_capture_on_commit_callbacks
):
    refused = smtplib.SMTPRecipientsRefused({"x": (550, b"unknown")})
    real_send = mail.EmailMultiAlternatives.send

    def send(email, *args, **kwargs):
        if email.to == [audience["paul"].email]:
            raise refused
        return real_send(email, *args, **kwargs)

    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", autospec=True, side_effect=send),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _send(theme, manager)
    statuses = dict(LoopRecipient.objects.values_list("customer__first_name", "delivery_status"))
    assert statuses == {"Jeanne": "sent", "Paul": "failed"}
    assert len(mail.outbox) == 1


def test_texts_in_both_languages_are_required(theme, manager):
    with pytest.raises(ValidationError) as error:
        services.loop_message_send(key=uuid.uuid4(), theme=theme, actor=manager, **PERIOD, **{**TEXTS, "body_fr": " "})
    assert "body_fr" in error.value.message_dict
