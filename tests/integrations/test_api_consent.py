"""POST /api/v1/invitations/ passes the consent gate: 409 with the reason, nothing created or sent."""

import smtplib
from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from campaigns import services as campaign_services
from surveys.choices import DeliveryStatus
from surveys.models import Invitation
from tests.factories import CustomerFactory, InvitationFactory

pytestmark = pytest.mark.django_db

INVITATIONS = reverse("api:invitations")


def _post(client, customer, survey, **extra):
    return client.post(
        INVITATIONS, {"customer": customer.external_id, "survey": str(survey.public_id), **extra}, "json"
    )


@pytest.mark.parametrize("send", [True, False])
def test_a_customer_who_just_unsubscribed_is_not_invited(api, survey, customer, send):
    # The case from the issue: invited a minute ago, unsubscribed since, then invited again by the API.
    earlier = InvitationFactory(survey=survey, customer=customer, created_at=timezone.now() - timedelta(minutes=1))
    campaign_services.customer_unsubscribe_from_surveys(customer=customer)
    reply = _post(api, customer, survey, send=send)
    assert reply.status_code == 409
    assert reply.json() == {"detail": "This customer unsubscribed from survey emails.", "reason": "unsubscribed"}
    assert list(Invitation.objects.all()) == [earlier]
    assert mail.outbox == []


@pytest.mark.parametrize("send", [True, False])
def test_an_erased_customer_is_refused_with_its_reason(api, survey, send):
    reply = _post(api, CustomerFactory(erased_at=timezone.now()), survey, send=send)
    assert (reply.status_code, reply.json()["reason"]) == (409, "erased")
    assert not Invitation.objects.exists()


def test_an_address_refused_for_good_is_not_emailed_but_a_link_may_still_be_made(api, survey):
    customer = CustomerFactory()
    customer.email_failed_at, customer.email_failed_address = timezone.now(), customer.email
    customer.save()
    reply = _post(api, customer, survey, send=True)
    assert (reply.status_code, reply.json()["reason"]) == (409, "email_failed")
    assert mail.outbox == [] and not Invitation.objects.exists()
    # Not emailed by us: the caller hands the link over another way.
    assert _post(api, customer, survey).status_code == 201


def test_a_refused_recipient_is_recorded_on_the_customer(api, survey, customer, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({customer.email: (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    reply = _post(api, customer, survey, send=True)
    assert reply.status_code == 201 and reply.json()["sent"] is False
    customer.refresh_from_db()
    assert customer.email_failed_address == customer.email


@pytest.mark.parametrize("send", [True, False])
def test_contact_fatigue_refuses_a_second_invitation(api, survey, customer, send):
    InvitationFactory(customer=customer, created_at=timezone.now() - timedelta(days=30))
    reply = _post(api, customer, survey, send=send)
    assert reply.status_code == 409
    assert reply.json()["reason"] == "recently_invited"
    assert "90-day contact-fatigue window" in reply.json()["detail"]
    assert Invitation.objects.count() == 1 and mail.outbox == []


def test_a_write_token_may_bypass_fatigue_explicitly_and_it_is_recorded(api, survey, customer, admin_user, client):
    InvitationFactory(customer=customer, created_at=timezone.now() - timedelta(days=30))
    reply = _post(api, customer, survey, send=True, bypass_fatigue=True)
    assert reply.status_code == 201 and reply.json()["sent"] is True
    invitation = Invitation.objects.get(survey=survey)
    assert invitation.fatigue_bypassed_by.startswith("API token CRM sync (")
    assert invitation.delivery_status == DeliveryStatus.SENT
    # The admin shows who bypassed it.
    client.force_login(admin_user)
    page = client.get(reverse("admin:surveys_invitation_change", args=[invitation.id])).content.decode()
    assert "Contact fatigue bypassed by" in page and invitation.fatigue_bypassed_by in page
    assert "fatigue_bypassed_by" in site._registry[Invitation].list_display


def test_the_bypass_never_lifts_an_unsubscribe(api, survey, customer):
    campaign_services.customer_unsubscribe_from_surveys(customer=customer)
    reply = _post(api, customer, survey, send=True, bypass_fatigue=True)
    assert (reply.status_code, reply.json()["reason"]) == (409, "unsubscribed")


def test_a_read_token_or_a_signed_in_manager_cannot_bypass_fatigue(read_api, survey, customer, client, manager):
    InvitationFactory(customer=customer, created_at=timezone.now() - timedelta(days=30))
    assert _post(read_api, customer, survey, bypass_fatigue=True).status_code == 403
    client.force_login(manager)
    reply = client.post(
        INVITATIONS,
        {"customer": customer.external_id, "survey": str(survey.public_id), "bypass_fatigue": True},
        content_type="application/json",
    )
    assert reply.status_code == 403
    assert "write token" in reply.json()["detail"]
    assert Invitation.objects.count() == 1
