"""Staff screens at 375 px (issue 19): no sideways scroll and every action within reach.

Each test opens its screen at 1280 px and at 375×740 and saves both screenshots in
test-artifacts/browser/ (conftest's `make_page`), so a reviewer sees the two layouts side by side.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.choices import EventKind
from crm.models import CustomerEvent
from followups import services
from tests.browser.conftest import DESKTOP, PHONE
from tests.factories import CustomerFactory, ResponseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_COMMENT = (
    "The parcel arrived two weeks late, the box was crushed and nobody answered the phone when I called "
    "three times to ask where it was."
)


def _sign_in(page, user, path: str) -> None:
    page.goto(path)
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "pw")
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    page.wait_for_load_state("load")


def _fits_the_width(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def _no_table_scrolls_sideways(page) -> bool:
    return page.evaluate(
        "() => [...document.querySelectorAll('.nps-table-wrap')].every(box => box.scrollWidth <= box.clientWidth)"
    )


def _cases(n: int = 3):
    tickets = []
    for number in range(n):
        customer = CustomerFactory(first_name=f"Bérénice{number}", last_name="Longuenom-Dupontel")
        response = ResponseFactory(
            score=number % 7,
            comment=LONG_COMMENT,
            customer=customer,
            invitation__customer=customer,
            submitted_at=timezone.now() - timedelta(hours=10 * number),
        )
        tickets.append(services.ticket_open_for_response(response=response))
    return tickets


def _both_widths(make_page, user, path, locale="en-GB"):
    desktop = make_page(viewport=DESKTOP, locale=locale)
    _sign_in(desktop, user, path)
    phone = make_page(viewport=PHONE, locale=locale)
    _sign_in(phone, user, path)
    return desktop, phone


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])  # French words are longer
def test_inbox_on_a_phone_shows_cards_and_folded_filters(make_page, agent, locale):
    _cases()
    desktop, phone = _both_widths(make_page, agent, "/inbox/", locale=locale)

    # The desktop keeps its table and its filters open, without a fold button.
    assert desktop.is_visible(".nps-inbox-table thead th:nth-child(4)")
    assert desktop.is_visible("#filter-q")
    assert not desktop.is_visible(".nps-inbox__filters-fold > summary")

    assert _fits_the_width(phone)
    # Each case is a card: customer, score, deadline in words, status and the comment, in one column.
    card = phone.locator("[data-inbox-row]").first
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    for part in (".nps-customer", ".nps-cell--score", ".nps-deadline__relative", ".nps-cell--status", ".nps-comment"):
        assert card.locator(part).is_visible(), part
    assert not phone.is_visible(".nps-inbox-table thead th:nth-child(4)")
    assert _no_table_scrolls_sideways(phone)
    # The filters are folded behind a button, which opens them.
    assert not phone.is_visible("#filter-q")
    phone.click(".nps-inbox__filters-fold > summary")
    assert phone.is_visible("#filter-q") and phone.is_visible("#inbox-filters button[type=submit]")
    # So is the bulk action, which a tap opens; the case's box is within reach.
    assert not phone.is_visible("#bulk-status")
    phone.click(".nps-inbox__bulk-fold > summary")
    assert phone.is_visible("#bulk-status")
    card.locator("input[name=tickets]").check()
    assert _fits_the_width(phone)


def test_a_case_on_a_phone_fits_and_its_status_form_is_reachable(make_page, agent):
    ticket = _cases(1)[0]
    desktop, phone = _both_widths(make_page, agent, f"/cases/{ticket.public_id}/")
    assert _fits_the_width(phone)
    status = phone.locator("select[name=status]").first
    status.scroll_into_view_if_needed()
    assert status.is_visible()
    box = status.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_dashboard_on_a_phone_puts_the_headline_first(make_page, manager, survey):
    for day, score in enumerate([10, 9, 9, 7, 3, 0, 10, 8, 6, 9] * 3):
        ResponseFactory(
            score=score, survey=survey, invitation__survey=survey, submitted_at=timezone.now() - timedelta(days=day * 9)
        )
    desktop, phone = _both_widths(make_page, manager, "/dashboard/")
    phone.wait_for_selector("#trend-chart")
    assert _fits_the_width(phone)
    # The NPS with n, its margin and the shares is on the first screen, before the filters.
    headline = phone.locator(".nps-headline").bounding_box()
    assert headline["y"] < PHONE["height"]
    assert (
        phone.locator(".nps-headline").bounding_box()["y"]
        < phone.locator(".nps-dashboard__filters-fold").bounding_box()["y"]
    )
    # Every table fits, opened: inside its own scroll box if it must, with its caption in view.
    for summary in phone.locator(".nps-chart-data > summary").all():
        summary.click()
    assert _fits_the_width(phone)
    for caption in phone.locator(".nps-dashboard table caption").all():
        box = caption.bounding_box()
        if box:
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1
    # The filters are reachable.
    phone.click(".nps-dashboard__filters-fold > summary")
    assert phone.locator(".nps-filterbar button[type=submit]").first.is_visible()
    assert desktop.locator(".nps-filterbar button[type=submit]").first.is_visible()
    # A page in the background gets no animation frames: bring the desktop one forward so its
    # screenshot shows the charts drawn, not frozen in their opening animation.
    desktop.bring_to_front()
    desktop.wait_for_timeout(1500)


def test_at_risk_list_on_a_phone_fits_and_its_invite_is_reachable(make_page, agent, survey):
    for number in range(3):
        customer = CustomerFactory(first_name=f"Maximilienne{number}", last_name="Longuenom-Dupontel")
        CustomerEvent.objects.create(
            customer=customer, kind=EventKind.CART_ABANDONED, occurred_at=timezone.now() - timedelta(days=1)
        )
    desktop, phone = _both_widths(make_page, agent, "/crm/at-risk/")
    assert desktop.is_visible("table thead th")
    assert _fits_the_width(phone)
    assert _no_table_scrolls_sideways(phone)  # each customer is a block, not a row to scroll along
    invite = phone.locator("button[value=invite]").first
    invite.scroll_into_view_if_needed()
    assert invite.is_visible()
    box = invite.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_the_chosen_score_tile_wears_the_brand_colour(make_page):
    from surveys.services import invitation_create
    from tests.factories import SurveyFactory

    survey = SurveyFactory(brand__colour="#7a1f5c")
    invitation = invitation_create(survey=survey, customer=CustomerFactory())
    page = make_page(viewport=PHONE)
    page.goto(f"/s/{invitation.token}/")
    page.locator('input[name="score"][value="7"]').check()
    tile = page.locator("input[name=score]:checked + .nps-tile__label")
    assert tile.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(122, 31, 92)"
    assert _fits_the_width(page)


def test_the_language_switch_is_one_button_on_one_line_and_works_without_javascript(make_page, agent):
    page = make_page(viewport=DESKTOP, java_script_enabled=False)
    _sign_in(page, agent, "/inbox/")
    switch = page.locator(".nps-language-switch button")
    assert switch.count() == 1 and page.locator(".nps-language-switch select").count() == 0
    line_height = switch.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    assert switch.bounding_box()["height"] < 2 * line_height  # one line at 1280 px, not wrapped
    with page.expect_navigation():
        switch.click()
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert "Boîte de réception" in page.inner_text("h1")


def test_the_search_buttons_line_up_with_their_fields(make_page, agent):
    page = make_page(viewport=DESKTOP)
    _sign_in(page, agent, "/crm/customers/")
    field = page.locator("#customer-search").bounding_box()
    button = page.locator("form[role=search] button[type=submit]").bounding_box()
    assert abs((field["y"] + field["height"]) - (button["y"] + button["height"])) <= 2
    page.goto("/crm/at-risk/")
    field = page.locator("#risk-reason").bounding_box()
    button = page.locator(".nps-filter button[type=submit]").bounding_box()
    assert abs((field["y"] + field["height"]) - (button["y"] + button["height"])) <= 2
