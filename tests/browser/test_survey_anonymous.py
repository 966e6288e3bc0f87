"""Anonymous survey in a real browser: the answering browser may change its answer; another may not."""

import pytest

from surveys.models import Response
from surveys.services import invitation_create
from tests.browser.conftest import PHONE
from tests.factories import CustomerFactory, SurveyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _heading(page) -> str:
    return " ".join(page.get_by_role("heading", level=1).inner_text().split())


def test_the_answering_browser_changes_an_anonymous_answer_and_another_browser_cannot(make_page):
    survey = SurveyFactory(name="Anonymous pulse", is_anonymous=True)
    invitation = invitation_create(survey=survey, customer=CustomerFactory())
    page = make_page(viewport=PHONE)
    page.goto(f"/s/{invitation.token}/")
    page.locator('input[name="score"][value="3"]').click()
    page.get_by_role("textbox").fill("Slow")
    page.get_by_role("button", name="Send my answer").click()
    page.locator("#thanks").wait_for()  # the answer's reply is the thank-you page
    assert "in this browser only" in page.content()

    page.get_by_role("link", name="Change my answer").click()
    assert page.get_by_role("textbox").input_value() == "Slow"
    page.locator('input[name="score"][value="8"]').click()
    page.get_by_role("button", name="Save my new answer").click()
    page.locator("#thanks").wait_for()  # the answer's reply is the thank-you page
    assert _heading(page) == "Thank you for your answer"

    other = make_page(viewport=PHONE)
    other.goto(f"/s/{invitation.token}/")
    assert _heading(other) == "You have already answered this survey. Thank you!"
    assert other.locator('input[name="score"]').count() == 0

    response = Response.objects.get(survey=survey)
    assert (response.score, response.invitation_id, response.customer_id) == (8, None, None)


def test_without_javascript_a_score_from_the_email_shows_its_question(make_page):
    survey = SurveyFactory(prompt_detractor_fr="Qu'est-ce qui n'a pas marché ?")
    invitation = invitation_create(survey=survey, customer=CustomerFactory(language="fr"))
    page = make_page(viewport=PHONE, java_script_enabled=False)
    page.goto(f"/s/{invitation.token}/?score=2")
    assert page.locator('label[for="comment"]').inner_text() == "Qu'est-ce qui n'a pas marché ?"
