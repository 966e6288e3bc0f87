from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from crm.models import Customer, CustomerEvent, Purchase
from privacy.choices import PrivacyAction
from privacy.models import PrivacyEvent
from tests.factories import CustomerFactory

CUSTOMERS = reverse("api:customers")
BULK = reverse("api:customers-bulk")


def _url(external_id, name="api:customer"):
    return reverse(name, args=[external_id])


def _yesterday() -> str:
    return (timezone.now() - timedelta(days=1)).isoformat()


# --- Create, upsert, read ------------------------------------------------------------------------


def test_create_a_customer(api):
    reply = api.post(
        CUSTOMERS, {"external_id": "C1", "email": "ana@example.com", "first_name": "Ana", "plan": "premium"}, "json"
    )
    assert reply.status_code == 201
    body = reply.json()
    assert (body["external_id"], body["email"], body["first_name"], body["plan"]) == (
        "C1",
        "ana@example.com",
        "Ana",
        "premium",
    )
    assert body["public_id"] and body["erased_at"] is None
    assert Customer.objects.get(external_id="C1").first_name == "Ana"


def test_creating_an_existing_customer_is_refused_and_changes_nothing(api):
    CustomerFactory(external_id="C1", first_name="Ana")
    reply = api.post(CUSTOMERS, {"external_id": "C1", "first_name": "Bob"}, "json")
    assert reply.status_code == 400
    assert "PUT" in reply.json()["external_id"][0]
    assert Customer.objects.get(external_id="C1").first_name == "Ana"


def test_bad_values_get_a_message_per_field_and_nothing_is_created(api):
    reply = api.post(
        CUSTOMERS, {"external_id": "C1", "email": "not-an-email", "birth_year": 1200, "colour": "red"}, "json"
    )
    assert reply.status_code == 400
    errors = reply.json()
    assert set(errors) == {"email", "birth_year", "colour"}
    assert all(isinstance(messages, list) and messages for messages in errors.values())
    assert not Customer.objects.exists()


def test_a_customer_needs_an_external_id(api):
    reply = api.post(CUSTOMERS, {"email": "ana@example.com"}, "json")
    assert reply.status_code == 400
    assert reply.json()["external_id"]


def test_a_body_that_is_not_an_object_is_refused(api):
    reply = api.post(CUSTOMERS, [{"external_id": "C1"}], "json")
    assert reply.status_code == 400
    assert reply.json()["non_field_errors"]


def test_put_creates_then_updates_keeping_fields_left_out(api):
    reply = api.put(_url("C1"), {"first_name": "Ana", "city": "Lyon"}, "json")
    assert reply.status_code == 201
    reply = api.put(_url("C1"), {"city": "Nantes"}, "json")
    assert reply.status_code == 200
    assert (reply.json()["first_name"], reply.json()["city"]) == ("Ana", "Nantes")
    reply = api.put(_url("C1"), {"city": ""}, "json")
    assert reply.json()["city"] == ""
    assert Customer.objects.count() == 1


def test_put_with_another_external_id_in_the_body_is_refused(api):
    reply = api.put(_url("C1"), {"external_id": "C2"}, "json")
    assert reply.status_code == 400
    assert reply.json()["external_id"]
    assert not Customer.objects.exists()


def test_read_a_customer_by_external_id(api):
    CustomerFactory(external_id="ext42", first_name="Ana")
    reply = api.get(_url("ext42"))
    assert reply.status_code == 200
    assert reply.json()["first_name"] == "Ana"


def test_unknown_customer_is_json_404(api):
    reply = api.get(_url("nobody"))
    assert reply.status_code == 404
    assert reply.json()["detail"]


# --- Bulk ----------------------------------------------------------------------------------------


def test_bulk_upsert_writes_valid_items_and_reports_the_others_by_index(api):
    CustomerFactory(external_id="OLD", city="Lyon")
    rows = [
        {"external_id": "NEW", "first_name": "Ana"},
        {"external_id": "BAD", "email": "nope"},
        {"external_id": "OLD", "city": "Nantes"},
        {"external_id": "NEW"},
    ]
    reply = api.post(BULK, rows, "json")
    assert reply.status_code == 200
    report = reply.json()
    assert (report["created"], report["updated"], report["unchanged"], report["invalid"]) == (1, 1, 0, 2)
    assert [(error["index"], error["external_id"]) for error in report["errors"]] == [(1, "BAD"), (3, "NEW")]
    assert report["errors"][0]["errors"]["email"]
    assert Customer.objects.get(external_id="OLD").city == "Nantes"
    assert not Customer.objects.filter(external_id="BAD").exists()
    assert PrivacyEvent.objects.get(action=PrivacyAction.IMPORT).actor.username == "root"


def test_bulk_refuses_more_than_1000_items(api):
    reply = api.post(BULK, [{"external_id": f"C{i}"} for i in range(1001)], "json")
    assert reply.status_code == 400
    assert "1000" in reply.json()["non_field_errors"][0].replace(",", "")
    assert not Customer.objects.exists()


def test_bulk_refuses_what_is_not_a_list_of_objects(api):
    assert api.post(BULK, {"external_id": "C1"}, "json").json()["non_field_errors"]
    assert api.post(BULK, [], "json").status_code == 400
    reply = api.post(BULK, [{"external_id": "C1"}, "C2"], "json")
    assert reply.status_code == 400
    assert list(reply.json()) == ["1"]
    assert not Customer.objects.exists()


# --- Erase ---------------------------------------------------------------------------------------


def test_delete_erases_the_customer_identity(api, admin_user):
    customer = CustomerFactory(external_id="C1", email="ana@example.com", first_name="Ana")
    reply = api.delete(_url("C1"))
    assert reply.status_code == 204
    customer.refresh_from_db()
    assert customer.erased_at is not None
    assert (customer.email, customer.first_name) == ("", "")
    assert api.get(_url("C1")).status_code == 404
    assert PrivacyEvent.objects.get(action=PrivacyAction.ERASE).actor == admin_user


def test_post_erase_answers_the_erased_customer(api):
    CustomerFactory(external_id="C1", email="ana@example.com")
    reply = api.post(_url("C1", "api:customer-erase"))
    assert reply.status_code == 200
    body = reply.json()
    assert body["erased_at"] is not None
    assert body["email"] == ""
    assert body["external_id"].startswith("erased-")


def test_a_read_token_cannot_erase(read_api):
    CustomerFactory(external_id="C1")
    assert read_api.delete(_url("C1")).status_code == 403
    assert Customer.objects.get(external_id="C1").erased_at is None


# --- Purchases and events ------------------------------------------------------------------------


def test_record_a_purchase(api):
    CustomerFactory(external_id="C1")
    reply = api.post(
        _url("C1", "api:customer-purchases"),
        {"purchased_at": _yesterday(), "amount": "49.90", "product_category": "Lighting"},
        "json",
    )
    assert reply.status_code == 201
    body = reply.json()
    assert (body["customer"], body["amount"], body["currency"]) == ("C1", "49.90", "EUR")
    assert Purchase.objects.get().product_category == "Lighting"


def test_a_bad_purchase_gets_field_messages(api):
    CustomerFactory(external_id="C1")
    reply = api.post(_url("C1", "api:customer-purchases"), {"amount": "-3", "currency": "euros"}, "json")
    assert reply.status_code == 400
    assert set(reply.json()) == {"purchased_at", "amount", "currency"}
    assert not Purchase.objects.exists()


def test_a_purchase_for_an_unknown_customer_is_404(api):
    reply = api.post(_url("nobody", "api:customer-purchases"), {"purchased_at": _yesterday(), "amount": "1"}, "json")
    assert reply.status_code == 404


def test_bulk_purchases_are_all_or_nothing(api):
    CustomerFactory(external_id="C1")
    CustomerFactory(external_id="C2")
    rows = [
        {"customer_external_id": "C1", "purchased_at": _yesterday(), "amount": "10"},
        {"customer_external_id": "C2", "purchased_at": _yesterday(), "amount": "zero"},
        {"customer_external_id": "C9", "purchased_at": _yesterday(), "amount": "5"},
    ]
    reply = api.post(reverse("api:purchases-bulk"), rows, "json")
    assert reply.status_code == 400
    assert set(reply.json()) == {"1", "2"}
    assert not Purchase.objects.exists()
    del rows[1:]
    reply = api.post(reverse("api:purchases-bulk"), rows, "json")
    assert reply.status_code == 201
    assert reply.json() == {"created": 1}


def test_record_a_behaviour_event(api):
    CustomerFactory(external_id="C1")
    reply = api.post(
        _url("C1", "api:customer-events"),
        {"kind": "cart_abandoned", "occurred_at": _yesterday(), "details": {"cart": 120}},
        "json",
    )
    assert reply.status_code == 201
    assert reply.json()["kind"] == "cart_abandoned"
    assert CustomerEvent.objects.get().details == {"cart": 120}


def test_a_bad_event_gets_field_messages(api):
    CustomerFactory(external_id="C1")
    reply = api.post(_url("C1", "api:customer-events"), {"kind": "party", "occurred_at": "tomorrow"}, "json")
    assert reply.status_code == 400
    assert set(reply.json()) == {"kind", "occurred_at"}


def test_bulk_events(api):
    CustomerFactory(external_id="C1")
    rows = [{"customer_external_id": "C1", "kind": "site_visit", "occurred_at": _yesterday()}] * 3
    reply = api.post(reverse("api:events-bulk"), rows, "json")
    assert reply.status_code == 201
    assert reply.json() == {"created": 3}
    assert CustomerEvent.objects.count() == 3
