"""Honest statistics on small samples, through every place that shows them.

The expected margins are worked by hand in tests/surveys/test_scoring.py: one promoter is
± 73.5 (adjusted-Wald), never ± 0.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from reporting.digest import digest_send_weekly
from tests.factories import ResponseFactory, SurveyFactory

URL = reverse("reporting:dashboard")


@pytest.fixture
def api(admin_user):
    from rest_framework.test import APIClient

    from integrations.choices import TokenScope
    from integrations.services import api_token_create

    client = APIClient()
    key = api_token_create(name="BI", scope=TokenScope.READ, created_by=admin_user)[1]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_one_answer_shows_an_honest_margin_on_the_dashboard(client, manager, survey):
    ResponseFactory(score=10, survey=survey, invitation__survey=survey)
    client.force_login(manager)
    page = client.get(URL, {"grain": "month"})
    html = page.content.decode()
    assert "± 73.5" in html  # headline, trend table and breakdown
    assert "± 0.0" not in html
    assert page.context["dashboard"].trend[-1].result.margin == pytest.approx(73.5)


def test_one_answer_shows_an_honest_margin_in_the_api(api, survey):
    ResponseFactory(score=10, survey=survey, invitation__survey=survey)
    body = api.get(reverse("api:nps")).json()
    assert body["margin"] == pytest.approx(73.5)
    assert body["small_sample"] is True and body["small_sample_threshold"] == 30
    assert body["trend"][-1]["margin"] == pytest.approx(73.5)
    assert body["breakdown"][0]["margin"] == pytest.approx(73.5)


def test_no_verdict_against_a_tiny_previous_period(client, manager, survey):
    today = timezone.localdate()
    start = today - timedelta(days=6)
    for _ in range(40):
        ResponseFactory(score=0, survey=survey, invitation__survey=survey)
    # The previous seven days: three identical answers only.
    for _ in range(3):
        ResponseFactory(
            score=10, survey=survey, invitation__survey=survey, submitted_at=timezone.now() - timedelta(days=9)
        )
    client.force_login(manager)
    page = client.get(URL, {"start": start.isoformat(), "end": today.isoformat()})
    dashboard = page.context["dashboard"]
    assert dashboard.previous.n == 3
    assert dashboard.change_is_significant is None
    html = page.content.decode()
    assert "a real fall" not in html
    assert "fewer than 30 answers" in html


def test_a_one_answer_group_is_never_flagged(client, manager):
    big, lone = SurveyFactory(name="Big"), SurveyFactory(name="Lone")
    for score in [10] * 30 + [7] * 10:
        ResponseFactory(score=score, survey=big, invitation__survey=big)
    ResponseFactory(score=0, survey=lone, invitation__survey=lone)
    client.force_login(manager)
    page = client.get(URL, {"dimension": "survey"})
    rows = {row.label: row for row in page.context["dashboard"].breakdown}
    assert rows["Lone"].differs is None
    assert rows["Big"].differs is None  # its rest is the one answer: too small to compare with
    html = page.content.decode()
    assert "differs from the rest: lower" not in html
    assert "Holm" in html and "fewer than 30" in html


def test_the_api_gives_no_flag_to_a_one_answer_group(api):
    big, lone = SurveyFactory(name="Big"), SurveyFactory(name="Lone")
    for score in [10] * 30 + [7] * 10:
        ResponseFactory(score=score, survey=big, invitation__survey=big)
    ResponseFactory(score=0, survey=lone, invitation__survey=lone)
    body = api.get(reverse("api:nps"), {"dimension": "survey"}).json()
    assert {row["label"]: row["differs"] for row in body["breakdown"]} == {"Big": None, "Lone": None}


def test_the_digest_gives_an_honest_margin_and_no_verdict_on_a_tiny_week(manager):
    manager.email = "maria@example.com"
    manager.save()
    now = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        for _ in range(40):
            ResponseFactory(score=0, submitted_at=datetime(2025, 3, 5, 12, 0, tzinfo=UTC))
        ResponseFactory(score=10, submitted_at=datetime(2025, 2, 26, 12, 0, tzinfo=UTC))
        digest_send_weekly()
    body = mail.outbox[0].body
    assert "± 73.5" in body  # the week before: one answer
    assert "a real change" not in body
    assert "no verdict" in body


def test_the_small_sample_wording_is_translated(client, manager, survey):
    ResponseFactory(score=10, survey=survey, invitation__survey=survey)
    ResponseFactory(
        score=0, survey=survey, invitation__survey=survey, submitted_at=timezone.now() - timedelta(days=400)
    )
    client.force_login(manager)
    today = timezone.localdate()
    html = client.get(
        URL, {"start": (today - timedelta(days=364)).isoformat(), "end": today.isoformat()}, HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Pas de verdict" in html
    assert "méthode de Holm" in html
