import pytest
import time_machine
from django.core.exceptions import ValidationError

from followups import services
from followups.models import Ticket, TicketEvent
from tests.factories import ResponseFactory


@pytest.fixture
def ticket(db):
    return services.ticket_open_for_response(response=ResponseFactory(score=2, comment="Never arrived"))


def _changes(ticket):
    return list(ticket.events.filter(kind="changed").values_list("actor__username", "field", "old_value", "new_value"))


def test_opening_is_idempotent(ticket):
    again = services.ticket_open_for_response(response=ticket.response)
    assert again.id == ticket.id
    assert Ticket.objects.count() == 1


def test_promoter_response_opens_nothing(db):
    assert services.ticket_open_for_response(response=ResponseFactory(score=9)) is None
    assert not Ticket.objects.exists()


def test_claim_assigns_and_audits(ticket, agent):
    services.ticket_claim(ticket=ticket, actor=agent)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert _changes(ticket) == [("alice", "assignee", "", "alice")]


def test_claiming_twice_writes_one_event(ticket, agent):
    services.ticket_claim(ticket=ticket, actor=agent)
    services.ticket_claim(ticket=ticket, actor=agent)
    assert len(_changes(ticket)) == 1


def test_reassignment_records_old_and_new(ticket, agent, other_agent, manager):
    services.ticket_claim(ticket=ticket, actor=agent)
    services.ticket_assign(ticket=ticket, actor=manager, assignee=other_agent)
    assert _changes(ticket)[-1] == ("maria", "assignee", "alice", "bob")


def test_first_contact_stops_the_clock_once(ticket, agent):
    with time_machine.travel("2026-05-05 09:00Z", tick=False):
        services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="phone", body="Called, will refund")
    first = ticket.first_contacted_at
    with time_machine.travel("2026-05-06 09:00Z", tick=False):
        services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="email")
    ticket.refresh_from_db()
    assert ticket.first_contacted_at == first
    assert ticket.contact_channel == "phone"
    assert ticket.status == "contacted"
    assert ticket.assignee == agent
    contacts = ticket.events.filter(kind="contacted")
    assert [(e.new_value, e.body) for e in contacts] == [("phone", "Called, will refund"), ("email", "")]


def test_unknown_contact_channel_is_refused(ticket, agent):
    with pytest.raises(ValidationError):
        services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="pigeon")
    ticket.refresh_from_db()
    assert ticket.first_contacted_at is None


def test_resolve_sets_outcome_and_audits_each_field(ticket, agent):
    services.ticket_resolve(ticket=ticket, actor=agent, outcome="recovered", body="Refunded, happy now")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.outcome) == ("resolved", "recovered")
    assert ticket.resolved_at is not None
    fields = {field for _, field, _, _ in _changes(ticket)}
    # Never contacted: resolving it freezes a missed first-contact deadline.
    assert fields == {"status", "outcome", "resolved_at", "minutes_to_resolution", "first_contact_met"}
    assert ticket.first_contact_met is False
    assert ticket.events.filter(kind="note", body="Refunded, happy now").exists()


def test_resolve_needs_a_known_outcome(ticket, agent):
    with pytest.raises(ValidationError):
        services.ticket_resolve(ticket=ticket, actor=agent, outcome="")
    assert Ticket.objects.get().status == "new"


def test_a_resolved_case_cannot_be_contacted_or_resolved_again(ticket, agent):
    services.ticket_resolve(ticket=ticket, actor=agent, outcome="no_reply")
    with pytest.raises(ValidationError):
        services.ticket_resolve(ticket=ticket, actor=agent, outcome="recovered")
    with pytest.raises(ValidationError):
        services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="email")


def test_empty_note_is_refused(ticket, agent):
    with pytest.raises(ValidationError):
        services.ticket_add_note(ticket=ticket, actor=agent, body="   ")
    assert not TicketEvent.objects.filter(kind="note").exists()


def test_overdue_means_open_uncontacted_and_past_due(ticket, agent):
    due = ticket.first_contact_due_at
    from datetime import timedelta

    assert not ticket.is_overdue(now=due - timedelta(minutes=1))
    assert ticket.is_overdue(now=due + timedelta(minutes=1))
    services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="email")
    assert not ticket.is_overdue(now=due + timedelta(minutes=1))


def test_a_case_goes_to_the_team_of_its_survey(db):
    from followups.models import Team

    team = Team.objects.create(name="Care")
    response = ResponseFactory(score=1)
    response.survey.team = team
    response.survey.save()
    assert services.ticket_open_for_response(response=response).team == team


def test_the_data_migration_fills_the_frozen_metrics_of_older_cases(db):
    import importlib
    from datetime import timedelta

    from django.apps import apps

    migration = importlib.import_module("followups.migrations.0007_frozen_case_metrics")
    on_time = services.ticket_open_for_response(response=ResponseFactory(score=1))
    late = services.ticket_open_for_response(response=ResponseFactory(score=1))
    untouched = services.ticket_open_for_response(response=ResponseFactory(score=1))
    start = on_time.response.submitted_at
    # As the older services left them: dates without the frozen metrics.
    Ticket.objects.filter(id=on_time.id).update(
        first_contacted_at=start + timedelta(hours=3), resolved_at=start + timedelta(hours=30)
    )
    Ticket.objects.filter(id=late.id).update(first_contacted_at=late.first_contact_due_at + timedelta(minutes=1))

    migration.fill_metrics(apps, None)

    on_time.refresh_from_db()
    late.refresh_from_db()
    untouched.refresh_from_db()
    assert (on_time.minutes_to_first_contact, on_time.first_contact_met, on_time.minutes_to_resolution) == (
        180,
        True,
        1800,
    )
    assert late.first_contact_met is False and late.minutes_to_resolution is None
    assert (untouched.minutes_to_first_contact, untouched.first_contact_met) == (None, None)
