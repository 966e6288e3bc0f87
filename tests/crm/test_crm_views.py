"""The customer list, the customer page and the at-risk list."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crm import selectors
from crm.choices import EventKind
from crm.models import AtRiskPolicy, CustomerEvent
from followups import services as followups
from followups.choices import TicketKind
from followups.models import Ticket
from surveys.models import Invitation
from tests.factories import CustomerFactory, PurchaseFactory, ResponseFactory, SurveyFactory

CUSTOMERS = reverse("crm:customers")
AT_RISK = reverse("crm:at_risk")
# Noon in Paris: "days ago" never straddles midnight in these tests.
NOON = "2025-06-30 10:00 +0000"


def _page(customer) -> str:
    return reverse("customerview:customer", args=[customer.public_id])


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


def _messages(reply) -> list[str]:
    return [str(message) for message in get_messages(reply.wsgi_request)]


# Who may see these pages ---------------------------------------------------------------


@pytest.mark.parametrize("url", [CUSTOMERS, AT_RISK])
def test_anonymous_visitor_is_sent_to_login(client, db, url):
    reply = client.get(url)
    assert reply.status_code == 302
    assert reply["Location"].startswith(reverse("login"))


def test_outsider_sees_no_customer(client, outsider, customer):
    client.force_login(outsider)
    for url in (CUSTOMERS, AT_RISK, _page(customer)):
        assert client.get(url).status_code == 403
    assert client.post(AT_RISK, {"action": "invite"}).status_code == 403


@pytest.mark.parametrize("actor", ["agent", "manager"])
def test_agents_and_managers_see_the_pages_and_the_nav_links(client, request, actor, customer):
    client.force_login(request.getfixturevalue(actor))
    for url in (CUSTOMERS, AT_RISK, _page(customer)):
        assert client.get(url).status_code == 200
    html = client.get(CUSTOMERS).content.decode()
    assert f'href="{CUSTOMERS}"' in html and f'href="{AT_RISK}"' in html


# The customer list ---------------------------------------------------------------------


@pytest.mark.parametrize("query", ["moreau", "Jeanne Moreau", "JEANNE@example", "x-42"])
def test_search_by_name_email_or_external_id(client, agent, query):
    wanted = CustomerFactory(first_name="Jeanne", last_name="Moreau", email="jeanne@example.com", external_id="X-42")
    CustomerFactory(first_name="Paul", last_name="Durand", email="paul@example.com", external_id="Y-7")
    client.force_login(agent)
    page = client.get(CUSTOMERS, {"q": query})
    assert [c.id for c in page.context["page"]] == [wanted.id]
    assert _page(wanted) in page.content.decode()


def test_search_matching_nothing_says_so(client, agent, customer):
    client.force_login(agent)
    html = client.get(CUSTOMERS, {"q": "<b>nobody</b>"}).content.decode()
    assert "No customer matches" in html
    assert "<b>nobody</b>" not in html and "&lt;b&gt;nobody&lt;/b&gt;" in html


def test_customer_list_is_paginated_with_constant_queries(client, agent, manager, django_assert_num_queries):
    CustomerFactory.create_batch(3, account_owner=manager)
    client.force_login(agent)
    client.get(CUSTOMERS)
    # session, user, roles, page (with the account owner joined in): the whole list is on it,
    # so its length is the count and nothing counts the customers.
    with django_assert_num_queries(4):
        reply = client.get(CUSTOMERS)
    assert reply.context["total"] == selectors.CustomerCount(3, exact=True)
    CustomerFactory.create_batch(55, account_owner=manager)
    # session, user, roles, page, the number of customers (one query, whatever their number)
    with django_assert_num_queries(5):
        reply = client.get(CUSTOMERS)
    assert len(reply.context["page"].object_list) == 50 and reply.context["page"].has_next()
    assert reply.context["total"] == selectors.CustomerCount(58, exact=True)
    # A search counts its matches: session, user, roles, count, page.
    with django_assert_num_queries(5):
        page = client.get(CUSTOMERS, {"q": "example", "page": "2"})
    assert page.context["page"].paginator.count == 58
    assert len(page.context["page"].object_list) == 8
    assert "page=1" in page.content.decode() and "q=example" in page.content.decode()


# The at-risk list ----------------------------------------------------------------------


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
    ResponseFactory(score=2, customer=detractor, invitation__customer=detractor)
    promoter = CustomerFactory(first_name="Happy")
    ResponseFactory(score=10, customer=promoter, invitation__customer=promoter)
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


def test_at_risk_list_query_count_is_constant(client, agent, survey, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            customer = CustomerFactory()
            _event(customer, EventKind.CART_ABANDONED, 1)
            followups.ticket_open_outreach(customer=customer, survey=survey, reason="cart", actor=agent)

    add(2)
    client.force_login(agent)
    client.get(AT_RISK)
    # session, user, roles, policy, the flagged customers, their open outreach cases, their
    # consent verdicts (one query for the page), surveys
    with django_assert_num_queries(8):
        client.get(AT_RISK)
    add(8)
    with django_assert_num_queries(8):
        page = client.get(AT_RISK)
    assert all(row.open_outreach is not None for row in page.context["page"])


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


def test_customer_list_pages_keep_the_search(client, agent, monkeypatch):
    from crm import views
    from tests.factories import CustomerFactory

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for _ in range(3):
        CustomerFactory(first_name="Zoé")
    client.force_login(agent)
    html = client.get("/crm/customers/", {"q": "Zoé"}).content.decode()
    assert "?q=Zo%C3%A9&amp;page=2" in html
    assert "Page 1 of 2" in html
    second = client.get("/crm/customers/", {"q": "Zoé", "page": 2}).content.decode()
    assert "?q=Zo%C3%A9&amp;page=1" in second


def test_customer_list_pages_without_counting_every_customer(client, agent, monkeypatch):
    from crm import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    adam, bea, chloe = (CustomerFactory(last_name=name, first_name="") for name in ("Ardent", "Brun", "Collin"))
    client.force_login(agent)
    first = client.get(CUSTOMERS)
    html = first.content.decode()
    assert [c.id for c in first.context["page"]] == [adam.id, bea.id]
    assert "Page 1" in html and "Page 1 of" not in html and "?page=2" in html
    assert "3 customers." in html
    second = client.get(CUSTOMERS, {"page": 2})
    assert [c.id for c in second.context["page"]] == [chloe.id]
    assert not second.context["page"].has_next() and "?page=1" in second.content.decode()
    # A page past the end (a stale link) shows the last one, as the counted lists do.
    assert [c.id for c in client.get(CUSTOMERS, {"page": 9}).context["page"]] == [chloe.id]
    assert [c.id for c in client.get(CUSTOMERS, {"page": "x"}).context["page"]] == [adam.id, bea.id]
    # A search keeps the same order (by an expression of the name that the name index cannot give).
    twin = CustomerFactory(last_name="Ardent", first_name="")
    searched = client.get(CUSTOMERS, {"q": "r", "page": 1}).context["page"]
    assert [c.id for c in searched] == [adam.id, twin.id] and searched.paginator.count == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own estimate of a table's rows")
@pytest.mark.django_db
def test_customer_count_is_an_estimate_said_so_past_the_threshold(monkeypatch):
    CustomerFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_customer")
    assert selectors.customer_count() == selectors.CustomerCount(3, exact=True)
    monkeypatch.setattr(selectors, "COUNT_ESTIMATE_ABOVE", 2)
    count = selectors.customer_count()
    assert not count.exact and count.value >= 0


def test_customer_list_caption_says_an_estimate_is_one(client, agent, monkeypatch):
    from crm import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    monkeypatch.setattr(selectors, "customer_count", lambda: selectors.CustomerCount(203000, exact=False))
    CustomerFactory.create_batch(2)
    client.force_login(agent)
    assert "About 203000 customers." in client.get(CUSTOMERS).content.decode()
    # The last page knows the exact number: no estimate there.
    assert "2 customers." in client.get(CUSTOMERS, {"page": 2}).content.decode()


def test_at_risk_list_pages_by_25_like_the_inbox(client, agent):
    """Each row carries its own invite form: 50 of them made a phone's page 12,000 px tall (issue 19)."""
    for customer in CustomerFactory.create_batch(26):
        _event(customer, EventKind.CART_ABANDONED, 1)
    client.force_login(agent)
    first = client.get(AT_RISK)
    assert len(first.context["page"].object_list) == 25
    assert "Page 1 of 2" in first.content.decode()
    assert len(client.get(AT_RISK, {"page": 2}).context["page"].object_list) == 1
