"""The recovery re-survey passes the consent gate, without contact fatigue (it belongs to the case)."""

import smtplib
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail

from followups import services
from followups.models import Ticket
from tests.factories import CustomerFactory, InvitationFactory, SurveyFactory
from tests.followups.factories import open_case
from tests.triggers.factories import recovery_rule
from triggers.models import TriggerFire
from triggers.tasks import triggers_evaluate_task

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
DUE = T0 + timedelta(days=14)


def tickets_resurvey_task() -> int:
    return triggers_evaluate_task()["sent"]


def _resolved(agent, customer):
    survey = recovery_rule(SurveyFactory()).survey
    with time_machine.travel(T0, tick=False):
        ticket = open_case(
            score=2, survey=survey, invitation__survey=survey, invitation__customer=customer, customer=customer
        )
        services.ticket_set_status(ticket=ticket, actor=agent, status="resolved", outcome="recovered")
    return ticket


def test_an_address_refused_for_good_gets_no_resurvey(agent):
    customer = CustomerFactory(email="gone@example.com", email_failed_at=T0, email_failed_address="gone@example.com")
    _resolved(agent, customer)
    with time_machine.travel(DUE, tick=False):
        assert tickets_resurvey_task() == 0
        assert tickets_resurvey_task() == 0
    assert mail.outbox == []
    assert list(TriggerFire.objects.values_list("status", "reason")) == [("skipped", "email_failed")]
    assert Ticket.objects.get().resurvey_invitation is None


def test_contact_fatigue_does_not_hold_back_the_resurvey(agent):
    customer = CustomerFactory()
    ticket = _resolved(agent, customer)
    InvitationFactory(customer=customer, created_at=DUE - timedelta(days=2))  # another survey, two days ago
    with time_machine.travel(DUE, tick=False):
        assert tickets_resurvey_task() == 1
    ticket.refresh_from_db()
    assert ticket.resurvey_invitation.is_resurvey and ticket.resurvey_invitation.fatigue_bypassed_by == ""


def test_a_recipient_refused_for_good_is_recorded_and_not_tried_again(agent):
    customer = CustomerFactory(email="gone@example.com")
    _resolved(agent, customer)
    refused = smtplib.SMTPRecipientsRefused({"gone@example.com": (550, b"no such user")})
    with time_machine.travel(DUE, tick=False):
        with mock.patch("triggers.services.invitation_email_send", side_effect=refused) as send:
            assert tickets_resurvey_task() == 0
            assert tickets_resurvey_task() == 0
    assert send.call_count == 1
    customer.refresh_from_db()
    assert customer.email_failed_address == "gone@example.com"
