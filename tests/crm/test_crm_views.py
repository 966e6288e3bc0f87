"""The customer list and the customer page (and who may see the at-risk list: tests/customerview for the rest)."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crm import selectors
from crm.models import CustomerEvent
from tests.factories import CustomerFactory, PurchaseFactory

CUSTOMERS = reverse("crm:customers")
AT_RISK = reverse("customerview:at_risk")
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
