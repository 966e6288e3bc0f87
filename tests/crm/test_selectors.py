from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from crm.choices import EventKind
from crm.models import CustomerEvent
from crm.selectors import customer_crm_summary
from tests.factories import CustomerFactory, PurchaseFactory, ResponseFactory


def test_crm_summary_figures(db, manager, django_assert_num_queries):
    customer = CustomerFactory(customer_since=date(2021, 4, 1))
    now = timezone.now()
    PurchaseFactory(customer=customer, amount=Decimal("10.50"), purchased_at=now - timedelta(days=100))
    PurchaseFactory(customer=customer, amount=Decimal("89.50"), purchased_at=now - timedelta(days=3))
    current = ResponseFactory(score=2, customer=customer, invitation__customer=customer)
    earlier = ResponseFactory(
        score=9, customer=customer, invitation__customer=customer, submitted_at=now - timedelta(days=200)
    )
    # purchases by category, events by kind, earlier answers, earlier cases
    with django_assert_num_queries(5):  # the viewer's roles, then the four of the summary
        summary = customer_crm_summary(customer=customer, viewer=manager, exclude_response_id=current.id)
    assert summary.purchase_count == 2
    assert summary.total_spend == Decimal("100.00")
    assert summary.last_purchase_at == now - timedelta(days=3)
    assert summary.customer_since == date(2021, 4, 1)
    assert summary.earlier_responses == [earlier]


def test_crm_summary_of_a_customer_without_purchases(db, manager):
    summary = customer_crm_summary(customer=CustomerFactory(), viewer=manager)
    assert (summary.purchase_count, summary.total_spend, summary.last_purchase_at) == (0, Decimal("0"), None)
    assert summary.customer_since is None


def test_crm_summary_frequency_categories_newsletter_events_and_cases(db, agent, manager, survey):
    from followups import services as followups
    from tests.factories import SurveyFactory

    customer = CustomerFactory(newsletter_subscribed=False)
    now = timezone.now()
    for days, category in ((100, "Garden"), (60, "Kitchen"), (20, "Garden")):
        PurchaseFactory(customer=customer, purchased_at=now - timedelta(days=days), product_category=category)
    CustomerEvent.objects.create(customer=customer, kind=EventKind.SITE_VISIT, occurred_at=now - timedelta(days=3))
    CustomerEvent.objects.create(customer=customer, kind=EventKind.SITE_VISIT, occurred_at=now - timedelta(days=1))
    unsubscribed_at = now - timedelta(days=8)
    CustomerEvent.objects.create(customer=customer, kind=EventKind.NEWSLETTER_UNSUBSCRIBED, occurred_at=unsubscribed_at)
    detractor = ResponseFactory(score=1, customer=customer, invitation__customer=customer)
    current = followups.ticket_open_for_response(response=detractor)
    outreach = followups.ticket_open_outreach(customer=customer, survey=SurveyFactory(), reason="cart", actor=agent)

    summary = customer_crm_summary(
        customer=customer, viewer=manager, exclude_ticket_id=current.id, today=timezone.localdate(now)
    )
    assert summary.purchase_interval_days == 40
    assert summary.days_since_last_purchase == 20
    assert summary.product_categories == ["Garden", "Kitchen"]  # most bought first
    assert summary.newsletter_subscribed is False
    assert summary.last_unsubscribed_at == unsubscribed_at
    assert [(e.kind, e.count, e.last_at) for e in summary.events] == [
        ("site_visit", 2, now - timedelta(days=1)),
        ("newsletter_unsubscribed", 1, unsubscribed_at),
    ]
    assert summary.earlier_cases == [outreach]
    assert summary.earlier_responses == [detractor]
