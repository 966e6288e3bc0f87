"""The at-risk list, read from the stored flags that the hooks keep in step with each write."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from crm.choices import EventKind
from crm.models import CustomerEvent
from customerview.models import AtRiskPolicy, RiskRefresh
from followups import services as followups
from followups.choices import TicketKind
from followups.models import Ticket
from surveys import signals
from surveys.models import Invitation
from tests.factories import CustomerFactory, PurchaseFactory, ResponseFactory, SurveyFactory

pytestmark = pytest.mark.usefixtures("refresh_at_once")

AT_RISK = reverse("customerview:at_risk")
# Noon in Paris: "days ago" never straddles midnight in these tests.
NOON = "2025-06-30 10:00 +0000"


def _buyer(*, every_days: int, last_days_ago: int, count: int = 4, **customer_fields):
    """A customer who bought `count` times, every `every_days` days, the last time `last_days_ago` days ago."""
    customer = CustomerFactory(**customer_fields)
    now = timezone.now()
    for i in range(count):
        PurchaseFactory(customer=customer, purchased_at=now - timedelta(days=last_days_ago + i * every_days))
    return customer


def _event(customer, kind, days_ago: int):
    return CustomerEvent.objects.create(
        customer=customer, kind=kind, occurred_at=timezone.now() - timedelta(days=days_ago)
    )


def _answer(customer, score: int):
    """A stored answer, announced as the worker does once it is committed."""
    response = ResponseFactory(score=score, customer=customer, invitation__customer=customer)
    signals.response_submitted_send(response.id, corrected=False)
    return response


def _messages(reply) -> list[str]:
    return [str(message) for message in get_messages(reply.wsgi_request)]


@time_machine.travel(NOON, tick=False)
def test_at_risk_list_flags_by_behaviour_with_reasons(client, agent):
    silent = _buyer(every_days=30, last_days_ago=75, first_name="Silent")
    regular = _buyer(every_days=30, last_days_ago=50, first_name="Regular")
    cart = CustomerFactory(first_name="Cart")
    _event(cart, EventKind.CART_ABANDONED, 3)
    bought_after_cart = _buyer(every_days=30, last_days_ago=1, first_name="Bought")
    _event(bought_after_cart, EventKind.CART_ABANDONED, 3)
    unsubscribed = CustomerFactory(first_name="Unsub")
    _event(unsubscribed, EventKind.NEWSLETTER_UNSUBSCRIBED, 5)
    old_unsubscribe = CustomerFactory(first_name="Long ago")
    _event(old_unsubscribe, EventKind.NEWSLETTER_UNSUBSCRIBED, 200)
    detractor = CustomerFactory(first_name="Unhappy")
    _answer(detractor, 2)
    promoter = CustomerFactory(first_name="Happy")
    _answer(promoter, 10)
    erased = CustomerFactory(first_name="", erased_at=timezone.now())
    _event(erased, EventKind.CART_ABANDONED, 1)

    client.force_login(agent)
    page = client.get(AT_RISK)
    flagged = {row.customer.id: [r.code for r in row.reasons] for row in page.context["page"]}
    assert flagged == {
        silent.id: ["inactive"],
        cart.id: ["cart_abandoned"],
        unsubscribed.id: ["unsubscribed"],
        detractor.id: ["detractor"],
    }
    assert regular.id not in flagged and bought_after_cart.id not in flagged
    html = page.content.decode()
    assert "No purchase for 75 days, more than 2 × their usual 30 days between purchases." in html
    # What applies to the invite button, now that it passes the consent gate (no "not applied yet").
    assert "Invitations follow the consent rules" in html and "in the last 90 days" in html
    assert "not applied yet" not in html

    only_carts = client.get(AT_RISK, {"reason": "cart_abandoned"})
    assert [row.customer.id for row in only_carts.context["page"]] == [cart.id]
    assert client.get(AT_RISK, {"reason": "bogus"}).context["reason"] == ""


@time_machine.travel(NOON, tick=False)
def test_at_risk_rules_follow_the_policy(client, agent):
    silent = _buyer(every_days=30, last_days_ago=75)
    client.force_login(agent)
    assert [row.customer for row in client.get(AT_RISK).context["page"]] == [silent]
    AtRiskPolicy.objects.create(inactivity_factor=Decimal("3"))
    assert list(client.get(AT_RISK).context["page"]) == []


@time_machine.travel(NOON, tick=False)
def test_most_valuable_at_risk_customers_come_first(client, agent):
    small = CustomerFactory()
    PurchaseFactory(customer=small, amount=Decimal("10"), purchased_at=timezone.now() - timedelta(days=20))
    big = CustomerFactory()
    PurchaseFactory(customer=big, amount=Decimal("900"), purchased_at=timezone.now() - timedelta(days=20))
    for customer in (small, big):
        _event(customer, EventKind.NEWSLETTER_UNSUBSCRIBED, 1)
    client.force_login(agent)
    rows = client.get(AT_RISK).context["page"]
    assert [row.customer for row in rows] == [big, small]
    assert rows[0].total_spend == Decimal("900")


@pytest.mark.parametrize(
    ("viewer", "reason", "queries"),
    [
        ("manager", "", 11),
        ("manager", "detractor", 11),
        # An agent's detractor reasons are told from the answers they may read: one query more.
        ("agent", "", 12),
        ("agent", "cart_abandoned", 12),
    ],
)
def test_at_risk_list_query_count_is_constant(
    client, request, survey, django_assert_num_queries, viewer, reason, queries
):
    user = request.getfixturevalue(viewer)

    def add(n):
        for _ in range(n):
            customer = CustomerFactory()
            _event(customer, EventKind.CART_ABANDONED, 1)
            _answer(customer, 3)
            followups.ticket_open_outreach(customer=customer, survey=survey, reason="cart", actor=user)

    add(2)
    client.force_login(user)
    client.get(AT_RISK)
    # session, user, roles, policy, when the flags were computed, how many are flagged, the page's
    # flags, their customers, their open outreach cases, their consent verdicts and last
    # invitations (one query for the page), surveys
    with django_assert_num_queries(queries):
        client.get(AT_RISK, {"reason": reason})
    add(30)
    with django_assert_num_queries(queries):
        page = client.get(AT_RISK, {"reason": reason})
    assert len(page.context["page"].object_list) == 25
    assert all(row.open_outreach is not None for row in page.context["page"])
    assert all(row.reason_codes == {"cart_abandoned", "detractor"} for row in page.context["page"])
    with django_assert_num_queries(queries):
        assert len(client.get(AT_RISK, {"reason": reason, "page": 2}).context["page"].object_list) == 7


def test_invite_an_at_risk_customer_shows_the_personal_link(client, agent, survey):
    customer = CustomerFactory()
    _event(customer, EventKind.CART_ABANDONED, 1)
    client.force_login(agent)
    reply = client.post(
        AT_RISK,
        {
            "action": "invite",
            "customer": customer.public_id,
            "survey": survey.public_id,
            "reason": "cart_abandoned",
            "page": "1",
        },
    )
    assert reply.status_code == 302
    assert reply["Location"] == f"{AT_RISK}?reason=cart_abandoned&page=1"
    invitation = Invitation.objects.get()
    assert (invitation.customer, invitation.survey) == (customer, survey)
    [message] = _messages(reply)
    assert invitation.url in message
    # The list now says when the customer was last invited.
    assert client.get(AT_RISK).context["page"][0].last_invited_at == invitation.created_at


def test_open_an_outreach_case_from_the_at_risk_list(client, agent, survey):
    customer = CustomerFactory()
    _event(customer, EventKind.NEWSLETTER_UNSUBSCRIBED, 2)
    client.force_login(agent)
    data = {"action": "outreach", "customer": customer.public_id, "survey": survey.public_id}
    reply = client.post(AT_RISK, data)
    ticket = Ticket.objects.get()
    assert reply.status_code == 302
    assert reply["Location"] == reverse("followups:ticket", args=[ticket.public_id])
    assert (ticket.kind, ticket.customer, ticket.survey) == (TicketKind.OUTREACH, customer, survey)
    assert "Unsubscribed from the newsletter 2 days ago." in ticket.reason
    assert ticket.events.get().actor == agent

    # The row now links to the open case instead of offering a second one; a second POST is refused.
    page = client.get(AT_RISK)
    assert page.context["page"][0].open_outreach == ticket
    assert ticket.reference in page.content.decode()
    again = client.post(AT_RISK, data)
    assert again.status_code == 302 and again["Location"] == AT_RISK
    assert "already has an open outreach case" in _messages(again)[0]
    assert Ticket.objects.count() == 1


def test_no_outreach_for_a_customer_no_longer_at_risk(client, agent, survey):
    customer = CustomerFactory()
    client.force_login(agent)
    reply = client.post(AT_RISK, {"action": "outreach", "customer": customer.public_id, "survey": survey.public_id})
    assert reply.status_code == 302
    assert "no longer flagged at risk" in _messages(reply)[0]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "invite", "survey": "nope"}, "That survey does not exist"),
        ({"action": "invite", "survey": ""}, "Choose a survey"),
        ({"action": "invite", "customer": "6f1c1c1c-0000-4000-8000-000000000000"}, "That customer does not exist"),
        ({"action": "delete"}, "not one of the available choices"),
    ],
)
def test_bad_actions_are_refused_with_a_message(client, agent, customer, survey, data, message):
    client.force_login(agent)
    post = {"action": "invite", "customer": customer.public_id, "survey": survey.public_id, "reason": "x<y"} | data
    reply = client.post(AT_RISK, post)
    assert reply.status_code == 302 and reply["Location"] == AT_RISK
    assert message in " ".join(_messages(reply))
    assert not Invitation.objects.exists() and not Ticket.objects.exists()


def test_an_inactive_survey_cannot_be_chosen(client, agent, customer):
    closed = SurveyFactory(is_active=False)
    client.force_login(agent)
    reply = client.post(AT_RISK, {"action": "invite", "customer": customer.public_id, "survey": closed.public_id})
    assert "no longer active" in _messages(reply)[0]
    assert not Invitation.objects.exists()


def test_get_on_the_at_risk_list_changes_nothing(client, agent, customer, survey):
    _event(customer, EventKind.CART_ABANDONED, 1)
    client.force_login(agent)
    client.get(AT_RISK, {"action": "outreach", "customer": customer.public_id, "survey": survey.public_id})
    assert not Ticket.objects.exists() and not Invitation.objects.exists()


def test_at_risk_list_pages_by_25_like_the_inbox(client, agent):
    """Each row carries its own invite form: 50 of them made a phone's page 12,000 px tall (issue 19)."""
    for customer in CustomerFactory.create_batch(26):
        _event(customer, EventKind.CART_ABANDONED, 1)
    client.force_login(agent)
    first = client.get(AT_RISK)
    assert len(first.context["page"].object_list) == 25
    assert "Page 1 of 2" in first.content.decode()
    assert len(client.get(AT_RISK, {"page": 2}).context["page"].object_list) == 1


def test_the_page_says_when_the_flags_were_computed_for_everyone(client, agent):
    client.force_login(agent)
    page = client.get(AT_RISK)
    assert page.context["flags_computed_since"] is None
    assert "have not been computed for every customer yet" in page.content.decode()
    out = io.StringIO()
    with time_machine.travel(NOON, tick=False):
        call_command("atrisk_refresh", stdout=out)
    assert "recomputed for 0 customers" in out.getvalue()
    page = client.get(AT_RISK)
    assert page.context["flags_computed_since"] == RiskRefresh.objects.get().started_at
    assert "Flags computed for every customer on 30 Jun 2025, 12:00" in page.content.decode()
