"""What the CRM holds about a customer: their profile, purchases and behaviour events.

The privacy room (privacy.registry) finds this module through CrmConfig.personal_data and
calls it first (ORDER), the other apps' parts after it, inside one transaction.

Erasure blanks who the person is (IDENTITY_FIELDS, custom attributes, account owner) and
replaces `external_id` by `erased-<public_id>`; a keyed digest of the old id is kept
(ErasedExternalId) so that a later import cannot fill the row in again. Kept: language,
customer_since, newsletter_subscribed, age_band, gender, region, area and plan (coarse bands
shared by many customers, which the dashboard's segment breakdowns read), the purchases, and
each behaviour event's kind and date (its details go).
"""

from __future__ import annotations

from crm.models import Customer, CustomerEvent
from crm.services.customers import erased_external_id_record
from npsapp.personal_data import plain, username

ORDER = 10

# Customer fields that say who the person is: blanked on erasure. The remaining profile
# fields (language, customer_since, newsletter_subscribed, age_band, gender, region, area,
# plan) are coarse segment attributes, shared by many customers and not identifying on their
# own; they are kept so that the dashboard's breakdowns by segment stay the same.
IDENTITY_FIELDS = {
    "email": "",
    "first_name": "",
    "last_name": "",
    "phone": "",
    "birth_year": None,
    "city": "",
    # The address a mail server refused (and its reply, which may quote it).
    "email_failed_address": "",
    "email_failure_reason": "",
}


def _profile(customer: Customer) -> dict:
    profile = {}
    for model_field in Customer._meta.concrete_fields:
        if model_field.name == "id":
            continue  # the internal key; the public id identifies the customer
        if model_field.name == "account_owner":
            profile["account_owner"] = username(customer.account_owner)
        else:
            profile[model_field.name] = plain(getattr(customer, model_field.attname))
    return profile


def export(subject, document: dict) -> None:
    """The profile, the purchases and the behaviour events: three queries."""
    customer = Customer.objects.select_related("account_owner").get(pk=subject.customer.pk)
    document["customer"] = _profile(customer)
    document["purchases"] = [
        {
            "purchased_at": plain(purchase.purchased_at),
            "amount": plain(purchase.amount),
            "currency": purchase.currency,
            "product_category": purchase.product_category,
            "channel": purchase.channel,
        }
        for purchase in customer.purchases.order_by("purchased_at", "id")
    ]
    document["events"] = [
        {"kind": event.kind, "occurred_at": plain(event.occurred_at), "details": plain(event.details)}
        for event in customer.events.order_by("occurred_at", "id")
    ]


def erase(subject) -> dict:
    """Blank the customer's identity; behaviour events lose their details. Returns counts."""
    customer = subject.customer
    for name, blank in IDENTITY_FIELDS.items():
        setattr(customer, name, blank)
    customer.custom_attributes = {}
    customer.account_owner = None
    customer.external_id = f"erased-{customer.public_id}"
    customer.erased_at = customer.erased_at or subject.now
    customer.save(
        update_fields=[
            *IDENTITY_FIELDS,
            "custom_attributes",
            "account_owner",
            "external_id",
            "erased_at",
            "updated_at",
        ]
    )
    counts = {
        "event_details_removed": CustomerEvent.objects.filter(customer=customer).exclude(details={}).update(details={}),
    }
    if not subject.already_erased:
        # A keyed digest (not the id itself) lets a later import refuse rows for this person.
        counts["external_id_digest"] = erased_external_id_record(external_id=subject.external_id, now=subject.now)
    return counts
