"""The stored flags follow the writes that touch a customer, once their transaction commits."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from crm.choices import EventKind
from crm.models import Customer, CustomerEvent, Purchase
from crm.services import activity as crm_activity
from crm.services import customers as crm_customers
from crm.signals import customers_changed
from customerview import atrisk_hooks
from customerview.atrisk_services import risk_refresh, risk_refresh_all
from customerview.models import AtRiskPolicy, CustomerRisk
from surveys import services as surveys_services
from tests.factories import CustomerFactory, InvitationFactory, ResponseFactory

pytestmark = pytest.mark.django_db


def _flags(customer) -> dict:
    risk = CustomerRisk.objects.filter(customer=customer).first()
    if risk is None:
        return {}
    return {
        name: getattr(risk, name)
        for name in ("inactive", "cart_abandoned", "unsubscribed", "detractor")
        if getattr(risk, name)
    }


def _ago(days: int):
    return (timezone.now() - timedelta(days=days)).isoformat()


def test_an_event_refreshes_its_customer_once_the_transaction_commits(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        CustomerEvent.objects.create(customer=customer, kind=EventKind.CART_ABANDONED, occurred_at=timezone.now())
        assert _flags(customer) == {}  # nothing yet: the write may still roll back
    assert callbacks
    for callback in callbacks:
        callback()
    assert _flags(customer) == {"cart_abandoned": True}


def test_a_purchase_after_the_cart_clears_it(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        CustomerEvent.objects.create(customer=customer, kind=EventKind.CART_ABANDONED, occurred_at=timezone.now())
    assert _flags(customer) == {"cart_abandoned": True}
    with django_capture_on_commit_callbacks(execute=True):
        crm_activity.purchase_create(customer=customer, data={"purchased_at": _ago(0), "amount": "12.50"})
    assert _flags(customer) == {}
    assert CustomerRisk.objects.get(customer=customer).total_spend == Decimal("12.50")


def test_an_answer_flags_a_detractor_once_it_is_committed(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    invitation = InvitationFactory(customer=customer)
    with django_capture_on_commit_callbacks() as callbacks:
        surveys_services.response_submit(invitation=invitation, score=2)
    assert _flags(customer) == {}  # nothing yet: the answer may still roll back
    for callback in callbacks:
        callback()  # one message to a worker, which announces the answer (eager here)
    assert _flags(customer) == {"detractor": True}
    assert CustomerRisk.objects.get(customer=customer).last_detractor_score == 2


def test_deleting_an_answer_unflags_its_customer(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    response = ResponseFactory(score=2, customer=customer, invitation__customer=customer)
    risk_refresh(customer_ids=[customer.id])
    assert _flags(customer) == {"detractor": True}
    with django_capture_on_commit_callbacks(execute=True):
        response.delete()
    assert _flags(customer) == {}


def test_many_writes_in_one_transaction_refresh_their_customers_together(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    customers = CustomerFactory.create_batch(3)
    with django_capture_on_commit_callbacks() as callbacks:
        for customer in customers:
            CustomerEvent.objects.create(customer=customer, kind=EventKind.CART_ABANDONED, occurred_at=timezone.now())
    # The first callback refreshes the three (the policy, two statements in a savepoint); the others find none.
    with django_assert_num_queries(5):
        for callback in callbacks:
            callback()
    assert all(_flags(customer) == {"cart_abandoned": True} for customer in customers)


def test_a_rolled_back_write_refreshes_nothing(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            CustomerEvent.objects.create(customer=customer, kind=EventKind.CART_ABANDONED, occurred_at=timezone.now())
            transaction.set_rollback(True)
    assert not CustomerEvent.objects.exists()
    assert _flags(customer) == {}


def test_the_crm_bulk_writes_refresh_their_customers(django_capture_on_commit_callbacks):
    """They bypass post_save: the CRM says which customers it wrote (crm.signals.customers_changed)."""
    a, b = CustomerFactory(external_id="A"), CustomerFactory(external_id="B")
    with django_capture_on_commit_callbacks(execute=True):
        crm_activity.customer_events_create_many(
            rows=[
                {"customer_external_id": "A", "kind": EventKind.CART_ABANDONED, "occurred_at": _ago(1)},
                {"customer_external_id": "B", "kind": EventKind.NEWSLETTER_UNSUBSCRIBED, "occurred_at": _ago(1)},
            ]
        )
    assert (_flags(a), _flags(b)) == ({"cart_abandoned": True}, {"unsubscribed": True})
    with django_capture_on_commit_callbacks(execute=True):
        crm_activity.purchases_create_many(rows=[{"purchased_at": _ago(0), "amount": "5.00"}], customer=a)
    assert _flags(a) == {}
    # A customer upsert (the import's path) changes the name the list sorts by.
    with django_capture_on_commit_callbacks(execute=True):
        crm_customers.customers_upsert_many(rows=[{"external_id": "B", "last_name": "Zola"}])
    assert CustomerRisk.objects.get(customer=b).sort_name == "Zola"


def test_without_the_signal_a_bulk_write_waits_for_the_night(django_capture_on_commit_callbacks, monkeypatch):
    """What the signal is for: bulk_create alone tells nobody."""
    customer = CustomerFactory()
    monkeypatch.setattr(customers_changed, "send", lambda **kwargs: [])
    with django_capture_on_commit_callbacks(execute=True):
        crm_activity.customer_events_create_many(
            rows=[{"kind": EventKind.CART_ABANDONED, "occurred_at": _ago(1)}], customer=customer
        )
    assert _flags(customer) == {}
    risk_refresh_all()
    assert _flags(customer) == {"cart_abandoned": True}


def test_a_large_write_is_refreshed_by_a_task(django_capture_on_commit_callbacks, monkeypatch):
    published = []
    monkeypatch.setattr(atrisk_hooks, "BATCH_SIZE", 2)
    monkeypatch.setattr(atrisk_hooks, "publish", lambda task, *args: published.append((task.name, args)))
    customers = CustomerFactory.create_batch(3)
    with django_capture_on_commit_callbacks(execute=True):
        customers_changed.send(sender=Customer, customer_ids=[c.pk for c in customers])
    assert published == [("customerview.tasks.risk_refresh_task", (sorted(c.pk for c in customers),))]


def test_a_policy_change_refreshes_everyone(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    now = timezone.now()
    Purchase.objects.bulk_create(
        Purchase(customer=customer, amount=1, purchased_at=now - timedelta(days=75 + 30 * i)) for i in range(4)
    )
    risk_refresh_all()
    assert _flags(customer) == {"inactive": True}
    with django_capture_on_commit_callbacks(execute=True):
        AtRiskPolicy.objects.create(inactivity_factor=Decimal("3"))
    assert _flags(customer) == {}


def test_the_nightly_refresh_is_on_the_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["at-risk-refresh"]
    assert entry["task"] == "customerview.tasks.risk_refresh_all_task"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {45})
