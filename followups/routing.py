"""Who a new follow-up case goes to.

The customer's account owner in the CRM when there is one (they know the customer), otherwise
round-robin among the agents of the survey's team: the agent assigned a case least recently
goes first (never assigned first, ties by id, so it is deterministic). No team: unassigned.
"""

from django.contrib.auth import get_user_model
from django.db.models import F, Max

from followups.models import Team
from npsapp import roles


def _can_work_cases(user) -> bool:
    return user is not None and user.is_active and roles.has_any_role(user, roles.CAN_WORK_CASES)


def team_agents(team: Team):
    """The team's active members in the agent group, least recently assigned first."""
    return (
        get_user_model()
        .objects.filter(teams=team, is_active=True, groups__name=roles.AGENT)
        .distinct()
        .annotate(last_assigned=Max("assigned_tickets__opened_at"))
        .order_by(F("last_assigned").asc(nulls_first=True), "id")
    )


def assignee_for(*, survey, customer):
    """The user a new case of `survey` about `customer` is assigned to, or None.

    Call it inside the transaction that saves the case: the team row is locked so that two
    cases opened at once go to two different agents.
    """
    if customer is not None and customer.erased_at is None and customer.account_owner_id is not None:
        owner = customer.account_owner
        if _can_work_cases(owner):
            return owner
    if survey.team_id is None:
        return None
    team = Team.objects.select_for_update().filter(id=survey.team_id).first()
    if team is None:
        return None
    return team_agents(team).first()
