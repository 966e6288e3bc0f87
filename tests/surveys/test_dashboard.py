import pytest
from django.urls import reverse

from tests.factories import ResponseFactory, SurveyFactory

URL = reverse("surveys:dashboard")


def test_anonymous_visitor_is_sent_to_login(client):
    reply = client.get(URL)
    assert reply.status_code == 302
    assert reply["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("actor", ["agent", "outsider"])
def test_agents_and_outsiders_cannot_see_the_dashboard(client, request, actor):
    client.force_login(request.getfixturevalue(actor))
    assert client.get(URL).status_code == 403


def test_manager_sees_nps_with_n_and_shares(client, manager):
    for score in [10, 10, 9, 8, 7, 6, 0, 10, 9, 2]:
        ResponseFactory(score=score)
    client.force_login(manager)
    page = client.get(URL)
    assert page.status_code == 200
    summary = page.context["summary"]
    assert (summary.promoters, summary.passives, summary.detractors) == (5, 2, 3)
    html = page.content.decode()
    assert "+20" in html
    assert "n = 10" in html or "n=10" in html
    assert "50" in html and "30" in html  # % promoters, % detractors


def test_empty_dashboard_shows_no_score_not_zero(client, manager):
    client.force_login(manager)
    page = client.get(URL)
    assert page.status_code == 200
    assert page.context["summary"].score is None
    assert "—" in page.content.decode()


def test_survey_filter_and_unknown_survey(client, manager):
    wanted, other = SurveyFactory(name="Wanted"), SurveyFactory(name="Other")
    ResponseFactory(score=10, survey=wanted, invitation__survey=wanted)
    ResponseFactory(score=0, survey=other, invitation__survey=other)
    client.force_login(manager)
    page = client.get(URL, {"survey": str(wanted.public_id)})
    assert page.context["summary"].score == 100
    page = client.get(URL, {"survey": "not-a-survey"})
    assert page.status_code == 200
    assert page.context["error"]
    assert page.context["summary"].n == 2


def test_dashboard_query_count_does_not_grow_with_data(client, manager, django_assert_num_queries):
    client.force_login(manager)
    client.get(URL)  # warm the session
    for score in range(11):
        ResponseFactory(score=score)
    # session, user, roles, surveys, trend, summary, distribution, ticket counts
    with django_assert_num_queries(8):
        client.get(URL)
    for score in range(11):
        ResponseFactory(score=score, survey=SurveyFactory())
    with django_assert_num_queries(8):
        client.get(URL)


def test_case_counts_follow_the_survey_filter(client, manager):
    from followups.services import ticket_open_for_response

    wanted, other = SurveyFactory(name="Wanted"), SurveyFactory(name="Other")
    ticket_open_for_response(response=ResponseFactory(score=1, survey=wanted, invitation__survey=wanted))
    for _ in range(2):
        ticket_open_for_response(response=ResponseFactory(score=1, survey=other, invitation__survey=other))
    client.force_login(manager)
    assert client.get(URL).context["ticket_counts"]["open"] == 3
    assert client.get(URL, {"survey": str(wanted.public_id)}).context["ticket_counts"]["open"] == 1
