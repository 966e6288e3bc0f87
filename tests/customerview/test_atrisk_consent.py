"""The at-risk list's "invite" passes the consent gate, and the list says who it would refuse."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from crm.choices import EventKind
from crm.models import CustomerEvent
from surveys.models import Invitation
from tests.factories import CustomerFactory, InvitationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("refresh_at_once")]

AT_RISK = reverse("customerview:at_risk")


def _at_risk(**extra):
    customer = CustomerFactory(**extra)
    CustomerEvent.objects.create(
        customer=customer, kind=EventKind.CART_ABANDONED, occurred_at=timezone.now() - timedelta(days=1)
    )
    return customer


def _invite(client, customer, survey):
    return client.post(AT_RISK, {"action": "invite", "customer": customer.public_id, "survey": survey.public_id})


@pytest.mark.parametrize(
    "setup, rule",
    [
        ("unsubscribed", "Unsubscribed from surveys"),
        ("no_email", "No email address"),
        ("email_failed", "Email address refused for good"),
        ("recently_invited", "Invited recently"),
    ],
)
def test_invite_is_refused_with_the_rule(client, agent, survey, setup, rule):
    customer = _at_risk(
        surveys_opted_out_at=timezone.now() if setup == "unsubscribed" else None,
        email="" if setup == "no_email" else "someone@example.com",
    )
    if setup == "email_failed":
        customer.email_failed_at, customer.email_failed_address = timezone.now(), customer.email
        customer.save()
    if setup == "recently_invited":
        InvitationFactory(customer=customer, created_at=timezone.now() - timedelta(days=5))
    invitations = Invitation.objects.count()
    client.force_login(agent)
    reply = _invite(client, customer, survey)
    assert reply.status_code == 302
    [message] = [str(m) for m in get_messages(reply.wsgi_request)]
    assert f"was not invited ({rule})" in message
    assert Invitation.objects.count() == invitations
    # The list marks the row, and counts the page's customers per rule.
    page = client.get(AT_RISK)
    html = page.content.decode()
    assert f"Cannot be invited: {rule}" in html
    assert f"<li>{rule}: 1</li>" in html
    assert "not applied yet" not in html


def test_a_second_invite_within_the_window_is_refused(client, agent, survey):
    customer = _at_risk()
    client.force_login(agent)
    _invite(client, customer, survey)
    reply = _invite(client, customer, survey)
    message = [str(m) for m in get_messages(reply.wsgi_request)][-1]
    assert "within the 90-day contact-fatigue window" in message
    assert Invitation.objects.count() == 1
