"""French on the dashboard and in the admin (issue 19): counted words agree with their number,
and every field label in the admin is translated."""

import pytest
from django.urls import reverse

from followups.choices import Outcome
from followups.services import ticket_open_for_response, ticket_resolve
from tests.factories import ResponseFactory, SurveyFactory

FOLLOWUP_URL = reverse("reporting:dashboard_followup")


def test_follow_up_outcomes_agree_in_number_in_french(client, manager, agent):
    tickets = [ticket_open_for_response(response=ResponseFactory(score=1)) for _ in range(3)]
    for ticket in tickets[:2]:
        ticket_resolve(ticket=ticket, actor=agent, outcome=Outcome.RECOVERED)
    ticket_resolve(ticket=tickets[2], actor=agent, outcome=Outcome.NOT_RECOVERABLE)
    client.force_login(manager)
    html = client.get(FOLLOWUP_URL, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<strong>2</strong> récupérés" in html
    assert "<strong>1</strong> non récupérable" in html
    assert "<strong>0</strong> sans réponse" in html


@pytest.mark.parametrize("label", ["Marque", "Identifiant public"])
def test_the_survey_admin_labels_its_fields_in_french(client, admin_user, label):
    survey = SurveyFactory()
    client.force_login(admin_user)
    url = reverse("admin:surveys_survey_change", args=[survey.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert f">{label}\xa0:</label>" in html
    assert "Public id" not in html and ">Brand" not in html


def test_the_shares_chart_heading_with_a_percent_sign_is_french(client, manager):
    """A literal % in a template's {% translate %} is looked up doubled: the catalogue must say %%."""
    ResponseFactory(score=9)
    client.force_login(manager)
    html = client.get(reverse("reporting:dashboard"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Promoteurs et détracteurs, en % des réponses" in html
