import smtplib

import pytest
from django.core import mail

from campaigns import tasks
from campaigns.choices import CampaignStatus
from surveys.choices import DeliveryStatus
from surveys.models import Invitation
from tests.campaigns.factories import CampaignFactory
from tests.campaigns.test_services import flaky  # noqa: F401 - the fixture
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=False)


def test_backoff_doubles():
    assert [tasks.retry_countdown(n) for n in range(4)] == [60, 120, 240, 480]


def test_beat_task_starts_sends_and_finishes_a_due_campaign(django_capture_on_commit_callbacks):
    for _ in range(3):
        CustomerFactory()
    campaign = CampaignFactory()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.campaigns_start_due_task.delay().get() == 1

    assert len(mail.outbox) == 3
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_a_transient_error_is_retried_then_the_invitation_is_marked_failed(flaky, django_capture_on_commit_callbacks):  # noqa: F811
    CustomerFactory(email="down@example.com")
    CustomerFactory(email="fine@example.com")
    campaign = CampaignFactory()
    flaky.errors = {"down@example.com": smtplib.SMTPServerDisconnected("server went away")}

    with django_capture_on_commit_callbacks(execute=True):
        tasks.campaigns_start_due_task.delay()

    down = Invitation.objects.get(campaign=campaign, customer__email="down@example.com")
    fine = Invitation.objects.get(campaign=campaign, customer__email="fine@example.com")
    # Eager Celery runs the retries at once: one attempt plus MAX_SEND_RETRIES.
    assert (down.delivery_status, down.delivery_attempts) == (DeliveryStatus.FAILED, tasks.MAX_SEND_RETRIES + 1)
    assert "server went away" in down.failure_reason
    assert (fine.delivery_status, fine.delivery_attempts) == (DeliveryStatus.SENT, 1)
    assert [m.to for m in mail.outbox] == [["fine@example.com"]]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_a_server_back_before_the_last_retry_delivers(flaky, django_capture_on_commit_callbacks):  # noqa: F811
    CustomerFactory(email="later@example.com")
    campaign = CampaignFactory()
    calls = []
    original = flaky.send_messages

    def fail_twice(self, messages):
        calls.append(1)
        if len(calls) <= 2:
            raise smtplib.SMTPResponseException(421, b"busy")
        return original(self, messages)

    flaky.send_messages = fail_twice
    try:
        with django_capture_on_commit_callbacks(execute=True):
            tasks.campaigns_start_due_task.delay()
    finally:
        flaky.send_messages = original

    invitation = Invitation.objects.get(campaign=campaign)
    assert (invitation.delivery_status, invitation.delivery_attempts) == (DeliveryStatus.SENT, 3)
    assert invitation.failure_reason == ""
