"""A customer answers their survey link in a real browser: mouse, keyboard, phone, desktop, FR, EN, no JS."""

import re

import pytest

from surveys.models import Response
from surveys.services import invitation_create
from tests.browser.conftest import DESKTOP, PHONE
from tests.factories import CustomerFactory, SurveyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the customer reads, per language: the page follows the browser's language when the CRM
# does not know the customer's.
WORDS = {
    "en": {
        "heading": "Your opinion of Maison Test",
        "submit": "Send my answer",
        "promoter_thanks": "Thank you so much!",
        "detractor_thanks": "Thank you for telling us",
        "score_required": "Please choose a score from 0 to 10.",
    },
    "fr": {
        "heading": "Votre avis sur Maison Test",
        "submit": "Envoyer ma réponse",
        "promoter_thanks": "Merci beaucoup !",
        "detractor_thanks": "Merci de nous en avoir fait part",
        "score_required": "Veuillez choisir une note de 0 à 10.",
    },
}
BROWSER_LOCALE = {"en": "en-GB", "fr": "fr-FR"}


def _invitation(*, language: str = ""):
    survey = SurveyFactory(name="Post-purchase")
    customer = CustomerFactory(first_name="Jeanne", last_name="Moreau", language=language)
    return invitation_create(survey=survey, customer=customer)


def _score(page, value: int):
    return page.locator(f'input[name="score"][value="{value}"]')


def _submit(page, language: str = "en"):
    return page.get_by_role("button", name=WORDS[language]["submit"])


def _heading(page) -> str:
    """The page's h1 with French typography's no-break spaces read as spaces."""
    return " ".join(page.get_by_role("heading", level=1).inner_text().split())


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_a_customer_answers_by_mouse(make_page, viewport, language, screenshot):
    invitation = _invitation()
    page = make_page(viewport=viewport, locale=BROWSER_LOCALE[language])
    page.goto(f"/s/{invitation.token}/")

    assert page.locator("html").get_attribute("lang") == language
    assert _heading(page) == WORDS[language]["heading"]
    # Eleven choices, each named by its number for screen readers, none cut off on a phone.
    assert page.get_by_role("radio").count() == 11
    assert page.get_by_role("radio", name=re.compile(r"^9\b")).count() == 1
    assert _no_horizontal_scroll(page)
    for value in (0, 10):
        box = _score(page, value).bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, box  # WCAG 2.2 target size
        assert 0 <= box["x"] and box["x"] + box["width"] <= viewport["width"], box

    _score(page, 9).click()
    assert _score(page, 9).is_checked()
    page.get_by_role("textbox").click()
    page.keyboard.type("Livraison rapide, très bon conseil" if language == "fr" else "Fast delivery, good advice")
    screenshot(page, "filled-in")
    _submit(page, language).click()

    page.locator("#thanks").wait_for()  # the answer's reply is the thank-you page
    assert _heading(page) == WORDS[language]["promoter_thanks"]
    assert _no_horizontal_scroll(page)
    response = Response.objects.get(invitation=invitation)
    assert response.score == 9
    assert response.language == language
    assert response.comment.startswith("Livraison" if language == "fr" else "Fast")


def _tab_until(page, predicate: str, *, limit: int = 15) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(predicate):
            return
    raise AssertionError(f"{predicate} never got the focus after {limit} Tab presses")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_a_customer_answers_with_the_keyboard_only(make_page, viewport, screenshot):
    invitation = _invitation()
    page = make_page(viewport=viewport)
    page.goto(f"/s/{invitation.token}/")

    _tab_until(page, "document.activeElement.name === 'score'")
    # The focused choice is visibly marked (its label carries the outline).
    outline = page.evaluate("getComputedStyle(document.activeElement.labels[0] || document.activeElement).outlineStyle")
    assert outline not in ("", "none"), outline
    screenshot(page, "focus-on-scale")
    # Arrow keys move through the scale and select: from the first choice (0) up to 3, then back to 2.
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.activeElement.value") == "2"
    assert _score(page, 2).is_checked()

    _tab_until(page, "document.activeElement.name === 'comment'")
    page.keyboard.type("The parcel arrived broken.")
    _tab_until(page, "document.activeElement.type === 'submit'")
    page.keyboard.press("Enter")

    page.locator("#thanks").wait_for()  # the answer's reply is the thank-you page
    assert _heading(page) == WORDS["en"]["detractor_thanks"]
    response = Response.objects.get(invitation=invitation)
    assert (response.score, response.comment) == (2, "The parcel arrived broken.")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_with_javascript_off_a_forgotten_score_keeps_the_typed_comment(make_page, language):
    """The CRM knows the customer's language: the page speaks it whatever the browser's."""
    invitation = _invitation(language=language)
    page = make_page(viewport=PHONE, locale="en-GB", java_script_enabled=False)
    page.goto(f"/s/{invitation.token}/")
    comment = "Le SAV ne répond pas" if language == "fr" else "Support never answers"
    page.get_by_role("textbox").fill(comment)
    _submit(page, language).click()

    # The server says what is missing, in the customer's language, and keeps what they wrote.
    page.wait_for_load_state()
    assert page.get_by_role("alert").filter(has_text=WORDS[language]["score_required"]).count() == 1
    assert _score(page, 0).get_attribute("aria-invalid") == "true"
    assert page.get_by_role("textbox").input_value() == comment
    assert not Response.objects.filter(invitation=invitation).exists()

    question = page.locator('label[for="comment"]').inner_text()
    _score(page, 4).click()
    # Nothing ran: the open question stays the generic one (with JavaScript it follows the score).
    assert page.locator('label[for="comment"]').inner_text() == question
    _submit(page, language).click()
    page.locator("#thanks").wait_for()  # the answer's reply is the thank-you page
    assert _heading(page) == WORDS[language]["detractor_thanks"]
    response = Response.objects.get(invitation=invitation)
    assert (response.score, response.comment, response.language) == (4, comment, language)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_a_detractors_answer_reaches_the_agents_inbox(make_page, agent, viewport):
    invitation = _invitation()
    customer_page = make_page(viewport=viewport)
    customer_page.goto(f"/s/{invitation.token}/")
    _score(customer_page, 2).click()
    customer_page.get_by_role("textbox").fill("Arrived broken, nobody called back")
    _submit(customer_page).click()
    customer_page.locator("#thanks").wait_for()  # the answer's reply is the thank-you page

    # The agent signs in through the form and finds the case, critical, with the customer's words.
    agent_page = make_page(viewport=viewport)
    agent_page.goto("/inbox/")
    agent_page.get_by_label("Username").fill(agent.username)
    agent_page.get_by_label("Password").fill("pw")
    agent_page.get_by_role("button", name="Sign in").click()
    agent_page.wait_for_url(re.compile(r"/inbox/$"))
    row = agent_page.get_by_role("row").filter(has_text="Jeanne Moreau")
    assert row.count() == 1
    assert "Arrived broken, nobody called back" in row.inner_text()
    assert "critical" in row.inner_text().lower()

    row.get_by_role("link", name=re.compile("Jeanne Moreau")).click()
    agent_page.wait_for_url(re.compile(r"/cases/[0-9a-f-]+/$"))
    assert agent_page.get_by_text("Arrived broken, nobody called back").first.is_visible()


def test_switching_language_keeps_what_the_customer_typed(make_page):
    invitation = _invitation()
    page = make_page(viewport=PHONE, locale="en-GB")
    page.goto(f"/s/{invitation.token}/")
    assert _heading(page) == WORDS["en"]["heading"]
    _score(page, 6).click()
    page.get_by_role("textbox").fill("Trop cher pour ce que c'est")

    page.get_by_role("navigation", name="Language").get_by_role("button", name="Français").click()
    page.wait_for_load_state()
    assert _heading(page) == WORDS["fr"]["heading"]
    assert page.locator("html").get_attribute("lang") == "fr"
    assert _score(page, 6).is_checked()
    assert page.get_by_role("textbox").input_value() == "Trop cher pour ce que c'est"
    assert not Response.objects.filter(invitation=invitation).exists()

    _submit(page, "fr").click()
    page.locator("#thanks").wait_for()  # the answer's reply is the thank-you page
    assert _heading(page) == WORDS["fr"]["detractor_thanks"]
    assert Response.objects.get(invitation=invitation).language == "fr"
