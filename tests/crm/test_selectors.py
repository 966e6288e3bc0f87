from datetime import timedelta

import time_machine
from django.utils import timezone

from crm import atrisk
from crm.choices import EventKind
from crm.models import Customer, CustomerEvent, Purchase
from crm.selectors import at_risk_customers, at_risk_policy, signals_of, with_signals
from tests.factories import ResponseFactory


@time_machine.travel("2025-06-30 10:00 +0000", tick=False)
def test_at_risk_list_flags_exactly_whom_the_rules_flag(db, manager):
    """The database narrows the candidates; the rules decide. Nobody the rules flag may be lost."""
    policy = at_risk_policy()
    now = timezone.now()
    shapes = [
        (every, count, idle)
        for every in (0, 1, 7, 30)
        for count in (1, 2, 3, 6)
        for idle in (0, 1, 2, 3, 13, 14, 15, 59, 60, 61, 62, 200)
    ]
    customers = Customer.objects.bulk_create(Customer(external_id=f"G{i:04d}") for i in range(len(shapes)))
    Purchase.objects.bulk_create(
        Purchase(customer=customer, amount=10, purchased_at=now - timedelta(days=idle + i * every))
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

    flagged = {
        row.customer.id: [r.code for r in row.reasons] for row in at_risk_customers(policy=policy, viewer=manager)
    }
    expected = {}
    for customer in with_signals(Customer.objects.all()):
        reasons = atrisk.at_risk_reasons(signals=signals_of(customer), policy=policy, today=timezone.localdate())
        if reasons:
            expected[customer.id] = [r.code for r in reasons]
    assert flagged == expected
    assert {"inactive", "cart_abandoned", "unsubscribed", "detractor"} <= {
        c for codes in flagged.values() for c in codes
    }
