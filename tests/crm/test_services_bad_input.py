"""Bad input found by Schemathesis against the API: a clear error, never a crash."""

import pytest
from django.core.exceptions import ValidationError

from crm.services import activity
from tests.factories import CustomerFactory


@pytest.mark.parametrize("external_id", [{}, [], 12, None])
def test_non_text_customer_ids_are_row_errors(db, external_id):
    row = {"kind": "site_visit", "occurred_at": "2026-01-01T00:00:00Z", "customer_external_id": external_id}
    with pytest.raises(ValidationError):
        activity.customer_events_create_many(rows=[row])


@pytest.mark.parametrize("moment", ["0629-02-05T12:51:37+16:40", "1899-12-31T23:00:00Z", "2026-01-01T00:00:00+18:00"])
def test_datetimes_the_database_cannot_store_are_refused(db, moment):
    customer = CustomerFactory()
    with pytest.raises(ValidationError):
        activity.customer_event_create(customer=customer, data={"kind": "support_contact", "occurred_at": moment})
