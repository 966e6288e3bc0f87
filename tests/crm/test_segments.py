"""Customer segmentation (crm/segments.py): tenure bands, custom attribute segments, the customer filters."""

import io
import time
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from crm.choices import AttributeType
from crm.importer import import_customers_csv
from crm.models import CustomAttribute, Customer
from crm.segments import (
    CHOICES_KEY,
    SEGMENTS,
    CustomerFilterForm,
    Tenure,
    attribute_key,
    attribute_value,
    filter_choices,
)
from crm.services import activity as activity_services
from crm.services import customers as customer_services
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


# --- The filter choices, cached ------------------------------------------------------------------


def test_a_cached_read_makes_no_query(db, django_assert_num_queries):
    CustomerFactory(region="Alsace")
    with django_assert_num_queries(3):
        first = filter_choices()
    with django_assert_num_queries(0):
        assert filter_choices() == first


def test_a_new_region_is_offered_right_after_a_customer_is_saved(db):
    assert filter_choices()["regions"] == []
    customer = CustomerFactory(region="Alsace")
    assert filter_choices()["regions"] == ["Alsace"]
    customer.region = "Bretagne"
    customer.save(update_fields=["region"])
    assert filter_choices()["regions"] == ["Bretagne"]
    customer.delete()
    assert filter_choices()["regions"] == []


def test_a_save_that_leaves_the_region_out_keeps_the_cache(db, django_assert_num_queries):
    customer = CustomerFactory(region="Alsace")
    filter_choices()
    customer.first_name = "Zoé"
    customer.save(update_fields=["first_name"])
    with django_assert_num_queries(0):
        filter_choices()


def test_a_new_region_is_offered_right_after_a_csv_import(db):
    assert filter_choices()["regions"] == []
    import_customers_csv(io.BytesIO(b"external_id;region\r\nC1;Occitanie\r\n"))
    assert filter_choices()["regions"] == ["Occitanie"]


def test_a_new_region_is_offered_right_after_a_bulk_upsert(db):
    filter_choices()
    customer_services.customers_upsert_many(rows=[{"external_id": "C1", "region": "Normandie"}])
    assert filter_choices()["regions"] == ["Normandie"]


def test_a_new_category_is_offered_right_after_a_purchase_import(db):
    CustomerFactory(external_id="C1")
    assert filter_choices()["categories"] == []
    activity_services.purchases_create_many(
        rows=[
            {
                "customer_external_id": "C1",
                "purchased_at": "2025-01-02T10:00:00+01:00",
                "amount": "9.90",
                "product_category": "Lamps",
            }
        ]
    )
    assert filter_choices()["categories"] == ["Lamps"]


def test_a_new_segment_attribute_is_offered_at_once(db):
    filter_choices()
    CustomAttribute.objects.create(key="tier", label="Tier", type=AttributeType.CHOICE, choices="Gold")
    assert [a.key for a in filter_choices()["attributes"]] == ["tier"]


def test_choices_another_process_kept_before_the_commit_are_stale_after_it(db, django_capture_on_commit_callbacks):
    filter_choices()
    with django_capture_on_commit_callbacks(execute=True):
        CustomerFactory(region="Alsace")
        # Another process read the rows before this transaction committed, under the new generation.
        cache.set(CHOICES_KEY, (SEGMENTS.current(), {"regions": [], "categories": [], "attributes": []}), 60)
    assert filter_choices()["regions"] == ["Alsace"]


def test_many_saves_in_one_transaction_schedule_one_bump_after_commit(db):
    with transaction.atomic():
        before = len(connection.run_on_commit)
        for i in range(20):
            CustomerFactory(region=f"R{i}")
        ours = [entry for entry in connection.run_on_commit[before:] if entry[1] == SEGMENTS.bump_now]
        assert len(ours) == 1


def test_a_cached_read_is_quick(db):
    CustomerFactory.create_batch(5, region="Alsace")
    filter_choices()
    started = time.perf_counter()
    for _ in range(100):
        filter_choices()
    assert (time.perf_counter() - started) / 100 < 0.002


def test_with_no_cache_the_choices_are_read_each_time(db, settings, django_assert_num_queries):
    # A cache that keeps nothing, as the fail-open Redis cache acts while Redis is down.
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    filter_choices()
    Customer.objects.bulk_create([Customer(external_id="C1", region="Alsace")])  # no signal, no bump
    with django_assert_num_queries(3):
        assert filter_choices()["regions"] == ["Alsace"]
