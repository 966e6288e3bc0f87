"""The customer page: profile, figures, timeline, cases and why they may be at risk."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from crm.choices import AttributeType, EventKind
from crm.models import CustomAttribute, CustomerEvent
from followups import services as followups
from tests.factories import CustomerFactory, PurchaseFactory, ResponseFactory

CUSTOMERS = reverse("crm:customers")
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


def test_anonymous_visitor_is_sent_to_login(client, customer):
    reply = client.get(_page(customer))
    assert reply.status_code == 302
    assert reply["Location"].startswith(reverse("login"))


def test_outsider_sees_no_customer(client, outsider, customer):
    client.force_login(outsider)
    assert client.get(_page(customer)).status_code == 403


@pytest.mark.parametrize("actor", ["agent", "manager"])
def test_agents_and_managers_see_the_page(client, request, actor, customer):
    client.force_login(request.getfixturevalue(actor))
    assert client.get(_page(customer)).status_code == 200


def test_the_customer_list_links_to_the_page(client, agent, customer):
    client.force_login(agent)
    assert f'href="{_page(customer)}"' in client.get(CUSTOMERS).content.decode()


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
    assert (
        client.get(reverse("customerview:customer", args=["6f1c1c1c-0000-4000-8000-000000000000"])).status_code == 404
    )


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
