"""Campaigns ask the consent gate: at creation, at send time and for the reminder."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from campaigns import selectors, services
from campaigns.choices import CampaignStatus
from campaigns.models import CampaignSkip
from surveys.choices import DeliveryStatus
from surveys.models import Invitation
from tests.campaigns.factories import CampaignFactory
from tests.factories import CustomerFactory, InvitationFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def _failed_address(**extra):
    customer = CustomerFactory(**extra)
    customer.email_failed_at, customer.email_failed_address = timezone.now(), customer.email
    customer.save()
    return customer


def test_a_campaign_skips_an_address_refused_for_good_and_counts_each_reason():
    ok = CustomerFactory()
    failed = _failed_address()
    CustomerFactory(surveys_opted_out_at=timezone.now())
    CustomerFactory(surveys_opted_out_at=timezone.now())
    recent = CustomerFactory()
    InvitationFactory(customer=recent, delivery_status=DeliveryStatus.SENT)

    count = selectors.audience_count(audience={}, survey=None)
    assert (count.matching, count.invitable) == (5, 1)
    assert [(code, n) for code, _label, n in count.skipped_by_reason] == [
        ("unsubscribed", 2),
        ("email_failed", 1),
        ("recently_invited", 1),
    ]

    campaign = CampaignFactory()
    services.campaign_start(campaign_id=campaign.id, publish=False)
    assert list(Invitation.objects.filter(campaign=campaign).values_list("customer", flat=True)) == [ok.id]
    assert CampaignSkip.objects.get(campaign=campaign, customer=failed).reason == "email_failed"


def test_the_form_lists_each_rule_with_its_count(client, manager):
    CustomerFactory()
    CustomerFactory(surveys_opted_out_at=timezone.now())
    _failed_address()
    CustomerFactory(email="")
    client.force_login(manager)
    html = client.get("/campaigns/new/count/").content.decode()
    assert '<li data-reason="unsubscribed">Unsubscribed from surveys: 1</li>' in html
    assert '<li data-reason="email_failed">Email address refused for good: 1</li>' in html
    assert '<li data-reason="no_email">No email address: 1</li>' in html
    assert "invited recently, unsubscribed, no email address or erased" not in html


def test_creating_a_campaign_nobody_may_receive_names_the_rules():
    survey = SurveyFactory()
    CustomerFactory(surveys_opted_out_at=timezone.now())
    _failed_address()
    with pytest.raises(Exception) as caught:
        services.campaign_create(name="All", survey=survey, audience={}, send_at=timezone.now())
    text = " ".join(caught.value.messages)
    assert "Unsubscribed from surveys: 1" in text and "Email address refused for good: 1" in text


def _queued(campaign, customer):
    return Invitation.objects.create(
        survey=campaign.survey, customer=customer, campaign=campaign, delivery_status=DeliveryStatus.QUEUED
    )


def test_send_time_withholds_a_late_unsubscribe_and_a_refused_address(client, manager):
    campaign = CampaignFactory(status=CampaignStatus.SENDING)
    ok = _queued(campaign, CustomerFactory(email="ok@example.com"))
    late = _queued(campaign, CustomerFactory())
    bounced = _queued(campaign, CustomerFactory())
    # After the invitations were created: one unsubscribes, one address bounces for good elsewhere.
    services.customer_unsubscribe_from_surveys(customer=late.customer)
    _mark_failed(bounced.customer)

    services.invitations_send_batch(invitation_ids=[ok.id, late.id, bounced.id])

    assert [m.to for m in mail.outbox] == [["ok@example.com"]]
    late.refresh_from_db(), bounced.refresh_from_db()
    assert (late.delivery_status, late.failure_reason) == (DeliveryStatus.SKIPPED, "Unsubscribed from surveys")
    assert (bounced.delivery_status, bounced.failure_reason) == (
        DeliveryStatus.SKIPPED,
        "Email address refused for good",
    )
    counts = selectors.campaign_counts(campaign=campaign)
    assert counts.withheld_by_reason == [("Email address refused for good", 1), ("Unsubscribed from surveys", 1)]
    client.force_login(manager)
    page = client.get(f"/campaigns/{campaign.id}/").content.decode()
    assert "and 2 withheld at send time:" in page
    assert "<span data-withheld>Unsubscribed from surveys: 1</span>" in page


def _mark_failed(customer):
    customer.email_failed_at, customer.email_failed_address = timezone.now(), customer.email
    customer.save()


def test_a_recipient_refused_for_good_is_recorded_on_the_customer(monkeypatch):
    campaign = CampaignFactory(status=CampaignStatus.SENDING)
    invitation = _queued(campaign, CustomerFactory(email="nobody@example.com"))

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"nobody@example.com": (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    services.invitations_send_batch(invitation_ids=[invitation.id])
    invitation.customer.refresh_from_db()
    assert invitation.customer.email_failed_address == "nobody@example.com"
    # The next campaign skips them.
    later = CampaignFactory()
    services.campaign_start(campaign_id=later.id, publish=False)
    assert CampaignSkip.objects.get(campaign=later, customer=invitation.customer).reason == "email_failed"


def test_no_reminder_past_the_gate():
    campaign = CampaignFactory(
        survey=SurveyFactory(reminder_after_days=3),
        status=CampaignStatus.SENT,
        started_at=timezone.now() - timedelta(days=5),
    )
    now = timezone.now()

    def sent(customer):
        return Invitation.objects.create(
            survey=campaign.survey,
            customer=customer,
            campaign=campaign,
            delivery_status=DeliveryStatus.SENT,
            created_at=now - timedelta(days=5),
            sent_at=now - timedelta(days=4),
        )

    due = sent(CustomerFactory(email="due@example.com"))
    sent(_failed_address())
    # Invited to another survey since (an API call): one more email would be too many.
    surveyed_since = sent(CustomerFactory())
    InvitationFactory(customer=surveyed_since.customer, created_at=now - timedelta(days=1))

    assert services.invitations_remind_due() == 1
    assert [m.to for m in mail.outbox] == [["due@example.com"]]
    due.refresh_from_db()
    assert due.reminded_at is not None


def test_the_create_page_refuses_an_audience_nobody_may_receive_with_a_count_per_rule(client, manager):
    survey = SurveyFactory()
    CustomerFactory(surveys_opted_out_at=timezone.now())
    CustomerFactory(surveys_opted_out_at=timezone.now())
    _failed_address()
    client.force_login(manager)
    send_at = timezone.localtime(timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/campaigns/new/", {"name": "All", "survey": survey.id, "send_at": send_at, "action": "create"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "None of the 3 matching customers can be invited now" in body
    assert '<li data-reason="unsubscribed">Unsubscribed from surveys: 2</li>' in body
    assert '<li data-reason="email_failed">Email address refused for good: 1</li>' in body
