"""The customer's request sends one message per answer, however many apps listen: the worker
that receives it tells them (followups, insights, customerview)."""

import pytest

from npsapp import publish as publishing
from surveys import services, signals
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def test_a_detractor_with_a_comment_costs_its_request_one_message(monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(publishing, "publish", lambda task, *args: sent.append((task.name, args)))
    invitation = InvitationFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        response = services.response_submit(invitation=invitation, score=1, comment="Late and broken")
    for callback in callbacks:
        callback()
    assert sent == [("surveys.tasks.response_submitted_task", (response.pk, False))]


def test_the_worker_tells_every_listener(monkeypatch):
    heard = []
    invitation = InvitationFactory()
    response = services.response_submit(invitation=invitation, score=1, comment="Late")

    def listener(sender, response, corrected, **kwargs):
        heard.append((response.pk, response.survey_id, corrected))

    signals.response_submitted.connect(listener, dispatch_uid="test-listener")
    try:
        signals.response_submitted_send(response.pk, corrected=True)
    finally:
        signals.response_submitted.disconnect(dispatch_uid="test-listener")
    assert heard == [(response.pk, invitation.survey_id, True)]


def test_an_answer_gone_before_the_worker_reads_it_is_not_announced():
    heard = []

    def listener(sender, **kwargs):
        heard.append(kwargs)

    signals.response_submitted.connect(listener, dispatch_uid="test-listener")
    try:
        signals.response_submitted_send(987654, corrected=False)
    finally:
        signals.response_submitted.disconnect(dispatch_uid="test-listener")
    assert heard == []
