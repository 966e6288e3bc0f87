from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from crm.selectors import customer_crm_summary
from tests.factories import CustomerFactory, PurchaseFactory, ResponseFactory


def test_crm_summary_figures(db, django_assert_num_queries):
    customer = CustomerFactory(customer_since=date(2021, 4, 1))
    now = timezone.now()
    PurchaseFactory(customer=customer, amount=Decimal("10.50"), purchased_at=now - timedelta(days=100))
    PurchaseFactory(customer=customer, amount=Decimal("89.50"), purchased_at=now - timedelta(days=3))
    current = ResponseFactory(score=2, customer=customer, invitation__customer=customer)
    earlier = ResponseFactory(
        score=9, customer=customer, invitation__customer=customer, submitted_at=now - timedelta(days=200)
    )
    with django_assert_num_queries(2):
        summary = customer_crm_summary(customer=customer, exclude_response_id=current.id)
    assert summary.purchase_count == 2
    assert summary.total_spend == Decimal("100.00")
    assert summary.last_purchase_at == now - timedelta(days=3)
    assert summary.customer_since == date(2021, 4, 1)
    assert summary.earlier_responses == [earlier]


def test_crm_summary_of_a_customer_without_purchases(db):
    summary = customer_crm_summary(customer=CustomerFactory())
    assert (summary.purchase_count, summary.total_spend, summary.last_purchase_at) == (0, Decimal("0"), None)
    assert summary.customer_since is None
