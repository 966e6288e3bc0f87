"""An agent works a case from the inbox to its resolution with the keyboard only: no mouse click.

Tab, Shift+Tab, Enter, Space, arrow keys and typed letters (a select's type-ahead); every step
checks where the focus is, so a control that cannot be reached by keyboard fails the test.
The browser and the screenshots come from tests/browser/conftest.py (`make_page`, `screenshot`).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from followups import services
from followups.models import Ticket
from tests.factories import CustomerFactory, ResponseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TABS = 80


def _focused(page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            return {tag: el.tagName.toLowerCase(), id: el.id, text: (el.innerText || el.value || '').trim(),
                    name: el.getAttribute('name') || '', href: el.getAttribute('href') || ''};
        }"""
    )


def _tab_to(page, selector: str, *, backwards: bool = False) -> dict:
    """Press Tab until the element matching `selector` has the focus; fail if it never does."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return _focused(page)
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def _submit(page) -> None:
    """Enter on the focused button, and wait for the page the form's POST leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _case(comment: str, hours_ago: int, name: str) -> Ticket:
    customer = CustomerFactory(first_name=name, last_name="Keyboard")
    response = ResponseFactory(
        score=2,
        comment=comment,
        customer=customer,
        invitation__customer=customer,
        submitted_at=timezone.now() - timedelta(hours=hours_ago),
    )
    return services.ticket_open_for_response(response=response)


def test_an_agent_works_a_case_by_keyboard_only(make_page, screenshot, agent, live_server):
    urgent = _case("The lamp arrived broken", hours_ago=47, name="Jeanne")
    _case("Delivery was late", hours_ago=10, name="Paul")
    page = make_page()

    # Signing in: the username field has the focus when the page opens.
    page.goto("/inbox/")
    assert _focused(page)["name"] == "username"
    page.keyboard.type(agent.username)
    page.keyboard.press("Tab")
    page.keyboard.type("pw")
    page.keyboard.press("Enter")
    page.wait_for_url("**/inbox/")
    assert "2 cases match" in page.inner_text("#results-heading")

    # The inbox's skip link jumps over the navigation and the filters, straight to the cases.
    _tab_to(page, "a[href='#inbox-results']")
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == "inbox-results"
    first = _tab_to(page, "[data-row-link]")
    assert "Jeanne" in first["text"] and first["href"].endswith(f"/cases/{urgent.public_id}/")
    # Up and down arrows move between the cases.
    page.keyboard.press("ArrowDown")
    assert "Paul" in _focused(page)["text"]
    page.keyboard.press("ArrowUp")
    assert "Jeanne" in _focused(page)["text"]
    screenshot(page, "inbox")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cases/{urgent.public_id}/")

    # Claim the case.
    _tab_to(page, "#form-claim button")
    _submit(page)
    assert "You now own this case." in page.inner_text(".messages")

    # Log the phone call: the first contact.
    _tab_to(page, "#phone-body")
    page.keyboard.type("Called Jeanne: a new lamp ships tomorrow.")
    _tab_to(page, "#form-phone button")
    _submit(page)
    assert "Phone call logged." in page.inner_text(".messages")

    # Resolve it, with its outcome, by typing the options' first letters.
    _tab_to(page, "#status-status")
    page.keyboard.press("r")
    assert page.eval_on_selector("#status-status", "el => el.value") == "resolved"
    _tab_to(page, "#status-outcome")
    page.keyboard.press("r")
    assert page.eval_on_selector("#status-outcome", "el => el.value") == "recovered"
    _tab_to(page, "#status-body")
    page.keyboard.type("Replacement sent.")
    # The checkbox is reachable and Space toggles it; left unticked here (no email).
    _tab_to(page, "#status-notify")
    page.keyboard.press("Space")
    assert page.is_checked("#status-notify")
    page.keyboard.press("Space")
    assert not page.is_checked("#status-notify")
    _tab_to(page, "#form-status button")
    screenshot(page, "resolving")
    _submit(page)
    assert "Status changed." in page.inner_text(".messages")

    urgent.refresh_from_db()
    assert (urgent.status, urgent.outcome, urgent.assignee_id) == ("resolved", "recovered", agent.id)
    assert urgent.contact_channel == "phone" and urgent.first_contacted_at is not None
    timeline = page.inner_text("#timeline-heading + .nps-timeline")
    assert "Contacted by phone" in timeline and "Replacement sent." in timeline

    # Back to the inbox by keyboard: the case has left the open cases.
    _tab_to(page, ".nps-back a")
    page.keyboard.press("Enter")
    page.wait_for_url("**/inbox/")
    assert "1 case matches" in page.inner_text("#results-heading")
