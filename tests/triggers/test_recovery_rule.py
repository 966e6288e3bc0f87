"""Recovery: resolved detractors are surveyed again, once, by their survey's recovery rule; the new score is kept."""

import importlib
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from followups import services
from followups.models import Ticket
from followups.tasks import tickets_reconcile_task
from surveys.models import Invitation
from tests.factories import CustomerFactory, ResponseFactory, SurveyFactory
from tests.followups.factories import open_case
from tests.triggers.factories import recovery_rule
from triggers import services as trigger_services
from triggers.models import TriggerFire, TriggerRule
from triggers.selectors import CATCH_UP_DAYS
from triggers.tasks import triggers_evaluate_task

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def tickets_resurvey_task() -> int:
    """The beat, as far as re-surveys go: how many went out."""
    return triggers_evaluate_task()["sent"]


def travel(moment):
    return time_machine.travel(moment, tick=False)


def _resolved(agent, *, survey=None, customer=None, outcome="recovered", score=2):
    if survey is None:
        survey = SurveyFactory()
        recovery_rule(survey)
    customer = customer or CustomerFactory()
    with travel(T0):
        ticket = open_case(
            score=score,
            survey=survey,
            invitation__survey=survey,
            invitation__customer=customer,
            customer=None if survey.is_anonymous else customer,
        )
        services.ticket_set_status(ticket=ticket, actor=agent, status="resolved", outcome=outcome)
    return ticket


def test_the_customer_is_surveyed_again_once_after_14_days(db, agent):
    ticket = _resolved(agent)
    with travel(T0 + timedelta(days=13, hours=23)):
        assert tickets_resurvey_task() == 0
    with travel(T0 + timedelta(days=14)):
        assert tickets_resurvey_task() == 1
        assert tickets_resurvey_task() == 0
    ticket.refresh_from_db()
    invitation = ticket.resurvey_invitation
    assert (invitation.survey, invitation.customer) == (ticket.survey, ticket.customer)
    assert invitation.delivery_status == "sent" and invitation.sent_at == T0 + timedelta(days=14)
    assert invitation.id != ticket.response.invitation_id
    assert invitation.is_resurvey and not ticket.response.invitation.is_resurvey
    assert [m.to for m in mail.outbox] == [[ticket.customer.email]]
    assert invitation.token in mail.outbox[0].body
    assert ticket.events.filter(kind="resurvey_sent", actor=None).count() == 1


def test_closed_cases_and_each_survey_delay_count(db, agent):
    weekly = recovery_rule(days=7).survey
    ticket = _resolved(agent, survey=weekly)
    services.ticket_set_status(ticket=ticket, actor=agent, status="closed")
    with travel(T0 + timedelta(days=7)):
        assert tickets_resurvey_task() == 1


@pytest.mark.parametrize("rule", ["none", "inactive"])
def test_no_active_recovery_rule_means_never(db, agent, rule):
    survey = SurveyFactory()
    if rule == "inactive":
        recovery_rule(survey, is_active=False)
    _resolved(agent, survey=survey)
    with travel(T0 + timedelta(days=30)):
        assert tickets_resurvey_task() == 0
    assert not Invitation.objects.filter(recovery_ticket__isnull=False).exists()
    assert mail.outbox == []


def test_long_forgotten_cases_are_not_surveyed_when_the_feature_arrives(db, agent):
    _resolved(agent)
    with travel(T0 + timedelta(days=14 + CATCH_UP_DAYS + 1)):
        assert tickets_resurvey_task() == 0


@pytest.mark.parametrize(
    "setup",
    ["anonymous", "erased", "no_email", "opted_out", "open"],
)
def test_who_is_not_surveyed_again(db, agent, setup):
    survey = SurveyFactory(is_anonymous=setup == "anonymous")
    recovery_rule(survey)
    customer = CustomerFactory(
        email="" if setup == "no_email" else "x@example.com",
        erased_at=T0 if setup == "erased" else None,
        surveys_opted_out_at=T0 if setup == "opted_out" else None,
    )
    ticket = _resolved(agent, survey=survey, customer=customer)
    if setup == "open":
        services.ticket_set_status(ticket=ticket, actor=agent, status="contacted")
    with travel(T0 + timedelta(days=14)):
        assert tickets_resurvey_task() == 0
        assert tickets_resurvey_task() == 0
    assert mail.outbox == []
    assert Ticket.objects.get().resurvey_invitation is None


def test_a_refused_email_claims_nothing_and_is_tried_again(db, agent):
    ticket = _resolved(agent)
    invitations = Invitation.objects.count()
    with travel(T0 + timedelta(days=14)):
        with mock.patch("triggers.services.invitation_email_send", side_effect=OSError("SMTP down")):
            assert tickets_resurvey_task() == 0
        assert Ticket.objects.get().resurvey_invitation is None
        assert Invitation.objects.count() == invitations
        assert tickets_resurvey_task() == 1
    ticket.refresh_from_db()
    assert ticket.resurvey_invitation is not None


def test_two_runs_on_the_same_case_send_one_invitation(db, agent):
    _resolved(agent)
    moment = T0 + timedelta(days=14)
    with travel(moment):
        trigger_services.rule_claim_due(rule=TriggerRule.objects.get(), now=moment)
        first, second = list(TriggerFire.objects.all()), list(TriggerFire.objects.all())  # two beats hold it
        assert trigger_services.fire_send(fire=first[0], now=moment) == "sent"
        assert trigger_services.fire_send(fire=second[0], now=moment) == ""
        assert trigger_services.rule_claim_due(rule=TriggerRule.objects.get(), now=moment) == 0
    assert len(mail.outbox) == 1
    assert Invitation.objects.filter(recovery_ticket__isnull=False).count() == 1


@pytest.mark.parametrize(("score", "recovered"), [(9, True), (7, True), (6, False)])
def test_the_answer_to_the_resurvey_is_recorded_on_the_case(db, agent, score, recovered):
    ticket = _resolved(agent)
    with travel(T0 + timedelta(days=14)):
        tickets_resurvey_task()
    ticket.refresh_from_db()
    with travel(T0 + timedelta(days=15)):
        answer = ResponseFactory(invitation=ticket.resurvey_invitation, score=score, submitted_at=timezone.now())
        services.ticket_open_for_response(response=answer)
        services.ticket_open_for_response(response=answer)  # twice: recorded once
    ticket.refresh_from_db()
    assert ticket.resurvey_score == score and ticket.is_recovered is recovered
    event = ticket.events.get(kind="resurvey_answered")
    assert (event.actor, event.field, event.new_value) == (None, "resurvey_score", str(score))
    # A detractor again: that answer opens a case of its own.
    assert Ticket.objects.filter(response=answer).exists() is (score <= 6)


def test_reconciliation_records_a_lost_resurvey_answer(db, agent, settings):
    settings.NPSAPP_RECONCILE_AFTER_SECONDS = 60
    ticket = _resolved(agent)
    with travel(T0 + timedelta(days=14)):
        tickets_resurvey_task()
    ticket.refresh_from_db()
    with travel(T0 + timedelta(days=15)):
        ResponseFactory(invitation=ticket.resurvey_invitation, score=8, submitted_at=timezone.now())
    with travel(T0 + timedelta(days=15, minutes=5)):
        assert tickets_reconcile_task() == 1
        assert tickets_reconcile_task() == 0
    ticket.refresh_from_db()
    assert ticket.resurvey_score == 8


def test_links_sent_before_the_flag_existed_are_marked_as_re_surveys(db, agent):
    from django.apps import apps

    migration = importlib.import_module("followups.migrations.0011_invitations_mark_resurveys")
    ticket = _resolved(agent)
    with travel(T0 + timedelta(days=14)):
        tickets_resurvey_task()
    Invitation.objects.update(is_resurvey=False)
    migration.mark_resurvey_links(apps, None)
    assert list(Invitation.objects.filter(is_resurvey=True)) == [Ticket.objects.get(pk=ticket.pk).resurvey_invitation]
