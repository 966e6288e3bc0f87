"""For 24 hours after answering, the same link lets the customer change their answer; then it says thanks."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from surveys.models import DEFAULT_PROMPTS, Response
from surveys.services import invitation_create
from tests.browser.conftest import DESKTOP, PHONE
from tests.factories import CustomerFactory, SurveyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _invitation():
    survey = SurveyFactory(name="Post-purchase")
    return invitation_create(survey=survey, customer=CustomerFactory(first_name="Jeanne", last_name="Moreau"))


def _score(page, value: int):
    return page.locator(f'input[name="score"][value="{value}"]')


def _heading(page) -> str:
    return " ".join(page.get_by_role("heading", level=1).inner_text().split())


def _answer(page, invitation, *, score: int, comment: str) -> None:
    page.goto(f"/s/{invitation.token}/")
    _score(page, score).click()
    page.get_by_role("textbox").fill(comment)
    page.get_by_role("button", name="Send my answer").click()
    page.locator("#thanks").wait_for()  # the answer's reply is the thank-you page


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_within_24_hours_the_customer_changes_their_answer(make_page, viewport, screenshot):
    invitation = _invitation()
    page = make_page(viewport=viewport)
    _answer(page, invitation, score=3, comment="Late delivery")
    assert _heading(page) == "Thank you for telling us"

    page.get_by_role("link", name="Change my answer").click()
    page.wait_for_url(re.compile(rf"/s/{invitation.token}/$"))
    # The earlier answer is there to edit, not to retype.
    assert _score(page, 3).is_checked()
    assert page.get_by_role("textbox").input_value() == "Late delivery"
    screenshot(page, "change-form")

    _score(page, 8).click()
    page.get_by_role("textbox").fill("Late delivery, but support sorted it out")
    page.get_by_role("button", name="Save my new answer").click()
    page.locator("#thanks").wait_for()  # the answer's reply is the thank-you page
    assert _heading(page) == "Thank you for your answer"  # now a passive

    response = Response.objects.get(invitation=invitation)
    assert (response.score, response.comment) == (8, "Late delivery, but support sorted it out")
    assert response.corrected_at is not None
    assert Response.objects.filter(invitation=invitation).count() == 1


def test_after_24_hours_the_link_only_says_thanks(make_page):
    invitation = _invitation()
    page = make_page(viewport=PHONE)
    _answer(page, invitation, score=9, comment="Great")
    assert page.get_by_role("link", name="Change my answer").count() == 1
    answered_at = Response.objects.get(invitation=invitation).submitted_at

    # The live server runs in this process, so moving its clock moves the server's.
    with time_machine.travel(answered_at + timedelta(hours=24, minutes=1), tick=True):
        page.reload()
        assert page.get_by_role("link", name="Change my answer").count() == 0
        page.goto(f"/s/{invitation.token}/")
        assert _heading(page) == "You have already answered this survey. Thank you!"
        assert page.locator('input[name="score"]').count() == 0

    response = Response.objects.get(invitation=invitation)
    assert (response.score, response.corrected_at) == (9, None)
    assert timezone.now() < answered_at + timedelta(hours=1)  # the clock is back


def test_the_open_question_follows_the_score_with_javascript(make_page):
    invitation = _invitation()
    page = make_page(viewport=PHONE)
    page.goto(f"/s/{invitation.token}/")
    label = page.locator('label[for="comment"]')
    for score, segment in ((2, "detractor"), (7, "passive"), (10, "promoter")):
        _score(page, score).click()
        assert label.inner_text() == str(DEFAULT_PROMPTS[segment])
    # The textbox is named by that question, for screen readers too.
    assert page.get_by_role("textbox", name=str(DEFAULT_PROMPTS["promoter"])).count() == 1
