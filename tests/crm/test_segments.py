"""Customer segmentation (crm/segments.py): tenure bands, custom attribute segments, the customer filters."""

from datetime import date, timedelta

import pytest

from crm.choices import AttributeType
from crm.models import CustomAttribute, Customer
from crm.segments import (
    CustomerFilterForm,
    Tenure,
    attribute_key,
    attribute_value,
    filter_choices,
)
from tests.factories import CustomerFactory

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(
    ("since", "band"),
    [
        (TODAY - timedelta(days=10), Tenure.UNDER_1),
        (TODAY - timedelta(days=365), Tenure.FROM_1_TO_3),  # a year to the day: no longer under one
        (TODAY - timedelta(days=3 * 365), Tenure.OVER_3),
        (TODAY - timedelta(days=3 * 365 - 1), Tenure.FROM_1_TO_3),
        (None, Tenure.UNKNOWN),
    ],
)
def test_each_customer_falls_in_exactly_one_tenure_band(db, since, band):
    customer = CustomerFactory(customer_since=since)
    matching = [
        b for b, _label in Tenure.CHOICES if Customer.objects.filter(Tenure.q(b, TODAY, prefix=""), pk=customer.pk)
    ]
    assert matching == [band]
    annotated = Customer.objects.annotate(band=Tenure.expression(TODAY, prefix="")).get(pk=customer.pk)
    assert annotated.band == band


def test_attribute_value_reads_a_key_named_like_a_lookup(db):
    CustomerFactory(custom_attributes={"contains": "yes", "tier": 3})
    CustomerFactory(custom_attributes={})
    values = Customer.objects.annotate(v=attribute_value("contains", prefix=""), t=attribute_value("tier", prefix=""))
    assert sorted(values.values_list("v", "t"), key=str) == sorted([("yes", "3"), (None, None)], key=str)


def test_attribute_key_of_a_breakdown_dimension():
    assert attribute_key("attr:tier") == "tier"
    assert attribute_key("attr:") is None
    assert attribute_key("region") is None


def test_customer_filters_offer_the_data_and_only_choice_and_text_attributes(db):
    CustomerFactory(region="Bretagne")
    CustomerFactory(region="Alsace")
    CustomerFactory(region="")
    CustomAttribute.objects.create(key="tier", label="Tier", type=AttributeType.CHOICE, choices="Gold\nSilver")
    CustomAttribute.objects.create(key="store", label="Home store", type=AttributeType.TEXT)
    CustomAttribute.objects.create(key="kids", label="Children", type=AttributeType.NUMBER)
    choices = filter_choices()
    assert choices["regions"] == ["Alsace", "Bretagne"]
    form = CustomerFilterForm({"region": "Alsace", "attr_tier": "Gold"}, **choices)
    assert form.attribute_keys == ["store", "tier"]  # by label
    assert [value for value, _label in form.fields["attr_tier"].choices] == ["", "Gold", "Silver"]
    assert "attr_kids" not in form.fields
    assert form.is_valid(), form.errors
    assert not CustomerFilterForm({"region": "Corse"}, **choices).is_valid()
