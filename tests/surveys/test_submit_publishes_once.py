"""The customer's request queues one item per answer, however many apps listen, and publishes a
drain message only when none is due: the worker's drain tells them (followups, insights,
customerview)."""

import pytest

from npsapp.doorbell import Doorbell
from surveys import services, signals
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


class QueueingDoorbell(Doorbell):
    """The answers' doorbell as the request sees it with a broker: what is queued, not handled."""

    def __init__(self):
        super().__init__("answers", task=signals._drain_task, handle=signals._announce)
        self.queued_items = []

    def push(self, item: str) -> bool:
        self.queued_items.append(item)
        return True


def test_an_answer_and_its_correction_each_queue_one_item(monkeypatch, django_capture_on_commit_callbacks):
    bell = QueueingDoorbell()
    monkeypatch.setattr(signals, "ANSWERS", bell)
    invitation = InvitationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = services.response_submit(invitation=invitation, score=1, comment="Late and broken")
    with django_capture_on_commit_callbacks(execute=True):
        services.response_correct(response=response, score=2, comment="Late and broken")
    assert bell.queued_items == [f"{response.pk}:0", f"{response.pk}:1"]


def test_the_worker_tells_every_listener_of_each_queued_answer():
    heard = []
    first = services.response_submit(invitation=InvitationFactory(), score=1, comment="Late")
    second = services.response_submit(invitation=InvitationFactory(), score=9)

    def listener(sender, response, corrected, **kwargs):
        heard.append((response.pk, response.survey_id, corrected))

    signals.response_submitted.connect(listener, dispatch_uid="test-listener")
    try:
        signals._announce([f"{first.pk}:1", f"{second.pk}:0", f"{first.pk}:0"])
    finally:
        signals.response_submitted.disconnect(dispatch_uid="test-listener")
    assert heard == [
        (first.pk, first.survey_id, True),
        (second.pk, second.survey_id, False),
        (first.pk, first.survey_id, False),
    ]


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


def test_the_beats_drain_finds_nothing_to_do_in_the_embedded_mode(settings):
    """Without a broker each answer is told at once; the embedded scheduler's drain has no Redis to ask."""
    from surveys.tasks import responses_announce_task

    assert settings.CELERY_BEAT_SCHEDULE["answers-announce"]["task"] == responses_announce_task.name
    assert responses_announce_task() == 0
