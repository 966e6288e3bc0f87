from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.models import Ticket
from followups.services import ticket_open_for_response
from tests.factories import CustomerFactory, ResponseFactory, SurveyFactory

URL = reverse("reporting:dashboard")
FOLLOWUP_URL = reverse("reporting:dashboard_followup")


def test_anonymous_visitor_is_sent_to_login(client):
    reply = client.get(URL)
    assert reply.status_code == 302
    assert reply["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("actor", ["agent", "outsider"])
def test_agents_and_outsiders_cannot_see_the_dashboard(client, request, actor):
    client.force_login(request.getfixturevalue(actor))
    assert client.get(URL).status_code == 403


def test_manager_sees_nps_with_n_margin_and_shares(client, manager, survey):
    for score in [10, 10, 9, 8, 7, 6, 0, 10, 9, 2]:
        ResponseFactory(score=score, survey=survey, invitation__survey=survey)
    client.force_login(manager)
    page = client.get(URL)
    assert page.status_code == 200
    current = page.context["dashboard"].current
    assert (current.promoters, current.passives, current.detractors) == (5, 2, 3)
    html = page.content.decode()
    assert "+20" in html
    assert "n = 10" in html or "n=10" in html
    assert f"{current.margin:.1f}" in html
    assert "50 %" in html and "30 %" in html  # % promoters, % detractors beside the NPS


def test_empty_dashboard_shows_no_score_not_zero(client, manager):
    client.force_login(manager)
    page = client.get(URL)
    assert page.status_code == 200
    assert page.context["dashboard"].current.score is None
    assert "—" in page.content.decode()


def test_survey_filter(client, manager):
    wanted, other = SurveyFactory(name="Wanted"), SurveyFactory(name="Other")
    ResponseFactory(score=10, survey=wanted, invitation__survey=wanted)
    ResponseFactory(score=0, survey=other, invitation__survey=other)
    client.force_login(manager)
    page = client.get(URL, {"survey": str(wanted.public_id)})
    assert page.context["dashboard"].current.score == 100


@pytest.mark.parametrize(
    "query",
    [
        {"survey": "not-a-survey"},
        {"survey": "6f1c1c1c-0000-4000-8000-000000000000"},
        {"start": "2026-05-01", "end": "2026-01-01"},
        {"start": "yesterday"},
        {"start": "2026-02-31"},
        {"region": "Nowhere"},
        {"grain": "decade"},
        {"start": "0001-01-01", "end": "0001-01-02"},
        {"end": "9999-12-31"},
    ],
)
def test_bad_filters_explain_themselves_and_show_no_figures(client, manager, query):
    ResponseFactory(score=0)
    client.force_login(manager)
    page = client.get(URL, query)
    assert page.status_code == 400
    assert page.context["dashboard"] is None
    assert page.context["form"].errors


def test_filters_matching_nothing_show_an_empty_state(client, manager):
    ResponseFactory(score=0)
    client.force_login(manager)
    page = client.get(URL, {"start": "2001-01-01", "end": "2001-02-01"})
    assert page.status_code == 200
    assert page.context["dashboard"].current.score is None


def test_crm_filter_applies_to_every_figure(client, manager, survey):
    young = CustomerFactory(age_band="18-24")
    old = CustomerFactory(age_band="65+")
    for customer, score in ((young, 10), (old, 0), (old, 1)):
        response = ResponseFactory(
            score=score, customer=customer, invitation__customer=customer, survey=survey, invitation__survey=survey
        )
        if score <= 6:
            ticket_open_for_response(response=response)
    client.force_login(manager)
    page = client.get(URL, {"age_band": "65+"})
    assert page.status_code == 200
    assert page.context["dashboard"].current.detractors == 2
    assert page.context["dashboard"].current.promoters == 0
    assert client.get(FOLLOWUP_URL, {"age_band": "65+"}).context["followup"].total.opened == 2
    assert sum(row["count"] for row in page.context["dashboard"].distribution) == 2


def test_case_counts_follow_the_survey_filter(client, manager):
    wanted, other = SurveyFactory(name="Wanted"), SurveyFactory(name="Other")
    ticket_open_for_response(response=ResponseFactory(score=1, survey=wanted, invitation__survey=wanted))
    for _ in range(2):
        ticket_open_for_response(response=ResponseFactory(score=1, survey=other, invitation__survey=other))
    client.force_login(manager)
    assert client.get(FOLLOWUP_URL).context["followup"].total.opened == 3
    assert client.get(FOLLOWUP_URL, {"survey": str(wanted.public_id)}).context["followup"].total.opened == 1


def test_the_page_loads_the_follow_up_panel_with_the_same_filters(client, manager):
    client.force_login(manager)
    page = client.get(URL, {"age_band": "65+"}).content.decode()
    assert f'hx-get="{FOLLOWUP_URL}?' in page
    assert "age_band=65%2B" in page.split(f'hx-get="{FOLLOWUP_URL}?', 1)[1].split('"', 1)[0]
    # Without JavaScript the same panel opens as a page of its own.
    assert f'<a href="{FOLLOWUP_URL}?' in page


def test_follow_up_panel_is_a_fragment_for_htmx_and_a_page_without(client, manager):
    ticket_open_for_response(response=ResponseFactory(score=1))
    client.force_login(manager)
    fragment = client.get(FOLLOWUP_URL, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content and b'id="followup-panel"' in fragment.content
    page = client.get(FOLLOWUP_URL)
    assert b"<html" in page.content and b'id="followup-panel"' in page.content


def test_follow_up_panel_with_bad_filters_says_so(client, manager):
    client.force_login(manager)
    answer = client.get(FOLLOWUP_URL, {"start": "2026-13-45"}, headers={"HX-Request": "true"})
    assert answer.status_code == 400
    assert b"Fix the filters" in answer.content


def test_follow_up_panel_is_for_managers(client, agent):
    client.force_login(agent)
    assert client.get(FOLLOWUP_URL).status_code == 403


def test_follow_up_panel_query_count_does_not_grow_with_data(client, manager, agent, django_assert_num_queries):
    client.force_login(manager)
    ticket = ticket_open_for_response(response=ResponseFactory(score=1))
    Ticket.objects.filter(id=ticket.id).update(assignee=agent)
    client.get(FOLLOWUP_URL)
    with django_assert_num_queries(pinned := _count_queries(client, {}, url=FOLLOWUP_URL)):
        client.get(FOLLOWUP_URL)
    for _ in range(5):
        ticket = ticket_open_for_response(response=ResponseFactory(score=2))
        Ticket.objects.filter(id=ticket.id).update(assignee=agent)
    client.get(
        FOLLOWUP_URL
    )  # warm: the cached filter choices and the follow-up roll-up catch up (embedded mode: no beat)
    with django_assert_num_queries(pinned):
        client.get(FOLLOWUP_URL)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"age_band": "65+", "latest_only": "on", "dimension": "region"},
        {"resurveys": "include"},
        {"resurveys": "only", "latest_only": "on"},
    ],
)
def test_dashboard_query_count_does_not_grow_with_data(client, manager, django_assert_num_queries, query):
    client.force_login(manager)
    now = timezone.now()

    def add_data(n):
        for i in range(n):
            customer = CustomerFactory(age_band="65+", region="Bretagne")
            response = ResponseFactory(
                score=i % 11,
                customer=customer,
                invitation__customer=customer,
                comment=f"comment {i}",
                submitted_at=now - timedelta(days=i * 20),
            )
            ticket_open_for_response(response=response)

    add_data(3)
    client.get(URL, query)  # warm: session, roll-up catch-up
    with django_assert_num_queries(pinned := _count_queries(client, query)):
        client.get(URL, query)
    add_data(12)
    client.get(URL, query)
    with django_assert_num_queries(pinned):
        client.get(URL, query)
    assert pinned <= 21  # 21 since the declared custom attributes are read for the filter form


def _count_queries(client, query, url=URL) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, query)
    return len(captured.captured_queries)
