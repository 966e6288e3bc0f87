"""Follow-up hears of answers through the surveys app's hooks (surveys/signals.py), not by being called."""

from contextlib import contextmanager

import pytest
from django.db import transaction

from followups import hooks
from followups.models import Ticket, TicketEvent
from followups.services import survey_deadline_words
from surveys import services as survey_services
from surveys import signals
from tests.factories import InvitationFactory


@contextmanager
def _disconnected(signal, uid):
    assert signal.disconnect(dispatch_uid=uid)
    try:
        yield
    finally:
        hooks.connect()


def test_a_detractor_answer_opens_one_case_through_the_hook(invitation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = survey_services.response_submit(invitation=invitation, score=2, comment="Late")
    assert Ticket.objects.filter(response=response).count() == 1


def test_without_the_hook_no_case_is_opened(invitation, django_capture_on_commit_callbacks):
    with _disconnected(signals.response_submitted, "followups-open-case"):
        with django_capture_on_commit_callbacks(execute=True):
            survey_services.response_submit(invitation=invitation, score=2, comment="Late")
    assert not Ticket.objects.exists()


def test_a_correction_to_a_detractor_opens_the_case_through_the_hook(invitation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = survey_services.response_submit(invitation=invitation, score=9)
    assert not Ticket.objects.exists()
    with _disconnected(signals.response_submitted, "followups-open-case"):
        with django_capture_on_commit_callbacks(execute=True):
            survey_services.response_correct(response=response, score=2, comment="Actually broken")
    assert not Ticket.objects.exists()  # not heard: nothing opened
    for score in (1, 0):  # heard: opened once, and a second correction opens no second case
        with django_capture_on_commit_callbacks(execute=True):
            survey_services.response_correct(response=response, score=score, comment="Broken")
    ticket = Ticket.objects.get(response=response)
    assert TicketEvent.objects.filter(ticket=ticket, kind="opened").count() == 1


def test_the_hook_is_sent_once_per_answer_and_never_for_rolled_back_work(invitation):
    heard = []

    def listen(sender, response, corrected, **kwargs):
        heard.append((response.pk, corrected))

    signals.response_submitted.connect(listen, dispatch_uid="test-listen")
    try:
        with transaction.atomic():
            with transaction.atomic():
                survey_services.response_submit(invitation=invitation, score=2, comment="Late")
            transaction.set_rollback(True)
        assert heard == []
        with pytest.raises(RuntimeError), transaction.atomic():
            survey_services.response_submit(invitation=InvitationFactory(), score=2)
            raise RuntimeError
        assert heard == []
    finally:
        signals.response_submitted.disconnect(dispatch_uid="test-listen")


def test_a_failing_subscriber_does_not_stop_the_case(invitation, django_capture_on_commit_callbacks, caplog):
    def broken(sender, **kwargs):
        raise ValueError("broken subscriber")

    with _disconnected(signals.response_submitted, "followups-open-case"):
        signals.response_submitted.connect(broken, dispatch_uid="test-broken")
        hooks.connect()  # after the broken one
        try:
            with django_capture_on_commit_callbacks(execute=True):
                survey_services.response_submit(invitation=invitation, score=2, comment="Late")
        finally:
            signals.response_submitted.disconnect(dispatch_uid="test-broken")
    assert Ticket.objects.count() == 1
    assert "broken subscriber" in caplog.text


def test_the_promised_deadline_comes_from_follow_up(survey):
    assert signals.deadline_words(survey) == survey_deadline_words(survey) != ""
    with _disconnected(signals.deadline_words_requested, "followups-deadline-words"):
        assert signals.deadline_words(survey) == ""
