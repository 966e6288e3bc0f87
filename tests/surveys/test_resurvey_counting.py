"""Who the NPS counts: recovery re-survey answers are left out by default, and filterable.

Every entry point reads the same filter: the dashboard (roll-up and raw paths), the NPS API,
the responses CSV and the weekly digest.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reporting import reports, rollup
from surveys.filters import ResponseFilter
from surveys.services import invitation_create, response_submit
from tests.factories import CustomerFactory, ResponseFactory

URL = reverse("reporting:dashboard")


@pytest.fixture
def answers(survey):
    """Three ordinary answers (10, 10, 0: NPS +33) and two re-survey answers (0, 0)."""
    for score in (10, 10, 0):
        ResponseFactory(score=score, survey=survey, invitation__survey=survey)
    for _ in range(2):
        invitation = invitation_create(survey=survey, customer=CustomerFactory(), is_resurvey=True)
        response_submit(invitation=invitation, score=0)
    return survey


def test_a_resurvey_answer_is_marked_when_recorded(answers):
    from surveys.models import Response

    assert Response.objects.filter(is_resurvey=True).count() == 2


@pytest.mark.parametrize(
    ("query", "counts"),
    [
        # (promoters, passives, detractors), worked by hand from the fixture.
        ({}, (2, 0, 1)),
        ({"resurveys": "include"}, (2, 0, 3)),
        ({"resurveys": "only"}, (0, 0, 2)),
        # The raw path (relationship NPS: every customer here answered once).
        ({"latest_only": "on"}, (2, 0, 1)),
        ({"latest_only": "on", "resurveys": "include"}, (2, 0, 3)),
    ],
)
def test_the_dashboard_counts_resurvey_answers_only_when_asked(client, manager, answers, query, counts):
    client.force_login(manager)
    current = client.get(URL, query).context["dashboard"].current
    assert (current.promoters, current.passives, current.detractors) == counts


def test_the_page_says_who_is_counted(client, manager, answers):
    client.force_login(manager)
    html = client.get(URL).content.decode()
    assert "Counted: answers by Email, Public feedback form, In store; recovery re-survey answers left out." in html
    html = client.get(URL, {"channel": "email", "resurveys": "include"}).content.decode()
    assert "Counted: answers by Email; recovery re-survey answers included." in html
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "réponses aux nouvelles enquêtes de reprise exclues" in html


@pytest.mark.parametrize("resurveys", ["", "include", "only"])
def test_the_rollup_matches_the_raw_answers(answers, resurveys):
    rollup.rollup_rebuild()
    today = timezone.localdate()
    filters = ResponseFilter(start=today - timedelta(days=30), end=today, today=today, resurveys=resurveys)
    rolled, raw = reports._RollupSource(filters), reports._RawSource(filters)
    assert rolled.counts(filters.start, filters.end) == raw.counts(filters.start, filters.end)
    assert dict(rolled.breakdown(filters.start, filters.end, "survey")) == dict(
        raw.breakdown(filters.start, filters.end, "survey")
    )


def test_the_rollup_refresh_counts_a_new_resurvey_answer_apart(answers, survey):
    rollup.rollup_rebuild()
    invitation = invitation_create(survey=survey, customer=CustomerFactory(), is_resurvey=True)
    response_submit(invitation=invitation, score=3)
    rollup.rollup_refresh()
    today = timezone.localdate()
    filters = ResponseFilter(start=today, end=today, today=today)
    assert reports._RollupSource(filters).counts(today, today) == reports._RawSource(filters).counts(today, today)
    assert sum(reports._RollupSource(filters).counts(today, today)) == 3


def test_the_nps_api_takes_the_filter(answers, admin_user):
    from rest_framework.test import APIClient

    from integrations.choices import TokenScope
    from integrations.services import api_token_create

    api = APIClient()
    api.credentials(
        HTTP_AUTHORIZATION="Bearer " + api_token_create(name="BI", scope=TokenScope.READ, created_by=admin_user)[1]
    )
    body = api.get(reverse("api:nps")).json()
    assert (body["n"], body["resurveys"]) == (3, "excluded")
    body = api.get(reverse("api:nps"), {"resurveys": "include"}).json()
    assert (body["n"], body["detractors"], body["resurveys"]) == (5, 3, "included")
    assert api.get(reverse("api:nps"), {"resurveys": "bogus"}).status_code == 400


def test_the_responses_csv_takes_the_filter(client, manager, answers):
    client.force_login(manager)
    default = b"".join(client.get(reverse("reporting:export_responses")).streaming_content).decode()
    included = b"".join(
        client.get(reverse("reporting:export_responses"), {"resurveys": "include"}).streaming_content
    ).decode()
    assert len(default.strip().splitlines()) == 1 + 3
    assert len(included.strip().splitlines()) == 1 + 5


def test_the_responses_api_marks_and_filters_resurvey_answers(answers, admin_user):
    from rest_framework.test import APIClient

    from integrations.choices import TokenScope
    from integrations.services import api_token_create

    api = APIClient()
    key = api_token_create(name="BI", scope=TokenScope.READ, created_by=admin_user)[1]
    api.credentials(HTTP_AUTHORIZATION="Bearer " + key)
    rows = api.get(reverse("api:responses")).json()["results"]
    assert sorted(row["resurvey"] for row in rows) == [False, False, False, True, True]
    assert len(api.get(reverse("api:responses"), {"resurvey": "true"}).json()["results"]) == 2
    assert len(api.get(reverse("api:responses"), {"resurvey": "false"}).json()["results"]) == 3


def test_the_digest_leaves_resurvey_answers_out_and_says_so(manager):
    from datetime import UTC, datetime

    import time_machine
    from django.core import mail

    from reporting.digest import digest_send_weekly
    from tests.factories import SurveyFactory

    manager.email = "maria@example.com"
    manager.save()
    survey = SurveyFactory()
    with time_machine.travel(datetime(2025, 3, 5, 12, 0, tzinfo=UTC), tick=False):
        ResponseFactory(score=10, survey=survey, invitation__survey=survey)
        invitation = invitation_create(survey=survey, customer=CustomerFactory(), is_resurvey=True)
        response_submit(invitation=invitation, score=0)
    with time_machine.travel(datetime(2025, 3, 10, 6, 0, tzinfo=UTC), tick=False):
        digest_send_weekly()
    body = mail.outbox[0].body
    assert "NPS +100   n = 1" in body
    assert "recovery re-survey answers left out" in body
    assert "recovery re-survey answers left out" in mail.outbox[0].alternatives[0][0]
