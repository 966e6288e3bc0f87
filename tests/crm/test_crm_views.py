"""The customer list and the customer page (and who may see the at-risk list: tests/customerview for the rest)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from crm.choices import AttributeType, EventKind
from crm.models import CustomAttribute, CustomerEvent
from followups import services as followups
from tests.factories import CustomerFactory, PurchaseFactory, ResponseFactory

CUSTOMERS = reverse("crm:customers")
AT_RISK = reverse("customerview:at_risk")
# Noon in Paris: "days ago" never straddles midnight in these tests.
NOON = "2025-06-30 10:00 +0000"


def _page(customer) -> str:
    return reverse("crm:customer", args=[customer.public_id])


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
    # session, user, roles, count, page (with the account owner joined in)
    with django_assert_num_queries(5):
        client.get(CUSTOMERS)
    CustomerFactory.create_batch(55, account_owner=manager)
    with django_assert_num_queries(5):
        page = client.get(CUSTOMERS, {"q": "example", "page": "2"})
    assert page.context["page"].paginator.count == 58
    assert len(page.context["page"].object_list) == 8
    assert "page=1" in page.content.decode() and "q=example" in page.content.decode()


# The customer page ---------------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_customer_page_shows_profile_figures_history_and_cases(client, agent, manager):
    CustomAttribute.objects.create(
        key="loyalty", label="Loyalty tier", type=AttributeType.CHOICE, choices="Gold\nSilver"
    )
    CustomAttribute.objects.create(key="renewal", label="Contract renewal", type=AttributeType.DATE)
    customer = _buyer(
        every_days=30,
        last_days_ago=75,
        count=3,
        first_name="Jeanne",
        last_name="Moreau",
        phone="+33 6 12 34 56 78",
        account_owner=manager,
        newsletter_subscribed=False,
        custom_attributes={"loyalty": "Gold", "renewal": "2025-09-01"},
    )
    _event(customer, EventKind.NEWSLETTER_UNSUBSCRIBED, 10)
    _event(customer, EventKind.SITE_VISIT, 2)
    _event(customer, EventKind.SITE_VISIT, 4)
    detractor = ResponseFactory(score=3, comment="Slow delivery", customer=customer, invitation__customer=customer)
    case = followups.ticket_open_for_response(response=detractor)
    client.force_login(agent)
    page = client.get(_page(customer))
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("Jeanne Moreau", "+33 6 12 34 56 78", "Maria", "Loyalty tier", "Gold", "Contract renewal"):
        assert text in html
    crm = page.context["crm"]
    assert (crm.purchase_count, crm.total_spend) == (3, Decimal("149.70"))
    assert crm.purchase_interval_days == 30
    assert crm.days_since_last_purchase == 75
    assert "Every 30 days on average" in html
    assert "75 days ago" in html
    assert [(e.kind, e.count) for e in crm.events] == [("site_visit", 2), ("newsletter_unsubscribed", 1)]
    assert "Not subscribed" in html and "unsubscribed on" in html
    assert "Slow delivery" in html
    assert reverse("followups:ticket", args=[case.public_id]) in html
    assert [r.code for r in page.context["reasons"]] == ["inactive", "unsubscribed", "detractor"]
    assert "No purchase for 75 days" in html


def test_erased_customer_page_shows_erased_not_identity(client, agent):
    erased = CustomerFactory(
        first_name="", last_name="", email="", phone="", erased_at=timezone.now(), external_id="E-1", region="Bretagne"
    )
    client.force_login(agent)
    page = client.get(_page(erased))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Erased customer" in html
    assert "personal data was erased" in html
    assert page.context["reasons"] == []
    assert "Erased customer" in client.get(CUSTOMERS).content.decode()


def test_unknown_customer_is_404(client, agent):
    client.force_login(agent)
    assert client.get(reverse("crm:customer", args=["6f1c1c1c-0000-4000-8000-000000000000"])).status_code == 404


def test_customer_page_query_count_does_not_grow_with_history(client, agent, survey, django_assert_num_queries):
    customer = _buyer(every_days=10, last_days_ago=5, count=2)
    client.force_login(agent)
    client.get(_page(customer))
    # session, user, roles, customer, 3 for the summary (its earlier answers are in the timeline),
    # attributes, policy, signals, 5 for the timeline
    with django_assert_num_queries(15):
        client.get(_page(customer))
    for i in range(5):
        PurchaseFactory(customer=customer)
        _event(customer, EventKind.SITE_VISIT, i)
        followups.ticket_open_for_response(
            response=ResponseFactory(score=i, customer=customer, invitation__customer=customer)
        )
    with django_assert_num_queries(15):
        client.get(_page(customer))


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
