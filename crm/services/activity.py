"""Purchases and behaviour events: one, or many all or nothing, and the customers' stored total spend."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Customer, CustomerEvent, Purchase
from crm.segments import segments_changed
from crm.services.rows import (
    RowError,
    RowsInvalid,
    customer_event_clean,
    event_kinds,
    not_an_object_message,
    purchase_clean,
)
from crm.signals import customers_changed

# Rows per INSERT.
BATCH_SIZE = 2000


def _refuse_erased(customer: Customer) -> None:
    if customer.erased_at is not None:
        raise ValidationError(
            {"customer": [_("This customer's personal data was erased: nothing can be added to it.")]}
        )


@transaction.atomic
def purchase_create(*, customer: Customer, data: Mapping) -> Purchase:
    """Record one purchase; raises ValidationError by field, or for an erased customer."""
    _refuse_erased(customer)
    cleaned, errors = purchase_clean(data, now=timezone.now())
    if errors:
        raise ValidationError(errors)
    _lock_customers([customer.pk])
    purchase = Purchase.objects.create(customer=customer, **cleaned)
    customers_refresh_total_spend(customer_ids=[customer.pk])
    return purchase


def _lock_customers(customer_ids) -> None:
    """Lock the customers' rows (in id order, so two writers cannot deadlock) before their purchases
    change: a concurrent writer then waits, and its recount sees this one's purchase."""
    list(Customer.objects.select_for_update().filter(pk__in=customer_ids).order_by("pk").values_list("pk"))


def customers_refresh_total_spend(*, customer_ids=None) -> int:
    """Recompute the stored total spend from the purchases (of these customers, or of all)."""
    spend = (
        Purchase.objects.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    customers = Customer.objects.all() if customer_ids is None else Customer.objects.filter(pk__in=customer_ids)
    return customers.update(total_spend=Coalesce(Subquery(spend), Value(Decimal("0"))))


def customer_event_create(*, customer: Customer, data: Mapping) -> CustomerEvent:
    """Record one behaviour event; raises ValidationError by field, or for an erased customer."""
    _refuse_erased(customer)
    cleaned, errors = customer_event_clean(data, now=timezone.now())
    if errors:
        raise ValidationError(errors)
    return CustomerEvent.objects.create(customer=customer, **cleaned)


def _customers_by_external_id(rows: list[Mapping], customer: Customer | None) -> dict[str, Customer]:
    if customer is not None:
        return {}
    ids = {
        row.get("customer_external_id")
        for row in rows
        if isinstance(row, Mapping) and isinstance(row.get("customer_external_id"), str)
    }
    return {c.external_id: c for c in Customer.objects.filter(external_id__in=ids)}


def _create_many(model, rows: Iterable[Mapping], customer: Customer | None, clean) -> list:
    """Check every row, then write them all in one INSERT, or none (RowsInvalid).

    All or nothing: purchases and events have no natural key, so a client retrying a
    half-written batch would record the written half twice.
    """
    if customer is not None:
        _refuse_erased(customer)
    rows = list(rows)
    now = timezone.now()
    customers = _customers_by_external_id(rows, customer)
    objects, row_errors = [], []
    for index, data in enumerate(rows):
        if not isinstance(data, Mapping):
            row_errors.append(RowError(index, "", {NON_FIELD_ERRORS: [not_an_object_message()]}))
            continue
        data = dict(data)
        owner, external_id = customer, None
        errors: dict[str, list[str]] = {}
        if customer is None:
            external_id = data.pop("customer_external_id", None)
            owner = customers.get(external_id) if isinstance(external_id, str) else None
            if owner is None:
                errors["customer_external_id"] = [_("There is no customer with this external id.")]
            elif owner.erased_at is not None:
                errors["customer_external_id"] = [
                    _("This customer's personal data was erased: nothing can be added to it.")
                ]
        cleaned, field_errors = clean(data, now=now)
        errors.update(field_errors)
        if errors:
            row_errors.append(RowError(index, owner.external_id if owner else str(external_id or ""), errors))
        else:
            objects.append(model(customer=owner, **cleaned))
    if row_errors:
        raise RowsInvalid(row_errors)
    customer_ids = {o.customer_id for o in objects}
    if model is not Purchase:
        created = model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        customers_changed.send(sender=model, customer_ids=customer_ids)
        return created
    with transaction.atomic():
        _lock_customers(customer_ids)
        created = model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        customers_refresh_total_spend(customer_ids=customer_ids)
        customers_changed.send(sender=model, customer_ids=customer_ids)
    return created


def purchases_create_many(*, rows: Iterable[Mapping], customer: Customer | None = None) -> list[Purchase]:
    """Record many purchases, all or none (RowsInvalid, by 0-based index).

    For one customer, or, with `customer` None, each row names its own in `customer_external_id`
    (one query resolves them all).
    """
    created = _create_many(Purchase, rows, customer, purchase_clean)
    segments_changed()  # bulk writes send no signal: the filter choices are read again
    return created


def customer_events_create_many(*, rows: Iterable[Mapping], customer: Customer | None = None) -> list[CustomerEvent]:
    """Record many behaviour events, all or none; like purchases_create_many."""
    kinds = cache(event_kinds)  # read at most once for the batch
    return _create_many(
        CustomerEvent, rows, customer, lambda data, *, now: customer_event_clean(data, now=now, kinds=kinds)
    )
