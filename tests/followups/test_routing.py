"""Who a new case goes to: the account owner, else the team's agents in turn, else nobody."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, User

from followups import routing
from npsapp import roles
from tests.factories import CustomerFactory, SurveyFactory
from tests.followups.factories import open_case, team_of

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def _agent(username, **extra):
    user = User.objects.create_user(username=username, **extra)
    user.groups.add(Group.objects.get_or_create(name=roles.AGENT)[0])
    return user


@pytest.fixture
def team_survey(db, agent, other_agent, manager):
    inactive = _agent("ghost", is_active=False)
    survey = SurveyFactory(team=team_of(agent, other_agent, manager, inactive))
    return survey


def _case(survey, minutes=0, **kwargs):
    with time_machine.travel(NOW + timedelta(minutes=minutes), tick=False):
        return open_case(score=2, survey=survey, invitation__survey=survey, **kwargs)


def test_the_account_owner_gets_the_case(team_survey, manager):
    customer = CustomerFactory(account_owner=manager)
    ticket = _case(team_survey, invitation__customer=customer)
    assert ticket.assignee == manager
    opened, assigned = ticket.events.order_by("id")
    assert (opened.kind, assigned.kind, assigned.field, assigned.actor, assigned.new_value) == (
        "opened",
        "changed",
        "assignee",
        None,
        "maria",
    )


def test_an_owner_who_cannot_work_cases_is_passed_over(team_survey, outsider, agent):
    ticket = _case(team_survey, invitation__customer=CustomerFactory(account_owner=outsider))
    assert ticket.assignee == agent


def test_round_robin_least_recently_assigned_first(team_survey, agent, other_agent):
    # Only active members of the agent group take turns (not the manager, not the inactive one).
    assignees = [_case(team_survey, minutes=n).assignee for n in range(5)]
    assert assignees == [agent, other_agent, agent, other_agent, agent]


def test_round_robin_is_deterministic_for_cases_opened_at_once(team_survey, agent, other_agent):
    assignees = [_case(team_survey).assignee for _ in range(3)]
    assert assignees == [agent, other_agent, agent]


def test_a_newcomer_goes_first(team_survey, agent, other_agent):
    _case(team_survey, minutes=0)
    _case(team_survey, minutes=1)
    newcomer = _agent("nina")
    team_survey.team.members.add(newcomer)
    assert _case(team_survey, minutes=2).assignee == newcomer


def test_without_a_team_the_case_is_unassigned(db):
    ticket = open_case(score=1)
    assert ticket.assignee is None
    assert list(ticket.events.values_list("kind", flat=True)) == ["opened"]


def test_a_team_without_agents_leaves_it_unassigned(db, manager):
    survey = SurveyFactory(team=team_of(manager, name="Managers only"))
    assert _case(survey).assignee is None


def test_anonymous_answers_are_routed_round_robin_without_the_owner(db, agent, manager):
    survey = SurveyFactory(team=team_of(agent), is_anonymous=True)
    customer = CustomerFactory(account_owner=manager)
    ticket = _case(survey, invitation__customer=customer, customer=None)
    assert ticket.assignee == agent


def test_team_agents_query_is_one_query(team_survey, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert len(list(routing.team_agents(team_survey.team))) == 2
