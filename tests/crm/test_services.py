from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.choices import EventKind
from crm.models import CustomAttribute, Customer, CustomerEvent, Purchase
from crm.services import activity, customers
from crm.services.rows import PLAIN_EMAIL, CustomerRules, RowError, RowsInvalid, customer_clean
from privacy.choices import PrivacyAction
from privacy.models import PrivacyEvent
from tests.factories import CustomerFactory

TODAY = date(2025, 6, 15)
RULES = CustomerRules(
    today=TODAY,
    attributes={
        "points": ("number", ()),
        "store": ("choice", ("Paris", "Lyon")),
        "joined": ("date", ()),
        "note": ("text", ()),
    },
    owners={"alice": 7, "olivier": None},
)


def _clean(**data):
    return customer_clean({"external_id": "C1", **data}, RULES)


# --- The row check, without a database --------------------------------------------------


def test_clean_converts_every_field():
    cleaned, errors = _clean(
        email=" jeanne@example.com ",
        first_name="Jeanne",
        language="FR",
        customer_since="2021-03-15",
        newsletter_subscribed="Yes",
        birth_year="1980",
        age_band="35–49",  # the label's en dash, as a spreadsheet shows it
        gender="Female",
        area="urban",
        plan="premium",
        account_owner="alice",
        custom_attributes={"points": "12.50", "store": "Lyon", "joined": "2024-01-31", "note": " hi ", "pts": None},
    )
    assert errors == {"attr:pts": ["Unknown custom attribute: declare it in the admin first."]}
    assert cleaned["email"] == "jeanne@example.com"
    assert cleaned["language"] == "fr"
    assert cleaned["customer_since"] == date(2021, 3, 15)
    assert cleaned["newsletter_subscribed"] is True
    assert cleaned["birth_year"] == 1980
    assert cleaned["age_band"] == "35-49"
    assert cleaned["gender"] == "female"
    assert cleaned["account_owner_id"] == 7
    assert cleaned["custom_attributes"] == {"points": 12.5, "store": "Lyon", "joined": "2024-01-31", "note": "hi"}


def test_clean_accepts_api_types_and_blanks():
    cleaned, errors = _clean(
        newsletter_subscribed=False, birth_year=1990, customer_since=date(2020, 1, 1), language="", account_owner=None
    )
    assert errors == {}
    assert cleaned["newsletter_subscribed"] is False
    assert (cleaned["birth_year"], cleaned["customer_since"]) == (1990, date(2020, 1, 1))
    assert (cleaned["language"], cleaned["account_owner_id"]) == ("", None)
    assert _clean(birth_year="", customer_since="")[0] == {
        "external_id": "C1",
        "birth_year": None,
        "customer_since": None,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("external_id", "", "This field is required."),
        ("external_id", "x" * 101, "Enter at most 100 characters (this has 101)."),
        ("email", "jeanne@", "Enter a valid email address."),
        ("first_name", 42, "Enter text."),
        ("phone", "0" * 41, "Enter at most 40 characters (this has 41)."),
        ("city", "Ren\x00nes", "Remove the invisible NUL character from this value."),
        ("language", "de", "Choose one of: en, fr."),
        ("customer_since", "15/03/2021", "Enter a date as YYYY-MM-DD."),
        ("customer_since", "2021-02-30", "This date does not exist: enter a real date as YYYY-MM-DD."),
        ("customer_since", "2025-06-16", "This date is in the future."),
        ("newsletter_subscribed", "oui", "Enter yes or no (also accepted: true/false, 1/0)."),
        ("newsletter_subscribed", "", "Enter yes or no (also accepted: true/false, 1/0)."),
        ("birth_year", "1899", "Enter a year between 1900 and 2025."),
        ("birth_year", "2026", "Enter a year between 1900 and 2025."),
        ("birth_year", "19 80", "Enter a year with four digits, for example 1980."),
        ("age_band", "30-40", "Choose one of: 18-24, 25-34, 35-49, 50-64, 65+."),
        ("gender", "f", "Choose one of: female, male, other, undisclosed."),
        ("area", "suburban", "Choose one of: urban, rural."),
        ("plan", "gold", "Choose one of: basic, standard, premium."),
        ("account_owner", "nobody", "There is no active staff user with the username “nobody”."),
        ("account_owner", "olivier", "There is no active staff user with the username “olivier”."),
        ("nickname", "Jo", "Unknown field."),
    ],
)
def test_clean_refuses_each_bad_value_with_its_message(field, value, message):
    cleaned, errors = _clean(**{field: value})
    assert errors == {field: [message]}
    assert field not in cleaned or field == "external_id"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("points", "12,5", "Enter a number, with a dot for decimals (for example 12.5)."),
        ("points", True, "Enter a number, with a dot for decimals (for example 12.5)."),
        ("store", "Nice", "Choose one of: Paris, Lyon."),
        ("joined", "31/01/2024", "Enter a date as YYYY-MM-DD."),
        ("note", "x" * 501, "Enter at most 500 characters (this has 501)."),
        ("colour", "blue", "Unknown custom attribute: declare it in the admin first."),
    ],
)
def test_clean_refuses_bad_custom_attributes_under_their_column(key, value, message):
    assert _clean(custom_attributes={key: value})[1] == {f"attr:{key}": [message]}


def test_clean_keeps_whole_numbers_whole():
    cleaned, _ = _clean(custom_attributes={"points": "3"})
    assert cleaned["custom_attributes"] == {"points": 3}
    assert isinstance(cleaned["custom_attributes"]["points"], int)


def test_plain_email_shortcut_accepts_only_what_the_validator_accepts():
    from django.core.validators import validate_email

    for address in ["a.b+c@example.co.uk", "x_y@sub-domain.example.org", "A%B@EXAMPLE.COM"]:
        assert PLAIN_EMAIL.match(address)
        validate_email(address)
    for address in ["a..b@example.com", ".a@example.com", "a@-example.com", "a@example.c0m", "a@example"]:
        assert not PLAIN_EMAIL.match(address)


# --- One customer -----------------------------------------------------------------------


def test_upsert_creates_updates_and_leaves_unchanged(db, agent):
    data = {"external_id": "C42", "email": "c42@example.com", "first_name": "Ana", "account_owner": "alice"}
    customer, status = customers.customer_upsert(data=data)
    assert status == "created"
    assert (customer.first_name, customer.account_owner) == ("Ana", agent)

    with CaptureQueriesContext(connection) as queries:
        again, status = customers.customer_upsert(data=data)
    assert (again.pk, status) == (customer.pk, "unchanged")
    assert not [q for q in queries if q["sql"].startswith(("UPDATE", "INSERT"))]

    _, status = customers.customer_upsert(data={"external_id": "C42", "first_name": "Anna", "account_owner": ""})
    customer.refresh_from_db()
    assert status == "updated"
    # A field left out keeps its value; a field given blank is emptied.
    assert (customer.first_name, customer.email, customer.account_owner) == ("Anna", "c42@example.com", None)


def test_upsert_raises_field_messages(db, outsider):
    with pytest.raises(ValidationError) as caught:
        customers.customer_upsert(data={"external_id": "C1", "email": "nope", "account_owner": "olivier"})
    assert caught.value.message_dict == {
        "email": ["Enter a valid email address."],
        "account_owner": ["There is no active staff user with the username “olivier”."],
    }
    assert not Customer.objects.exists()


def test_upsert_merges_custom_attributes(db):
    CustomAttribute.objects.create(key="points", label="Points", type="number")
    CustomAttribute.objects.create(key="store", label="Store", type="choice", choices="Paris\nLyon")
    customers.customer_upsert(data={"external_id": "C1", "custom_attributes": {"points": "5", "store": "Paris"}})
    customer, status = customers.customer_upsert(data={"external_id": "C1", "custom_attributes": {"store": ""}})
    assert status == "updated"
    customer.refresh_from_db()
    assert customer.custom_attributes == {"points": 5}


def test_upsert_refuses_an_erased_customer(db):
    erased = CustomerFactory(external_id="erased-1", erased_at=timezone.now(), first_name="")
    with pytest.raises(ValidationError) as caught:
        customers.customer_upsert(data={"external_id": "erased-1", "first_name": "Back"})
    assert "was erased" in caught.value.message_dict["external_id"][0]
    erased.refresh_from_db()
    assert erased.first_name == ""


def test_upsert_refuses_the_old_external_id_of_an_erased_customer(db):
    # What an erasure records of the external id it replaced (see external_id_digest).
    customers.erased_external_id_record(external_id="C0042", now=timezone.now())
    with pytest.raises(ValidationError, match="was erased"):
        customers.customer_upsert(data={"external_id": "C0042", "first_name": "Back"})
    assert customers.customer_upsert(data={"external_id": "C0043"})[1] == "created"


# --- Many customers ---------------------------------------------------------------------


def test_upsert_many_keeps_valid_rows_and_reports_the_others_by_index(db, admin_user):
    CustomerFactory(external_id="C2", first_name="Old")
    rows = [
        {"external_id": "C1", "first_name": "New"},
        {"external_id": "C2", "first_name": "Changed"},
        {"external_id": "C3", "email": "bad"},
        {"external_id": "C1", "first_name": "Again"},
    ]
    report = customers.customers_upsert_many(rows=rows, actor=admin_user)
    assert (report.created, report.updated, report.unchanged, report.invalid) == (1, 1, 0, 2)
    assert report.errors == [
        RowError(2, "C3", {"email": ["Enter a valid email address."]}),
        RowError(3, "C1", {"external_id": ["This external id is already in row 0: a customer may appear only once."]}),
    ]
    assert dict(Customer.objects.values_list("external_id", "first_name")) == {"C1": "New", "C2": "Changed"}
    event = PrivacyEvent.objects.get(action=PrivacyAction.IMPORT)
    assert event.actor == admin_user
    assert event.details == {"source": "api", "created": 1, "updated": 1, "unchanged": 0, "invalid": 2}


def test_upsert_many_and_create_many_refuse_items_that_are_not_objects(db, customer):
    report = customers.customers_upsert_many(rows=[["C1"], {"external_id": "C2"}])
    assert report.errors == [RowError(0, "", {"__all__": ["Give each item as an object of field → value."]})]
    assert report.created == 1
    with pytest.raises(RowsInvalid) as caught:
        activity.purchases_create_many(rows=["C1"])
    assert caught.value.message_dict == {"0": ["Give each item as an object of field → value."]}


def test_upsert_many_leaves_out_fields_rows_do_not_give(db):
    CustomerFactory(external_id="C1", email="one@example.com", first_name="One")
    CustomerFactory(external_id="C2", email="two@example.com", first_name="Two")
    rows = [{"external_id": "C1", "first_name": "Uno"}, {"external_id": "C2", "email": "deux@example.com"}]
    report = customers.customers_upsert_many(rows=rows)
    assert report.updated == 2
    assert set(Customer.objects.values_list("external_id", "email", "first_name")) == {
        ("C1", "one@example.com", "Uno"),
        ("C2", "deux@example.com", "Two"),
    }


def test_upsert_many_refuses_erased_customers(db):
    CustomerFactory(external_id="erased-9", erased_at=timezone.now())
    report = customers.customers_upsert_many(rows=[{"external_id": "erased-9", "first_name": "X"}])
    assert report.invalid == 1
    assert report.errors[0].errors["external_id"][0].startswith("This customer's personal data was erased")


# --- Purchases and events ---------------------------------------------------------------


def _purchase(**data):
    return {"purchased_at": "2025-01-02T10:00:00+01:00", "amount": "49.90", **data}


def test_purchase_create(db, customer):
    purchase = activity.purchase_create(customer=customer, data=_purchase(currency="eur", product_category="Lamps"))
    purchase.refresh_from_db()
    assert (purchase.amount, purchase.currency, purchase.product_category) == (Decimal("49.90"), "EUR", "Lamps")
    assert purchase.purchased_at == datetime(2025, 1, 2, 9, 0, tzinfo=UTC)


def test_purchase_create_keeps_the_customers_total_spend_in_step(db, customer):
    activity.purchase_create(customer=customer, data=_purchase())
    activity.purchase_create(customer=customer, data=_purchase(amount="10.10"))
    customer.refresh_from_db()
    assert customer.total_spend == Decimal("60.00")


def test_a_purchase_whose_total_cannot_be_updated_is_not_kept(db, customer, monkeypatch):
    # The purchase and the stored total are one write: a list sorted by spend never disagrees with the purchases.
    def fail(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(activity, "customers_refresh_total_spend", fail)
    with pytest.raises(RuntimeError):
        activity.purchase_create(customer=customer, data=_purchase())
    assert not Purchase.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (_purchase(amount="0"), "amount", "Enter an amount greater than zero."),
        (_purchase(amount="-3"), "amount", "Enter an amount greater than zero."),
        (_purchase(amount="1.234"), "amount", "Enter an amount with at most 2 decimals."),
        (_purchase(amount="12,50"), "amount", "Enter an amount such as 49.90."),
        (_purchase(amount="1e12"), "amount", "This amount is too large."),
        (_purchase(currency="EURO"), "currency", "Enter a currency as its 3-letter code, such as EUR."),
        (_purchase(currency="E1R"), "currency", "Enter a currency as its 3-letter code, such as EUR."),
        (_purchase(purchased_at="2025-01-02T10:00:00"), "purchased_at", "Give the time zone"),
        (_purchase(purchased_at="yesterday"), "purchased_at", "Enter a date and time as YYYY-MM-DDTHH:MM:SS+HH:MM."),
        ({"amount": "3"}, "purchased_at", "This field is required."),
        (_purchase(shop="Paris"), "shop", "Unknown field."),
    ],
)
def test_purchase_create_refuses_bad_values(db, customer, data, field, message):
    with pytest.raises(ValidationError) as caught:
        activity.purchase_create(customer=customer, data=data)
    assert caught.value.message_dict[field][0].startswith(message)
    assert not Purchase.objects.exists()


def test_purchase_in_the_future_is_refused(db, customer):
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError, match="in the future"):
        activity.purchase_create(customer=customer, data=_purchase(purchased_at=tomorrow))


def test_nothing_is_added_to_an_erased_customer(db):
    erased = CustomerFactory(erased_at=timezone.now())
    with pytest.raises(ValidationError, match="was erased"):
        activity.purchase_create(customer=erased, data=_purchase())
    with pytest.raises(ValidationError, match="was erased"):
        activity.customer_event_create(
            customer=erased, data={"kind": "site_visit", "occurred_at": "2025-01-02T10:00:00Z"}
        )


def test_purchases_create_many_is_all_or_nothing(db):
    CustomerFactory(external_id="C1")
    CustomerFactory(external_id="C2")
    rows = [_purchase(customer_external_id="C1"), _purchase(customer_external_id="C2", amount="0")]
    rows.append(_purchase(customer_external_id="C9"))
    with pytest.raises(RowsInvalid) as caught:
        activity.purchases_create_many(rows=rows)
    assert [(e.position, e.external_id, list(e.errors)) for e in caught.value.row_errors] == [
        (1, "C2", ["amount"]),
        (2, "C9", ["customer_external_id"]),
    ]
    assert caught.value.message_dict["1"] == ["amount: Enter an amount greater than zero."]
    assert not Purchase.objects.exists()

    created = activity.purchases_create_many(rows=rows[:1] + [_purchase(customer_external_id="C2", amount="5")])
    assert len(created) == 2
    assert sorted(Purchase.objects.values_list("customer__external_id", "amount")) == [
        ("C1", Decimal("49.90")),
        ("C2", Decimal("5.00")),
    ]


def test_events_for_one_customer(db, customer, django_assert_num_queries):
    rows = [
        {"kind": EventKind.CART_ABANDONED, "occurred_at": "2025-01-02T10:00:00Z", "details": {"amount": "89.00"}},
        {"kind": "site_visit", "occurred_at": datetime(2025, 1, 3, tzinfo=UTC)},
    ]
    with django_assert_num_queries(1):
        activity.customer_events_create_many(customer=customer, rows=rows)
    assert sorted(CustomerEvent.objects.values_list("kind", "details")) == [
        ("cart_abandoned", {"amount": "89.00"}),
        ("site_visit", {}),
    ]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "visit", "occurred_at": "2025-01-02T10:00:00Z"}, "kind", "Choose one of: site_visit"),
        ({"kind": "site_visit"}, "occurred_at", "This field is required."),
        ({"kind": "site_visit", "occurred_at": "2025-01-02T10:00:00Z", "details": [1]}, "details", "Give the details"),
    ],
)
def test_event_create_refuses_bad_values(db, customer, data, field, message):
    with pytest.raises(ValidationError) as caught:
        activity.customer_event_create(customer=customer, data=data)
    assert caught.value.message_dict[field][0].startswith(message)


@pytest.mark.django_db(transaction=True)
def test_total_spend_counts_purchases_recorded_at_the_same_time():
    """Two writers at once: the customer's row lock makes each recount see the other's purchase."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs a database with concurrent writers")
    customer = CustomerFactory()
    start = threading.Barrier(4)

    def buy():
        try:
            start.wait()
            activity.purchase_create(
                customer=customer, data={"purchased_at": "2025-01-02T10:00:00+00:00", "amount": "10.00"}
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=buy) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    customer.refresh_from_db()
    assert customer.purchases.count() == 4
    assert customer.total_spend == Decimal("40.00")
