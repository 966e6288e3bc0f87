"""An agent sees another team's answers and cases nowhere.

agent1 (`agent`) works for Customer care; Billing's survey has a detractor answer from the
same customer, with its case. One selector (followups.selectors.responses_visible_to and
tickets_visible_to) decides; each entry point is tried here.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from customerview.atrisk_services import risk_refresh_all
from followups import selectors, services
from integrations.choices import TokenScope
from integrations.services import api_token_create
from tests.factories import CustomerFactory, ResponseFactory, SurveyFactory
from tests.followups.factories import team_of

SECRET = "Billing charged me twice"
PROMOTER_SECRET = "Billing sorted it out"


@pytest.fixture
def world(agent, other_agent):
    care, billing = team_of(agent, name="Customer care"), team_of(other_agent, name="Billing")
    care_survey = SurveyFactory(name="Care survey", team=care)
    billing_survey = SurveyFactory(name="Billing survey", team=billing)
    customer = CustomerFactory(first_name="Jeanne", last_name="Moreau")
    own = services.ticket_open_for_response(
        response=ResponseFactory(
            score=5,
            comment="Slow answer",
            survey=care_survey,
            invitation__survey=care_survey,
            invitation__customer=customer,
        )
    )
    theirs = services.ticket_open_for_response(
        response=ResponseFactory(
            score=2,
            comment=SECRET,
            survey=billing_survey,
            invitation__survey=billing_survey,
            invitation__customer=customer,
        )
    )
    # An answer without a case (a promoter) on Billing's survey.
    promoter = ResponseFactory(
        score=10,
        comment=PROMOTER_SECRET,
        survey=billing_survey,
        invitation__survey=billing_survey,
        invitation__customer=customer,
    )
    assert own.team == care and theirs.team == billing
    return {"customer": customer, "own": own, "theirs": theirs, "promoter": promoter}


def _agent_api(user) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION="Bearer " + api_token_create(name="x", scope=TokenScope.WRITE, created_by=user)[1]
    )
    return client


def test_the_selector(world, agent, manager):
    visible = set(selectors.responses_visible_to(agent))
    assert world["own"].response in visible
    assert world["theirs"].response not in visible
    assert world["promoter"] not in visible
    assert selectors.responses_visible_to(manager).count() == 3
    assert selectors.responses_visible_to(None).count() == 0


def test_customer_page(client, world, agent):
    client.force_login(agent)
    html = client.get(reverse("customerview:customer", args=[world["customer"].public_id])).content.decode()
    assert "Slow answer" in html and world["own"].reference in html
    assert SECRET not in html and PROMOTER_SECRET not in html
    assert world["theirs"].reference not in html
    assert "2 out of 10" not in html  # the at-risk reason from Billing's answer


def test_customer_page_shows_everything_to_a_manager(client, world, manager):
    client.force_login(manager)
    html = client.get(reverse("customerview:customer", args=[world["customer"].public_id])).content.decode()
    assert SECRET in html and PROMOTER_SECRET in html and world["theirs"].reference in html


def test_crm_panel_on_a_case(client, world, agent):
    client.force_login(agent)
    html = client.get(reverse("followups:ticket", args=[world["own"].public_id])).content.decode()
    assert "Slow answer" in html
    assert SECRET not in html and PROMOTER_SECRET not in html and world["theirs"].reference not in html


def test_another_teams_case_page_is_404(client, world, agent):
    client.force_login(agent)
    assert client.get(reverse("followups:ticket", args=[world["theirs"].public_id])).status_code == 404


def test_customer_search_shows_no_answer(client, world, agent):
    client.force_login(agent)
    html = client.get(reverse("crm:customers"), {"q": "Moreau"}).content.decode()
    assert "Moreau" in html
    assert SECRET not in html and world["theirs"].reference not in html


def test_inbox_search(client, world, agent):
    client.force_login(agent)
    page = client.get(reverse("followups:inbox"), {"q": "Billing"})
    html = page.content.decode()
    assert world["theirs"].reference not in html and SECRET not in html
    page = client.get(reverse("followups:inbox"), {"q": "Moreau"})
    assert world["own"].reference in page.content.decode()
    assert world["theirs"].reference not in page.content.decode()


def test_at_risk_list(client, world, agent, manager):
    risk_refresh_all()  # the stored flags, as the hooks leave them once the world's writes commit
    client.force_login(agent)
    html = client.get(reverse("customerview:at_risk")).content.decode()
    assert "2 out of 10" not in html
    client.force_login(manager)
    assert "2 out of 10" in client.get(reverse("customerview:at_risk")).content.decode()


def test_api_responses(world, agent):
    api = _agent_api(agent)
    listed = api.get(reverse("api:responses")).json()["results"]
    assert [row["comment"] for row in listed] == ["Slow answer"]
    assert api.get(reverse("api:response", args=[world["theirs"].response.public_id])).status_code == 404
    assert api.get(reverse("api:response", args=[world["promoter"].public_id])).status_code == 404


def test_api_cases(world, agent):
    api = _agent_api(agent)
    listed = api.get(reverse("api:cases")).json()["results"]
    assert [row["public_id"] for row in listed] == [str(world["own"].public_id)]
    theirs = world["theirs"].public_id
    assert api.get(reverse("api:case", args=[theirs])).status_code == 404
    assert api.patch(reverse("api:case", args=[theirs]), {"assignee": None}, format="json").status_code == 404
    assert api.post(reverse("api:case-notes", args=[theirs]), {"body": "hi"}, format="json").status_code == 404


def test_api_token_acts_as_its_creator_only_while_they_can(world, agent):
    api = _agent_api(agent)
    agent.is_active = False
    agent.save()
    assert api.get(reverse("api:responses")).json()["results"] == []
