"""The demo is loaded as `make run` loads it: each step commits (its follow-up hook runs then),
so these tests use a database that really commits.

A load replays a year through the services (tens of seconds): one test loads it once and checks,
in turn, what the load printed and refuses, the audit trail of its cases, the links it prints,
and then what a user can do with it on every screen (which changes the data, so it comes last)."""

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from campaigns.selectors import audience_count
from campaigns.services import campaign_create, campaigns_start_due
from conversations.models import Direction, Message
from customerview import atrisk
from customerview.atrisk_selectors import at_risk_list, at_risk_policy, at_risk_rows
from demo import plan as demo
from followups.choices import EventKind, TicketStatus
from followups.models import Ticket, TicketEvent
from followups.services import tickets_check_deadlines
from npsapp import roles
from surveys.choices import DeliveryStatus
from surveys.models import Invitation, Response, ResponseTheme, Survey
from surveys.selectors import nps_summary

User = get_user_model()
HOUR = timedelta(hours=1)


@pytest.fixture
def demo_db(transactional_db):
    # The role groups come from a data migration, which a transactional test's flush empties.
    for name in (roles.MANAGER, roles.AGENT, roles.ADMIN):
        Group.objects.get_or_create(name=name)


@pytest.mark.slow
def test_the_demo_loads_once_through_the_services_and_shows_something_on_every_screen(demo_db, settings):
    out = io.StringIO()
    call_command("load_demo_data", seed=1, stdout=out)
    assert "demo_links" in out.getvalue()
    _loads_once_and_is_realistic()
    _cases_carry_the_audit_trail_and_figures_the_services_write()
    _demo_links_prints_the_logins_and_answerable_survey_links_on_this_server(settings)
    _something_live_on_every_screen()


def _loads_once_and_is_realistic():
    answers = demo.RESPONSE_COUNT + len(demo.SHOWCASE_CASES)
    assert Response.objects.count() == answers
    summary = nps_summary()
    assert 10 < summary.score < 40
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert {"new", "resolved"} <= statuses
    # The follow-up figures the dashboard reads are frozen on the cases, as the services do.
    contacted = Ticket.objects.filter(first_contacted_at__isnull=False)
    assert contacted.exists() and not contacted.filter(minutes_to_first_contact__isnull=True).exists()
    assert contacted.filter(first_contact_met=True).exists() and contacted.filter(first_contact_met=False).exists()
    resurveyed = Ticket.objects.filter(resurvey_score__isnull=False)
    assert resurveyed.exists()
    assert all(t.resurvey_invitation.response.score == t.resurvey_score for t in resurveyed)
    with pytest.raises(CommandError, match="already loaded"):
        call_command("load_demo_data", stdout=io.StringIO())
    call_command("load_demo_data", skip_if_loaded=True, stdout=io.StringIO())
    assert Response.objects.count() == answers


def _demo_links_prints_the_logins_and_answerable_survey_links_on_this_server(settings):
    settings.SITE_URL = "http://127.0.0.1:8100"
    out = io.StringIO()
    call_command("demo_links", stdout=out)
    text = out.getvalue()
    assert "manager" in text and "agent1" in text
    links = re.findall(r"http://127\.0\.0\.1:8100/s/([\w-]+)/", text)
    assert len(links) == 3
    for token in links:
        invitation = Invitation.objects.get(token=token)
        assert not invitation.is_expired and not Response.objects.filter(invitation=invitation).exists()
    assert "http://127.0.0.1:8100/f/" in text


def test_demo_links_without_demo_data_says_how_to_load_it(db):
    out = io.StringIO()
    call_command("demo_links", stdout=out)
    assert "load_demo_data" in out.getvalue()


def _something_live_on_every_screen():
    loaded_at = timezone.now()
    manager = User.objects.get(username="manager")
    survey = Survey.objects.get(name="Post-purchase survey")

    # A campaign made today reaches customers: contact fatigue skips most, not all but one.
    count = audience_count(audience={}, survey=survey)
    assert count.matching == 300
    assert 40 <= count.invitable <= 100
    mail.outbox.clear()
    campaign = campaign_create(
        name="Try it", survey=survey, audience={}, send_at=loaded_at, created_by=manager, now=loaded_at
    )
    campaigns_start_due(now=loaded_at)
    sent = Invitation.objects.filter(campaign=campaign, delivery_status=DeliveryStatus.SENT)
    assert sent.count() == count.invitable == len(mail.outbox)

    # A case about to breach: assigned, due within the hour; the beat warns now and breaches it at its deadline.
    soon = Ticket.objects.filter(first_contact_due_at__gt=loaded_at, first_contact_due_at__lte=loaded_at + HOUR)
    # The demo's showcase case; another case of the replayed year may fall due in the same hour.
    about_to_breach = soon.filter(assignee__isnull=False).order_by("first_contact_due_at").first()
    assert about_to_breach is not None
    assert about_to_breach.assignee is not None and about_to_breach.breached_at is None
    warned, _breached = tickets_check_deadlines(now=loaded_at)
    assert warned >= 1
    about_to_breach.refresh_from_db()
    assert about_to_breach.warned_at is not None
    tickets_check_deadlines(now=about_to_breach.first_contact_due_at + timedelta(minutes=1))
    about_to_breach.refresh_from_db()
    assert about_to_breach.breached_at is not None
    assert about_to_breach.events.filter(kind=EventKind.OPENED).exists()

    # One waiting on the customer (clock stopped), reached by the services with their audit trail.
    waiting = Ticket.objects.filter(status=TicketStatus.WAITING, clock_paused_at__isnull=False)
    assert waiting.exists()
    assert TicketEvent.objects.filter(ticket__in=waiting, field="status", new_value=TicketStatus.WAITING).exists()

    # A customer's reply on an open case, after the agent's email (older cases have their threads too).
    replies = Message.objects.filter(direction=Direction.IN).select_related("ticket", "in_reply_to")
    assert any(reply.ticket.is_open and reply.in_reply_to.direction == Direction.OUT for reply in replies)
    assert replies.filter(ticket__status=TicketStatus.RESOLVED).exists()

    # The at-risk list shows every rule.
    viewer, policy = get_user_model().objects.get(username="manager"), at_risk_policy()
    rows = at_risk_rows(at_risk_list(viewer=viewer, policy=policy), viewer=viewer, policy=policy)
    assert {code for row in rows for code in row.reason_codes} == {code for code, _label in atrisk.REASONS}

    # Verbatims with their themes.
    assert ResponseTheme.objects.filter(response__comment__gt="").count() > 100


def _cases_carry_the_audit_trail_and_figures_the_services_write():
    from followups import sla
    from followups.choices import Outcome

    tickets = list(Ticket.objects.select_related("response", "survey"))
    assert len(tickets) > 300
    opened = dict(TicketEvent.objects.filter(kind=EventKind.OPENED).values_list("ticket_id", "created_at").order_by())
    paused = set(TicketEvent.objects.filter(kind=EventKind.WAITING).values_list("ticket_id", flat=True))
    assert paused
    for ticket in tickets:
        # Opened by the answer's follow-up hook when the answer was given, with its audit row.
        assert opened[ticket.id] == ticket.opened_at == ticket.response.submitted_at
        if ticket.id not in paused:  # a pause moves the deadline on when the clock resumes
            assert ticket.first_contact_due_at == sla.first_contact_due(
                ticket.response.submitted_at, hours=ticket.survey.first_contact_hours
            )
        if ticket.first_contacted_at is not None:
            minutes = int((ticket.first_contacted_at - ticket.response.submitted_at).total_seconds() // 60)
            assert ticket.minutes_to_first_contact == minutes
            assert ticket.first_contact_met == (ticket.first_contacted_at <= ticket.first_contact_due_at)
        if ticket.resolved_at is not None:
            resolved = ticket.events.get(field="resolved_at")
            assert resolved.created_at == ticket.resolved_at and ticket.outcome in Outcome.values
    # The beat of the past marked the cases left uncontacted past their deadline, when it passed.
    breached = [t for t in tickets if t.breached_at is not None]
    assert breached
    for ticket in breached:
        assert timedelta(0) < ticket.breached_at - ticket.first_contact_due_at <= timedelta(minutes=1)
        assert ticket.first_contacted_at is None or ticket.first_contacted_at > ticket.breached_at
    # Recovery re-surveys were sent by the trigger rule, 14 days or more after the resolution.
    resurveyed = [t for t in tickets if t.resurvey_invitation_id is not None]
    assert resurveyed
    for ticket in resurveyed:
        assert ticket.resurvey_invitation.created_at - ticket.resolved_at >= timedelta(days=14)
        assert ticket.events.filter(kind=EventKind.RESURVEY_SENT).exists()
