"""An agent reads a customer's timeline on a phone (375 px): no sideways scroll, filters and paging
work without JavaScript, and the case page's link lands on the case within the timeline.

The browser and the screenshots come from tests/browser/conftest.py (test-artifacts/browser/).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conversations.models import Message
from crm.choices import EventKind
from crm.models import CustomerEvent
from followups import services
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE
from tests.factories import CustomerFactory, PurchaseFactory, ResponseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


def _customer_with_a_history():
    customer = CustomerFactory(first_name="Jeanne", last_name="Moreau")
    now = timezone.now()
    for i in range(30):
        PurchaseFactory(
            customer=customer,
            purchased_at=now - timedelta(days=40 + i),
            amount=Decimal("1249.90"),
            currency="EUR",
            product_category="Outdoor lighting and garden furniture",
            channel="web",
        )
    CustomerEvent.objects.create(customer=customer, kind=EventKind.CART_ABANDONED, occurred_at=now - timedelta(days=3))
    response = ResponseFactory(
        score=2,
        # A long unbroken word (a pasted link) must wrap, not widen the page.
        comment="Late, and https://example.com/orders/0123456789012345678901234567890123456789 is broken",
        customer=customer,
        invitation__customer=customer,
        submitted_at=now - timedelta(days=2),
    )
    case = services.ticket_open_for_response(response=response)
    Message.objects.create(
        ticket=case,
        direction="in",
        channel="email",
        kind="customer",
        body="Thank you for calling me back so quickly.",
        created_at=now - timedelta(days=1),
    )
    return customer, case


def _sign_in(page, user, url: str) -> None:
    page.goto(url)
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "pw")
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")


def test_timeline_on_a_phone_without_sideways_scroll(make_page, screenshot, agent):
    customer, case = _customer_with_a_history()
    page = make_page(viewport=PHONE, java_script_enabled=False)
    _sign_in(page, agent, f"/crm/customers/{customer.public_id}/")
    timeline = page.locator("#timeline")
    assert timeline.locator("h2").inner_text() == "Timeline"
    items = timeline.locator("li.nps-history__item")
    assert items.count() == 25
    assert "Reply from the customer" in timeline.inner_text()
    assert "1,249.90\N{NO-BREAK SPACE}EUR" in timeline.inner_text()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(page, "phone")
    # The timeline alone, at phone width, to read beside the whole page.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    timeline.screenshot(path=str(ARTIFACTS / "test_timeline_on_a_phone_without_sideways_scroll-timeline.png"))

    # Filter to the answers alone, without JavaScript: a plain GET form.
    for kind in ("purchase", "event", "case", "message"):
        page.uncheck(f"#timeline input[value={kind}]")
    with page.expect_navigation():
        page.click("#timeline button[type=submit]")
    assert "kind=answer" in page.url
    assert items.count() == 1 and "is broken" in items.nth(0).inner_text()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)

    # The case page's panel leads to the case's place in the timeline.
    page.goto(f"/cases/{case.public_id}/")
    with page.expect_navigation():
        page.click("text=See the customer's timeline around this case")
    assert page.url.endswith(f"#case-{case.public_id}")
    assert page.locator(f"#case-{case.public_id}").is_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    with page.expect_navigation():
        page.click("text=Older")
    assert "before=" in page.url
    assert page.evaluate(NO_SIDEWAYS_SCROLL)

    # The same page at desktop width, for the screenshots (saved as <test-name>-2.png).
    desktop = make_page(viewport=DESKTOP)
    _sign_in(desktop, agent, f"/crm/customers/{customer.public_id}/")
    assert desktop.locator("#timeline li.nps-history__item").count() == 25
    assert desktop.evaluate(NO_SIDEWAYS_SCROLL)
