"""Keep the stored at-risk flags in step with the writes that touch a customer.

Connected in CustomerviewConfig.ready(): a purchase, a customer event or the customer row saved
or deleted (post_save, post_delete), and the CRM's bulk writes (crm.signals.customers_changed),
mark their customers; once the transaction commits, those customers are refreshed together
(customerview.atrisk_services.risk_refresh), inline for up to a batch, by a task beyond. An
answer's customer is refreshed by the worker that announces the answer (surveys.signals.
response_submitted), so that the survey page stays cheap. A
rolled-back write refreshes nothing it did (its customers are refreshed for nothing at worst).
A change of policy refreshes everyone. What changes only with the clock waits for the nightly
full refresh. Writes that bypass both post_save and the signal (QuerySet.update) are also caught
up each night.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from crm.models import Customer, CustomerEvent, Purchase
from crm.signals import customers_changed
from customerview.atrisk_services import BATCH_SIZE, risk_refresh
from customerview.models import AtRiskPolicy
from customerview.tasks import risk_refresh_all_task, risk_refresh_task
from npsapp.publish import publish
from surveys.models import Response
from surveys.signals import response_submitted

logger = logging.getLogger(__name__)

_pending = threading.local()


def after_commit(callback: Callable[[], None]) -> None:
    """When the refreshes run: once the current transaction commits (tests may run them at once)."""
    transaction.on_commit(callback)


def customers_touched(customer_ids: Iterable[int | None]) -> None:
    """Refresh these customers' flags once the current transaction commits, with any others touched meanwhile."""
    ids = {customer_id for customer_id in customer_ids if customer_id is not None}
    if not ids:
        return
    connection = transaction.get_connection()
    # The ids wait with their transaction (its outermost block): a rolled-back one leaves its own behind.
    key = id(connection.atomic_blocks[0]) if connection.in_atomic_block else None
    state = getattr(_pending, "state", None)
    if state is None or state[0] != key:
        state = _pending.state = (key, set())
    state[1].update(ids)
    # One callback per write: the first to run refreshes everyone touched, the others find nothing left.
    after_commit(_refresh_pending)


def _refresh_pending() -> None:
    state, _pending.state = getattr(_pending, "state", None), None
    ids = state[1] if state else set()
    if not ids:
        return
    if len(ids) > BATCH_SIZE:
        # An import: a worker takes it, a batch at a time (inline without a broker).
        publish(risk_refresh_task, sorted(ids))
        return
    try:
        risk_refresh(customer_ids=ids)
    except Exception:  # noqa: BLE001 - the write is committed; the nightly refresh catches up
        logger.exception("could not refresh the at-risk flags of %d customers", len(ids))


def _policy_changed() -> None:
    publish(risk_refresh_all_task)


def _on_row(sender, instance, **kwargs) -> None:
    customers_touched([instance.customer_id])


def _on_answer(sender, response, **kwargs) -> None:
    """An answer recorded or corrected (surveys.signals.response_submitted, sent by a worker once it
    is committed): its customer's flags are refreshed there, not in the survey page's request,
    which every customer waits for. A lost message waits for the night."""
    if response.customer_id is not None:
        risk_refresh(customer_ids=[response.customer_id])


def _on_answer_deleted(sender, instance, **kwargs) -> None:
    if instance.customer_id is not None:
        customer_ids = [instance.customer_id]
        after_commit(lambda: publish(risk_refresh_task, customer_ids))


def _on_customer(sender, instance, created=False, **kwargs) -> None:
    if created:
        return  # nothing to flag yet: their first purchase, event or answer will say so
    customers_touched([instance.pk])


def _on_customers_changed(sender, customer_ids, **kwargs) -> None:
    customers_touched(customer_ids)


def _on_policy(sender, **kwargs) -> None:
    after_commit(_policy_changed)


def connect() -> None:
    for model in (Purchase, CustomerEvent):
        post_save.connect(_on_row, sender=model, dispatch_uid=f"atrisk-{model._meta.label_lower}-saved")
        post_delete.connect(_on_row, sender=model, dispatch_uid=f"atrisk-{model._meta.label_lower}-deleted")
    # Answers are written by surveys' services only, each announced once committed.
    response_submitted.connect(_on_answer, dispatch_uid="atrisk-surveys.response-submitted")
    post_delete.connect(_on_answer_deleted, sender=Response, dispatch_uid="atrisk-surveys.response-deleted")
    # The name the list sorts by, and erasure.
    post_save.connect(_on_customer, sender=Customer, dispatch_uid="atrisk-customer-saved")
    customers_changed.connect(_on_customers_changed, dispatch_uid="atrisk-customers-changed")
    post_save.connect(_on_policy, sender=AtRiskPolicy, dispatch_uid="atrisk-policy-saved")
    post_delete.connect(_on_policy, sender=AtRiskPolicy, dispatch_uid="atrisk-policy-deleted")
