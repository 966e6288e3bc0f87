"""Custom attributes as dashboard segments: a filter per attribute and a breakdown by one."""

import random
from collections import Counter
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.choices import AttributeType
from crm.models import CustomAttribute, Customer
from crm.segments import filter_choices
from reporting import reports, rollup
from surveys import scoring
from surveys.filters import DashboardFilterForm, ResponseFilter
from surveys.models import Invitation, Response
from tests.factories import CustomerFactory, ResponseFactory

URL = reverse("reporting:dashboard")
TIERS = ["Gold", "Silver", "Bronze"]


@pytest.fixture
def attributes(db):
    return {
        "tier": CustomAttribute.objects.create(
            key="tier", label="Loyalty tier", type=AttributeType.CHOICE, choices="\n".join(TIERS)
        ),
        "store": CustomAttribute.objects.create(key="store", label="Home store", type=AttributeType.TEXT),
        # A key named like a JSON lookup must still be read as a key.
        "contains": CustomAttribute.objects.create(key="contains", label="Contains", type=AttributeType.TEXT),
        "children": CustomAttribute.objects.create(key="children", label="Children", type=AttributeType.NUMBER),
        "renewal": CustomAttribute.objects.create(key="renewal", label="Renewal", type=AttributeType.DATE),
    }


@pytest.fixture
def answers(attributes, survey):
    """40 customers with random attribute values (some unset), one or two answers each."""
    rng = random.Random(11)
    customers = []
    for i in range(40):
        values = {}
        if rng.random() < 0.8:
            values["tier"] = rng.choice(TIERS)
        if rng.random() < 0.7:
            values["store"] = rng.choice(["Lyon", "Nantes"])
        if i % 5 == 0:
            values["contains"] = "yes"
        if i % 3 == 0:
            values["children"] = rng.choice([0, 2, 3])  # numbers, as JSON numbers
        customers.append(Customer(external_id=f"S{i:03d}", custom_attributes=values))
    Customer.objects.bulk_create(customers)
    invitations = Invitation.objects.bulk_create(
        Invitation(survey=survey, customer=customer) for customer in customers for _ in range(rng.choice([1, 2]))
    )
    Response.objects.bulk_create(
        Response(survey=survey, invitation=invitation, customer=invitation.customer, score=rng.randint(0, 10))
        for invitation in invitations
    )


def _counts(responses) -> tuple[int, int, int]:
    scores = list(responses.values_list("score", flat=True))
    segments = Counter(scoring.segment_for(score).value for score in scores)
    return segments["promoter"], segments["passive"], segments["detractor"]


def _result(result) -> tuple[int, int, int]:
    return result.promoters, result.passives, result.detractors


def _has(key: str, value) -> list[int]:
    """The ids of responses whose customer holds `value` under `key`, read in Python."""
    return [r.id for r in Response.objects.select_related("customer") if r.customer.custom_attributes.get(key) == value]


@pytest.mark.parametrize(
    ("key", "value"), [("tier", "Gold"), ("tier", "Bronze"), ("store", "Nantes"), ("contains", "yes")]
)
def test_filter_by_a_custom_attribute_matches_a_direct_count(client, manager, answers, key, value):
    client.force_login(manager)
    page = client.get(URL, {f"attr_{key}": value})
    assert page.status_code == 200
    filters = page.context["filters"]
    assert filters.custom == ((key, value),)
    assert filters.has_crm_filter
    expected = _counts(Response.objects.filter(id__in=_has(key, value)))
    assert sum(expected) > 0
    assert _result(page.context["dashboard"].current) == expected


def test_two_attribute_filters_combine(client, manager, answers):
    client.force_login(manager)
    page = client.get(URL, {"attr_tier": "Gold", "attr_store": "Lyon"})
    both = set(_has("tier", "Gold")) & set(_has("store", "Lyon"))
    assert _result(page.context["dashboard"].current) == _counts(Response.objects.filter(id__in=both))


def test_text_filter_is_an_exact_match(client, manager, answers):
    client.force_login(manager)
    assert client.get(URL, {"attr_store": "Lyo"}).context["dashboard"].current.n == 0


def test_unknown_choice_value_is_a_form_error(client, manager, answers):
    client.force_login(manager)
    page = client.get(URL, {"attr_tier": "Platinum"})
    assert page.status_code == 400
    assert "attr_tier" in page.context["form"].errors


@pytest.mark.parametrize("key", ["tier", "store", "contains"])
def test_breakdown_by_a_custom_attribute_matches_direct_counts(client, manager, answers, key):
    client.force_login(manager)
    page = client.get(URL, {"dimension": f"attr:{key}"})
    assert page.status_code == 200
    rows = {row.key: row for row in page.context["dashboard"].breakdown}
    values = {r.customer.custom_attributes.get(key) for r in Response.objects.select_related("customer")}
    for value in values - {None}:
        assert _result(rows[value].result) == _counts(Response.objects.filter(id__in=_has(key, value)))
        assert rows[value].label == value
    # Customers without the attribute are one "Unknown" group; every answer is counted once.
    assert _result(rows[""].result) == _counts(Response.objects.filter(id__in=_has(key, None)))
    assert rows[""].label == "Unknown"
    assert sum(row.result.n for row in rows.values()) == Response.objects.count()


def test_breakdown_of_numbers_stored_as_json_numbers_groups_them_as_text(db, answers):
    # Not offered on the dashboard (a number is no segment), but the reports read it alike on both databases.
    rollup.rollup_refresh()  # the headline reads the roll-up when no CRM filter is set
    today = timezone.localdate()
    filters = ResponseFilter(start=date(today.year - 1, 1, 1), end=today, today=today, dimension="attr:children")
    rows = {row.key: row.result.n for row in reports.build_dashboard(filters).breakdown}
    expected = Counter(
        str(r.customer.custom_attributes["children"])
        for r in Response.objects.select_related("customer")
        if "children" in r.customer.custom_attributes
    )
    assert {key: n for key, n in rows.items() if key} == dict(expected)


def test_only_choice_and_text_attributes_are_segments(db, attributes):
    form = DashboardFilterForm({}, **filter_choices())
    assert form.attribute_keys == ["contains", "store", "tier"]  # by label
    assert isinstance(form.fields["attr_tier"].choices, list)
    assert [value for value, _label in form.fields["attr_tier"].choices] == ["", *TIERS]
    dimensions = dict(form.fields["dimension"].choices)
    assert dimensions["attr:tier"] == "Loyalty tier"
    assert "attr:children" not in dimensions and "attr_children" not in form.fields
    assert "attr_renewal" not in form.fields


def test_undeclared_attribute_dimension_is_refused(client, manager, attributes):
    client.force_login(manager)
    assert client.get(URL, {"dimension": "attr:children"}).status_code == 400
    assert client.get(URL, {"dimension": "attr:nothing"}).status_code == 400


def test_dashboard_shows_the_attribute_filters_and_keeps_them_in_links(client, manager, answers):
    client.force_login(manager)
    html = client.get(URL, {"attr_tier": "Gold", "dimension": "attr:store"}).content.decode()
    assert "More filters: custom attributes" in html
    assert 'name="attr_tier"' in html and 'name="attr_store"' in html
    assert "NPS by home store" in html
    # The breakdown links keep the attribute filter.
    assert "attr_tier=Gold&amp;dimension=survey" in html


def test_query_string_carries_the_attribute_filters(db):
    filters = ResponseFilter(start=date(2025, 1, 1), end=date(2025, 3, 1), custom=(("tier", "Gold"),))
    assert "attr_tier=Gold" in filters.query_string()
    assert "attr_tier" not in ResponseFilter(start=date(2025, 1, 1), end=date(2025, 3, 1)).query_string()


def test_exports_follow_the_attribute_filter(client, manager, answers):
    client.force_login(manager)
    reply = client.get(reverse("reporting:export_responses"), {"attr_tier": "Silver"})
    assert reply.status_code == 200
    lines = b"".join(reply.streaming_content).decode().strip().splitlines()
    assert len(lines) - 1 == len(_has("tier", "Silver"))


def test_dashboard_query_count_with_attribute_segments_does_not_grow(
    client, manager, attributes, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    query = {"attr_tier": "Gold", "dimension": "attr:store"}

    def add(n):
        for i in range(n):
            customer = CustomerFactory(custom_attributes={"tier": "Gold", "store": f"S{i % 3}"})
            ResponseFactory(score=i % 11, customer=customer, invitation__customer=customer, comment=f"c{i}")

    add(2)
    client.force_login(manager)
    client.get(URL, query)
    with CaptureQueriesContext(connection) as captured:
        client.get(URL, query)
    pinned = len(captured.captured_queries)
    add(15)
    client.get(URL, query)  # the embedded roll-up catches up with the new answers
    with django_assert_num_queries(pinned):
        client.get(URL, query)
