"""The stored flags say what the rules of customerview.atrisk say, for every shape of customer."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from crm.choices import EventKind
from crm.models import Customer, CustomerEvent, Purchase
from customerview import atrisk
from customerview.atrisk_selectors import at_risk_list, at_risk_policy, at_risk_rows, signals_of, with_signals
from customerview.atrisk_services import risk_refresh, risk_refresh_all
from customerview.models import AtRiskPolicy, CustomerRisk
from tests.factories import ResponseFactory

POLICIES = {
    "default": {},
    "strict": {"inactivity_factor": Decimal("1.5"), "min_purchases_for_interval": 2, "cart_abandoned_days": 3},
    "off": {"inactivity_factor": Decimal("0"), "unsubscribed_days": 0, "detractor_days": 0},
}


def _world(now):
    """Customers of every rhythm and idle time around the thresholds, with carts, unsubscribes and answers."""
    shapes = [
        (every, count, idle)
        for every in (0, 1, 7, 30)
        for count in (1, 2, 3, 6)
        for idle in (0, 1, 2, 3, 13, 14, 15, 44, 45, 46, 59, 60, 61, 62, 200)
    ]
    customers = Customer.objects.bulk_create(
        Customer(external_id=f"G{i:04d}", last_name=f"N{i % 7}") for i in range(len(shapes))
    )
    Purchase.objects.bulk_create(
        Purchase(customer=customer, amount=10 + i, purchased_at=now - timedelta(days=idle + i * every))
        for customer, (every, count, idle) in zip(customers, shapes, strict=True)
        for i in range(count)
    )
    for i, customer in enumerate(customers[::7]):
        kind = (EventKind.CART_ABANDONED, EventKind.NEWSLETTER_UNSUBSCRIBED)[i % 2]
        CustomerEvent.objects.create(customer=customer, kind=kind, occurred_at=now - timedelta(days=i % 40))
    for i, customer in enumerate(customers[::11]):
        ResponseFactory(
            score=i % 11, customer=customer, invitation__customer=customer, submitted_at=now - timedelta(days=i * 9)
        )
    Customer.objects.filter(pk=customers[7].pk).update(erased_at=now)  # flagged by its cart, but erased
    return customers


def _expected(policy, viewer=None) -> dict[int, list[str]]:
    expected = {}
    for customer in with_signals(Customer.objects.filter(erased_at__isnull=True)):
        reasons = atrisk.at_risk_reasons(signals=signals_of(customer), policy=policy, today=timezone.localdate())
        if reasons:
            expected[customer.id] = [r.code for r in reasons]
    return expected


def _listed(policy, viewer, reason="") -> dict[int, list[str]]:
    rows = at_risk_rows(at_risk_list(viewer=viewer, policy=policy, reason=reason), viewer=viewer, policy=policy)
    return {row.customer.id: [r.code for r in row.reasons] for row in rows}


# Ten in the morning in Paris, and half past midnight (the day before in UTC): "days ago" are local days.
@pytest.mark.parametrize("moment", ["2025-06-30 08:00 +0000", "2025-01-14 23:30 +0000"])
@pytest.mark.parametrize("policy_name", list(POLICIES))
def test_stored_flags_are_the_rules_verdicts(db, manager, moment, policy_name):
    with time_machine.travel(moment, tick=False):
        _world(timezone.now())
        policy = AtRiskPolicy.objects.create(**POLICIES[policy_name])
        assert policy == at_risk_policy()
        risk_refresh_all()
        expected = _expected(policy)
        assert _listed(policy, manager) == expected
        for code, _label in atrisk.REASONS:
            assert set(_listed(policy, manager, code)) == {c for c, codes in expected.items() if code in codes}
        if policy_name == "default":
            assert {c for codes in expected.values() for c in codes} == {code for code, _label in atrisk.REASONS}
        if policy_name == "off":
            assert {c for codes in expected.values() for c in codes} == {atrisk.CART_ABANDONED}


@time_machine.travel("2025-06-30 08:00 +0000", tick=False)
def test_a_batch_refresh_writes_what_the_full_refresh_writes(db):
    customers = _world(timezone.now())
    risk_refresh_all()
    full = {row["customer_id"]: row for row in CustomerRisk.objects.values()}
    CustomerRisk.objects.all().delete()
    # In two batches, one of them smaller than BATCH_SIZE, with an id that no longer exists.
    ids = [customer.pk for customer in customers]
    assert risk_refresh(customer_ids=ids[:100]) == 100
    risk_refresh(customer_ids=[*ids[100:], 999_999])
    assert {row["customer_id"]: row for row in CustomerRisk.objects.values()} == full
    assert not CustomerRisk.objects.filter(customer_id=999_999).exists()


def test_the_list_is_the_most_valuable_first_then_the_most_reasons(db, manager):
    now = timezone.now()
    rich, poor, twice = Customer.objects.bulk_create(
        [Customer(external_id="R", last_name="B"), Customer(external_id="P", last_name="A"), Customer(external_id="T")]
    )
    Purchase.objects.create(customer=rich, amount=Decimal("100.00"), purchased_at=now - timedelta(days=5))
    Purchase.objects.create(customer=twice, amount=Decimal("100.00"), purchased_at=now - timedelta(days=5))
    for customer in (rich, poor, twice):
        CustomerEvent.objects.create(customer=customer, kind=EventKind.NEWSLETTER_UNSUBSCRIBED, occurred_at=now)
    CustomerEvent.objects.create(customer=twice, kind=EventKind.CART_ABANDONED, occurred_at=now)
    risk_refresh_all()
    policy = at_risk_policy()
    rows = at_risk_rows(at_risk_list(viewer=manager, policy=policy), viewer=manager, policy=policy)
    assert [row.customer for row in rows] == [twice, rich, poor]
    assert [row.total_spend for row in rows] == [Decimal("100.00"), Decimal("100.00"), Decimal("0.00")]


def test_flags_that_depend_on_the_clock_change_at_the_nightly_refresh(db, manager):
    customer = Customer.objects.create(external_id="C")
    with time_machine.travel("2025-06-30 08:00 +0000", tick=False):
        CustomerEvent.objects.create(customer=customer, kind=EventKind.CART_ABANDONED, occurred_at=timezone.now())
        risk_refresh_all()
    policy = at_risk_policy()
    with time_machine.travel("2025-07-20 08:00 +0000", tick=False):
        # Twenty days on, the cart is past the 14-day window: the list says what was computed, until…
        assert list(_listed(policy, manager)) == [customer.id]
        [row] = at_risk_rows(at_risk_list(viewer=manager, policy=policy), viewer=manager, policy=policy)
        assert row.reasons[0].days == 20
        risk_refresh_all()  # …the night's refresh.
        assert _listed(policy, manager) == {}


def test_a_refresh_rewrites_only_what_changed(db, manager):
    customer = Customer.objects.create(external_id="U")
    with time_machine.travel("2025-06-30 08:00 +0000", tick=False):
        CustomerEvent.objects.create(customer=customer, kind=EventKind.CART_ABANDONED, occurred_at=timezone.now())
        risk_refresh_all()
        first = timezone.now()
    with time_machine.travel("2025-07-01 08:00 +0000", tick=False):
        risk_refresh_all()
    risk = CustomerRisk.objects.get()
    assert (risk.cart_abandoned, risk.computed_at) == (True, first)  # nothing changed: not written
    with time_machine.travel("2025-07-20 08:00 +0000", tick=False):
        risk_refresh_all()  # the cart is past its window: the flags change, the signals do not
    risk = CustomerRisk.objects.get()
    assert (risk.cart_abandoned, risk.at_risk, risk.reason_count, risk.computed_at) == (False, False, 0, first)
