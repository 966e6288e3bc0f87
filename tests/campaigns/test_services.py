import smtplib
from datetime import timedelta
from unittest.mock import patch

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from campaigns import selectors, services
from campaigns.choices import CampaignStatus, SkipReason
from campaigns.models import Campaign, CampaignSkip
from crm.models import CustomAttribute
from surveys.choices import DeliveryStatus
from surveys.models import Invitation
from tests.campaigns.factories import CampaignFactory
from tests.factories import CustomerFactory, InvitationFactory, PurchaseFactory, ResponseFactory, SurveyFactory

pytestmark = pytest.mark.django_db


# Audience -----------------------------------------------------------------------------------------


def test_audience_filters_by_profile_purchase_newsletter_and_custom_attribute():
    CustomAttribute.objects.create(key="store", label="Store", type="choice", choices="Paris\nLyon")
    wanted = CustomerFactory(
        region="Bretagne", plan="premium", newsletter_subscribed=True, custom_attributes={"store": "Lyon"}
    )
    PurchaseFactory(customer=wanted, product_category="Lighting")
    CustomerFactory(region="Bretagne", plan="premium", newsletter_subscribed=True, custom_attributes={"store": "Paris"})
    CustomerFactory(region="Alsace", plan="premium", newsletter_subscribed=True, custom_attributes={"store": "Lyon"})
    no_purchase = CustomerFactory(
        region="Bretagne", plan="premium", newsletter_subscribed=True, custom_attributes={"store": "Lyon"}
    )
    audience = {"region": "Bretagne", "plan": "premium", "newsletter": "yes", "attr_store": "Lyon"}

    assert set(selectors.audience_customers(audience=audience)) == {wanted, no_purchase}
    assert list(selectors.audience_customers(audience={**audience, "category": "Lighting"})) == [wanted]


def test_audience_count_tells_matching_from_invitable():
    survey = SurveyFactory()
    CustomerFactory()
    CustomerFactory(email="")
    CustomerFactory(surveys_opted_out_at=timezone.now())
    InvitationFactory(survey=SurveyFactory(), customer=CustomerFactory(), delivery_status=DeliveryStatus.SENT)

    count = selectors.audience_count(audience={}, survey=survey)

    assert (count.matching, count.invitable, count.skipped) == (4, 1, 3)


# Create and cancel --------------------------------------------------------------------------------


def test_campaign_create_refuses_what_cannot_go_out(manager):
    CustomerFactory()
    now = timezone.now()
    with pytest.raises(ValidationError) as inactive:
        services.campaign_create(name="x", survey=SurveyFactory(is_active=False), audience={}, send_at=now)
    with pytest.raises(ValidationError) as past:
        services.campaign_create(name="x", survey=SurveyFactory(), audience={}, send_at=now - timedelta(minutes=10))
    with pytest.raises(ValidationError) as nobody:
        services.campaign_create(name="x", survey=SurveyFactory(), audience={"region": "Nowhere"}, send_at=now)

    assert "survey" in inactive.value.message_dict
    assert "send_at" in past.value.message_dict
    assert "No customer matches" in nobody.value.message_dict["__all__"][0]
    assert not Campaign.objects.exists()


def test_campaign_create_refuses_a_survey_without_question_text(manager):
    CustomerFactory()
    for survey in (SurveyFactory(question="   "), SurveyFactory(question="", brand__name=" ")):
        with pytest.raises(ValidationError) as exc:
            services.campaign_create(name="x", survey=survey, audience={}, send_at=timezone.now())
        assert "no question text" in exc.value.message_dict["survey"][0]


def test_campaign_create_refuses_an_audience_nobody_of_which_can_be_invited():
    CustomerFactory(email="")
    with pytest.raises(ValidationError) as exc:
        services.campaign_create(name="x", survey=SurveyFactory(), audience={}, send_at=timezone.now())
    assert "None of the 1 matching customers" in exc.value.messages[0]


def test_campaign_create_accepts_a_send_time_a_few_minutes_old(manager):
    CustomerFactory()
    campaign = services.campaign_create(
        name=" Spring ",
        survey=SurveyFactory(),
        audience={"region": ""},
        send_at=timezone.now() - timedelta(minutes=2),
        created_by=manager,
    )
    assert (campaign.name, campaign.audience, campaign.status) == ("Spring", {}, CampaignStatus.SCHEDULED)


def test_cancel_only_a_scheduled_campaign():
    campaign = CampaignFactory()
    services.campaign_cancel(campaign=campaign)
    assert campaign.status == CampaignStatus.CANCELLED
    with pytest.raises(ValidationError):
        services.campaign_cancel(campaign=campaign)
    # A cancelled campaign is never started.
    assert services.campaigns_start_due() == 0


# Start: invitations in bulk, skips with reasons ---------------------------------------------------------


def test_start_creates_invitations_and_skips_then_sends_them(django_capture_on_commit_callbacks):
    survey = SurveyFactory(link_valid_days=10)
    french = CustomerFactory(language="fr", first_name="Jeanne")
    english = CustomerFactory(language="")
    no_email = CustomerFactory(email="")
    unsubscribed = CustomerFactory(surveys_opted_out_at=timezone.now())
    erased = CustomerFactory(erased_at=timezone.now())
    recent = CustomerFactory()
    InvitationFactory(customer=recent, survey=SurveyFactory(), delivery_status=DeliveryStatus.SENT)
    campaign = CampaignFactory(survey=survey)
    now = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        batches = services.campaign_start(campaign_id=campaign.id, now=now)

    invitations = {i.customer_id: i for i in Invitation.objects.filter(campaign=campaign)}
    assert set(invitations) == {french.id, english.id}
    assert sum(len(b) for b in batches) == 2
    assert invitations[french.id].language == "fr"
    assert invitations[english.id].language == "en"
    assert invitations[french.id].expires_at == now + timedelta(days=10)
    assert {i.delivery_status for i in invitations.values()} == {DeliveryStatus.SENT}
    assert all(i.sent_at and i.delivery_attempts == 1 for i in invitations.values())
    skips = dict(CampaignSkip.objects.filter(campaign=campaign).values_list("customer_id", "reason"))
    assert skips == {
        no_email.id: SkipReason.NO_EMAIL,
        unsubscribed.id: SkipReason.UNSUBSCRIBED,
        erased.id: SkipReason.ERASED,
        recent.id: SkipReason.RECENTLY_INVITED,
    }
    assert len(mail.outbox) == 2
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT and campaign.finished_at is not None


def test_fatigue_uses_the_survey_setting_and_ignores_old_or_failed_invitations(settings):
    settings.NPSAPP_CONTACT_FATIGUE_DAYS = 90
    old = CustomerFactory()
    InvitationFactory(customer=old, created_at=timezone.now() - timedelta(days=40), delivery_status="sent")
    failed = CustomerFactory()
    InvitationFactory(customer=failed, delivery_status=DeliveryStatus.FAILED)

    site_wide = CampaignFactory()
    services.campaign_start(campaign_id=site_wide.id, publish=False)
    assert set(CampaignSkip.objects.filter(campaign=site_wide).values_list("customer_id", flat=True)) == {old.id}
    assert Invitation.objects.filter(campaign=site_wide, customer=failed).exists()

    # The fatigue window of this survey is shorter than the old invitation's age: invited.
    short = CampaignFactory(survey=SurveyFactory(contact_fatigue_days=30))
    Invitation.objects.filter(campaign=site_wide).update(delivery_status=DeliveryStatus.FAILED)
    services.campaign_start(campaign_id=short.id, publish=False)
    assert Invitation.objects.filter(campaign=short, customer=old).exists()


def test_a_campaign_is_started_once_and_not_before_its_time():
    CustomerFactory()
    later = CampaignFactory(send_at=timezone.now() + timedelta(hours=1))
    due = CampaignFactory()

    assert services.campaigns_start_due() == 1
    assert services.campaigns_start_due() == 0
    assert services.campaign_start(campaign_id=due.id) is None
    assert Invitation.objects.filter(campaign=due).count() == 1
    assert not Invitation.objects.filter(campaign=later).exists()


def test_a_failure_while_creating_rolls_the_claim_back(monkeypatch):
    CustomerFactory()
    campaign = CampaignFactory()

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services.CampaignSkip.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        services.campaign_start(campaign_id=campaign.id)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert not Invitation.objects.exists()


def test_start_query_count_does_not_grow_with_the_audience(django_assert_max_num_queries):
    for _ in range(30):
        CustomerFactory()
    campaign = CampaignFactory()
    with django_assert_max_num_queries(8):
        services.campaign_start(campaign_id=campaign.id, publish=False)
    assert Invitation.objects.filter(campaign=campaign).count() == 30


# Send: one batch, transient and permanent errors --------------------------------------------------------


class FlakyBackend:
    """A mail connection failing for some addresses, with a chosen exception."""

    errors: dict = {}

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        for message in messages:
            error = self.errors.get(message.to[0])
            if error is not None:
                raise error
            mail.outbox.append(message)
        return len(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.campaigns.test_services.FlakyBackend"
    FlakyBackend.errors = {}
    yield FlakyBackend
    FlakyBackend.errors = {}


def _queued(campaign, customer):
    return Invitation.objects.create(
        survey=campaign.survey, customer=customer, campaign=campaign, delivery_status=DeliveryStatus.QUEUED
    )


def test_send_batch_keeps_transient_failures_queued_and_fails_permanent_ones(flaky):
    campaign = CampaignFactory(status=CampaignStatus.SENDING)
    ok = _queued(campaign, CustomerFactory(email="ok@example.com"))
    busy = _queued(campaign, CustomerFactory(email="busy@example.com"))
    refused = _queued(campaign, CustomerFactory(email="nobody@example.com"))
    flaky.errors = {
        "busy@example.com": smtplib.SMTPServerDisconnected("connection lost"),
        "nobody@example.com": smtplib.SMTPRecipientsRefused({"nobody@example.com": (550, b"no such user")}),
    }

    retry = services.invitations_send_batch(invitation_ids=[ok.id, busy.id, refused.id])

    assert retry == [busy.id]
    ok.refresh_from_db(), busy.refresh_from_db(), refused.refresh_from_db()
    assert ok.delivery_status == DeliveryStatus.SENT
    assert (busy.delivery_status, busy.delivery_attempts) == (DeliveryStatus.QUEUED, 1)
    assert "connection lost" in busy.failure_reason
    assert refused.delivery_status == DeliveryStatus.FAILED
    assert "SMTPRecipientsRefused" in refused.failure_reason

    # The last attempt marks the transient failure failed, with its reason.
    assert services.invitations_send_batch(invitation_ids=[busy.id], final_attempt=True) == []
    busy.refresh_from_db()
    assert (busy.delivery_status, busy.delivery_attempts) == (DeliveryStatus.FAILED, 2)


def test_send_batch_twice_mails_nobody_twice():
    campaign = CampaignFactory(status=CampaignStatus.SENDING)
    invitation = _queued(campaign, CustomerFactory())
    services.invitations_send_batch(invitation_ids=[invitation.id])
    services.invitations_send_batch(invitation_ids=[invitation.id])
    assert len(mail.outbox) == 1


def test_send_withholds_the_email_of_a_customer_who_unsubscribed_after_the_start():
    campaign = CampaignFactory(status=CampaignStatus.SENDING)
    invitation = _queued(campaign, CustomerFactory(surveys_opted_out_at=timezone.now()))
    services.invitations_send_batch(invitation_ids=[invitation.id])
    invitation.refresh_from_db()
    assert invitation.delivery_status == DeliveryStatus.SKIPPED
    assert mail.outbox == []


def test_transient_errors_are_classified():
    assert services.is_transient(smtplib.SMTPResponseException(421, b"try later"))
    assert services.is_transient(ConnectionRefusedError())
    assert not services.is_transient(smtplib.SMTPResponseException(554, b"rejected"))
    assert not services.is_transient(smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"unknown")}))
    assert services.is_transient(smtplib.SMTPRecipientsRefused({"a@b.c": (452, b"mailbox full")}))


def test_stale_queued_invitations_are_published_again_once(monkeypatch):
    now = timezone.now()
    campaign = CampaignFactory(status=CampaignStatus.SENDING, started_at=now - timedelta(hours=3))
    invitation = _queued(campaign, CustomerFactory())
    published = []
    monkeypatch.setattr(services, "_publish_batches", published.extend)

    assert services.invitations_requeue_stale(now=now) == 1
    assert services.invitations_requeue_stale(now=now + timedelta(minutes=1)) == 0
    assert published == [[invitation.id]]


# Reminders --------------------------------------------------------------------------------------------


def _sent(campaign, customer, *, sent_days_ago: float, **extra):
    now = timezone.now()
    return Invitation.objects.create(
        survey=campaign.survey,
        customer=customer,
        campaign=campaign,
        delivery_status=DeliveryStatus.SENT,
        sent_at=now - timedelta(days=sent_days_ago),
        **extra,
    )


def test_one_reminder_to_non_respondents_only():
    campaign = CampaignFactory(
        survey=SurveyFactory(reminder_after_days=3),
        status=CampaignStatus.SENT,
        started_at=timezone.now() - timedelta(days=5),
    )
    due = _sent(campaign, CustomerFactory(email="due@example.com"), sent_days_ago=4)
    _sent(campaign, CustomerFactory(), sent_days_ago=1)  # too early
    answered = _sent(campaign, CustomerFactory(), sent_days_ago=4)
    ResponseFactory(invitation=answered)
    _sent(campaign, CustomerFactory(surveys_opted_out_at=timezone.now()), sent_days_ago=4)
    _sent(campaign, CustomerFactory(), sent_days_ago=4, expires_at=timezone.now() - timedelta(minutes=1))

    assert services.invitations_remind_due() == 1
    assert services.invitations_remind_due() == 0

    assert [m.to for m in mail.outbox] == [["due@example.com"]]
    assert mail.outbox[0].subject.startswith("Reminder:")
    due.refresh_from_db()
    assert due.reminded_at is not None


def test_no_reminder_when_the_survey_says_zero():
    campaign = CampaignFactory(
        survey=SurveyFactory(reminder_after_days=0),
        status=CampaignStatus.SENT,
        started_at=timezone.now() - timedelta(days=30),
    )
    _sent(campaign, CustomerFactory(), sent_days_ago=30)
    assert services.invitations_remind_due() == 0


# Unsubscribe ------------------------------------------------------------------------------------------


def test_unsubscribe_is_recorded_once_and_skips_later_campaigns():
    customer = CustomerFactory()
    assert services.customer_unsubscribe_from_surveys(customer=customer) is True
    assert services.customer_unsubscribe_from_surveys(customer=customer) is False
    CustomerFactory()
    campaign = CampaignFactory()
    services.campaign_start(campaign_id=campaign.id, publish=False)
    assert CampaignSkip.objects.get(campaign=campaign).reason == SkipReason.UNSUBSCRIBED


def test_a_batch_overlapping_another_runs_sends_only_what_is_left():
    campaign = CampaignFactory(status=CampaignStatus.SENDING)
    first, second = (_queued(campaign, CustomerFactory()) for _ in range(2))
    # Another run claimed the first one a moment ago and is sending it.
    Invitation.objects.filter(id=first.id).update(claimed_at=timezone.now(), delivery_attempts=1)

    services.invitations_send_batch(invitation_ids=[first.id, second.id])

    assert [message.to for message in mail.outbox] == [[second.customer.email]]
    first.refresh_from_db()
    assert (first.delivery_status, first.delivery_attempts) == (DeliveryStatus.QUEUED, 1)


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside the loop: nothing after it runs."""


class DyingBackend(BaseEmailBackend):
    """Delivers `lives` messages into mail.outbox, then dies on the next one before sending it."""

    lives = 0

    def send_messages(self, messages):
        for message in messages:
            if DyingBackend.lives <= 0:
                raise WorkerKilled
            DyingBackend.lives -= 1
            mail.outbox.append(message)
        return len(messages)


def test_a_batch_killed_mid_loop_then_run_again_mails_each_customer_exactly_once(settings):
    campaign = CampaignFactory(status=CampaignStatus.SENDING, started_at=timezone.now())
    invitations = [_queued(campaign, CustomerFactory()) for _ in range(6)]
    ids = [invitation.id for invitation in invitations]
    settings.EMAIL_BACKEND = "tests.campaigns.test_services.DyingBackend"
    DyingBackend.lives = 2
    with pytest.raises(WorkerKilled):
        services.invitations_send_batch(invitation_ids=ids)
    assert len(mail.outbox) == 2
    # What was sent is recorded as sent, one by one, not at the end of the loop.
    assert Invitation.objects.filter(delivery_status=DeliveryStatus.SENT).count() == 2

    # The message is delivered again at once (or a duplicate runs): the email the worker was
    # sending when it died stays with it until its lease runs out; the rest go out.
    DyingBackend.lives = 100
    services.invitations_send_batch(invitation_ids=ids)
    assert len(mail.outbox) == 5
    # Within the lease the beat does not publish anything again: the campaign is moving.
    assert services.invitations_requeue_stale(now=timezone.now() + timedelta(minutes=5)) == 0

    later = timezone.now() + services.SENDING_LEASE + timedelta(minutes=1)
    published = []
    with time_machine.travel(later, tick=False):
        with patch.object(services, "_publish_batches", published.extend):
            assert services.invitations_requeue_stale(now=later) == 1
        services.invitations_send_batch(invitation_ids=published[0])
    assert published == [[invitations[2].id]]
    assert sorted(recipient for message in mail.outbox for recipient in message.to) == sorted(
        invitation.customer.email for invitation in invitations
    )
    assert Invitation.objects.filter(delivery_status=DeliveryStatus.SENT).count() == 6
    services.campaigns_finish()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_a_campaign_that_stopped_is_published_again_within_a_lease_not_hours(monkeypatch):
    now = timezone.now()
    campaign = CampaignFactory(status=CampaignStatus.SENDING, started_at=now)
    sent = _queued(campaign, CustomerFactory())
    Invitation.objects.filter(id=sent.id).update(delivery_status=DeliveryStatus.SENT, claimed_at=now)
    waiting = _queued(campaign, CustomerFactory())
    published = []
    monkeypatch.setattr(services, "_publish_batches", published.extend)

    assert services.invitations_requeue_stale(now=now + timedelta(minutes=9)) == 0
    assert services.invitations_requeue_stale(now=now + timedelta(minutes=11)) == 1
    assert published == [[waiting.id]]


def test_an_invitation_whose_workers_keep_dying_is_stored_as_failed():
    now = timezone.now()
    campaign = CampaignFactory(status=CampaignStatus.SENDING, started_at=now - timedelta(hours=1))
    doomed = _queued(campaign, CustomerFactory())
    Invitation.objects.filter(id=doomed.id).update(
        claimed_at=now - timedelta(minutes=11), delivery_attempts=services.MAX_SEND_ATTEMPTS
    )
    assert services.invitations_requeue_stale(now=now) == 0
    doomed.refresh_from_db()
    assert doomed.delivery_status == DeliveryStatus.FAILED
    assert "stopped" in doomed.failure_reason


def test_a_survey_deactivated_before_the_send_time_cancels_the_campaign():
    CustomerFactory()
    campaign = CampaignFactory(survey=SurveyFactory(is_active=False))
    assert services.campaign_start(campaign_id=campaign.id) == []
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert not Invitation.objects.exists() and mail.outbox == []
