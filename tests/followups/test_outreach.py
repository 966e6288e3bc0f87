"""Outreach cases: opened by staff for an at-risk customer who gave no answer."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from followups import services
from followups.choices import EventKind, Priority, TicketKind
from followups.models import Team, Ticket
from surveys.models import Theme
from tests.factories import CustomerFactory, ResponseFactory, SurveyFactory

INBOX = reverse("followups:inbox")
REASON = "No purchase for 75 days, more than 2 × their usual 30 days between purchases."


def _outreach(customer, survey, actor, reason=REASON):
    return services.ticket_open_outreach(customer=customer, survey=survey, reason=reason, actor=actor)


@time_machine.travel("2025-03-10 09:00 +0000", tick=False)
def test_outreach_case_has_a_week_routed_to_the_survey_team_and_says_why(agent, customer):
    team = Team.objects.create(name="Retention")
    survey = SurveyFactory(team=team)
    ticket = _outreach(customer, survey, agent)
    ticket.refresh_from_db()
    assert ticket.kind == TicketKind.OUTREACH
    assert ticket.response is None
    assert (ticket.survey, ticket.team, ticket.customer) == (survey, team, customer)
    assert ticket.priority == Priority.NORMAL
    assert ticket.first_contact_due_at == timezone.now() + timedelta(days=7)
    assert ticket.reason == REASON
    [opened] = ticket.events.all()
    assert (opened.kind, opened.actor, opened.body) == (EventKind.OPENED, agent, REASON)


def test_second_open_outreach_case_is_refused_until_the_first_is_resolved(agent, customer, survey):
    first = _outreach(customer, survey, agent)
    with pytest.raises(ValidationError, match=first.reference):
        _outreach(customer, survey, agent)
    assert Ticket.objects.filter(customer=customer).count() == 1
    services.ticket_resolve(ticket=first, actor=agent, outcome="recovered")
    assert _outreach(customer, survey, agent).id != first.id


def test_an_open_detractor_case_does_not_block_outreach(agent, customer, survey):
    response = ResponseFactory(score=2, customer=customer, invitation__customer=customer)
    services.ticket_open_for_response(response=response)
    assert _outreach(customer, survey, agent).kind == TicketKind.OUTREACH


@pytest.mark.parametrize("reason", ["", "   "])
def test_outreach_needs_a_reason(agent, customer, survey, reason):
    with pytest.raises(ValidationError):
        _outreach(customer, survey, agent, reason=reason)
    assert not Ticket.objects.exists()


def test_erased_customer_gets_no_outreach(agent, survey):
    erased = CustomerFactory(erased_at=timezone.now(), first_name="", last_name="", email="")
    with pytest.raises(ValidationError):
        _outreach(erased, survey, agent)
    assert not Ticket.objects.exists()


def test_outreach_case_cannot_be_tagged_with_a_theme(agent, customer, survey):
    ticket = _outreach(customer, survey, agent)
    theme = Theme.objects.create(name="Price")
    with pytest.raises(ValidationError):
        services.ticket_tag_theme(ticket=ticket, actor=agent, theme=theme)


def test_outreach_case_in_the_inbox_shows_outreach_and_the_reason(client, agent, customer, survey):
    detractor = services.ticket_open_for_response(response=ResponseFactory(score=1, comment="Too slow"))
    outreach = _outreach(customer, survey, agent)
    client.force_login(agent)
    page = client.get(INBOX)
    assert page.status_code == 200
    assert {t.id for t in page.context["page"]} == {detractor.id, outreach.id}
    html = page.content.decode()
    assert "Outreach" in html
    assert "No purchase for 75 days" in html
    assert "Too slow" in html


def test_outreach_case_page_shows_the_reason_and_can_be_worked(client, agent, customer, survey):
    earlier = ResponseFactory(score=9, comment="Lovely shop", customer=customer, invitation__customer=customer)
    ticket = _outreach(customer, survey, agent)
    client.force_login(agent)
    url = reverse("followups:ticket", args=[ticket.public_id])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "No purchase for 75 days" in html
    assert "The customer&#x27;s answer" not in html and "The customer's answer" not in html
    assert page.context["crm"].earlier_responses == [earlier]
    assert "Lovely shop" in html
    reply = client.post(url, {"action": "phone", "body": "Called, all fine"})
    assert reply.status_code == 302
    ticket.refresh_from_db()
    assert ticket.first_contacted_at is not None


def test_tagging_an_outreach_case_from_its_page_explains_itself(client, agent, customer, survey):
    ticket = _outreach(customer, survey, agent)
    theme = Theme.objects.create(name="Price")
    client.force_login(agent)
    url = reverse("followups:ticket", args=[ticket.public_id])
    reply = client.post(url, {"action": "tag", "theme": theme.id})
    assert reply.status_code == 400
    assert "no answer to tag" in reply.content.decode()


# --- Passives -----------------------------------------------------------------------------------


def test_a_passive_gets_an_outreach_case_when_the_survey_asks_for_it(db):
    from datetime import timedelta

    from tests.factories import SurveyFactory

    survey = SurveyFactory(passive_outreach=True, sla_clock="business_days")  # ignored: a week, elapsed
    response = ResponseFactory(score=7, survey=survey, invitation__survey=survey)
    ticket = services.ticket_open_for_response(response=response)
    assert (ticket.kind, ticket.priority) == ("passive", "normal")
    assert ticket.first_contact_due_at == response.submitted_at + timedelta(days=7)
    assert services.ticket_open_for_response(response=response).id == ticket.id


@pytest.mark.parametrize(("score", "outreach"), [(8, False), (9, True), (10, True)])
def test_no_passive_case_otherwise(db, score, outreach):
    from tests.factories import SurveyFactory

    survey = SurveyFactory(passive_outreach=outreach)
    response = ResponseFactory(score=score, survey=survey, invitation__survey=survey)
    assert services.ticket_open_for_response(response=response) is None
