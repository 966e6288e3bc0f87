"""The case lifecycle: transitions, the paused clock, reopening, versions and bulk changes."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from followups import services
from followups.models import Ticket, TicketEvent
from tests.factories import SurveyFactory
from tests.followups.factories import office_calendar, open_case

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Paris


def at(hours: float):
    return time_machine.travel(T0 + timedelta(hours=hours), tick=False)


@pytest.fixture
def ticket(db):
    with at(0):
        return open_case(score=2, comment="Never arrived")


def _fields(ticket):
    return list(ticket.events.filter(kind="changed").values_list("field", "old_value", "new_value"))


def _kinds(ticket):
    return list(ticket.events.values_list("kind", flat=True))


def test_waiting_pauses_the_clock_and_a_reply_resumes_it_with_what_was_left(ticket, agent):
    assert ticket.first_contact_due_at == T0 + timedelta(hours=48)
    with at(1):
        services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="email", body="Which order was it?")
    with at(2):
        services.ticket_set_status(ticket=ticket, actor=agent, status="waiting")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.clock_paused_at) == ("waiting", T0 + timedelta(hours=2))
    # Paused: never overdue, whatever the time.
    assert not ticket.is_overdue(now=T0 + timedelta(hours=100))
    with at(30):
        services.ticket_customer_replied(ticket=ticket, body="Here is my order number")
    ticket.refresh_from_db()
    assert ticket.status == "contacted" and ticket.clock_paused_at is None
    assert ticket.first_contact_due_at == T0 + timedelta(hours=30 + 46)
    reply = ticket.events.get(kind="customer_replied")
    assert (reply.actor, reply.body) == (None, "Here is my order number")
    assert ("first_contact_due_at", (T0 + timedelta(hours=48)).isoformat(), (T0 + timedelta(hours=76)).isoformat()) in (
        _fields(ticket)
    )


def test_business_hours_clock_resumes_on_opening_hours(db, agent):
    survey = SurveyFactory(sla_clock="business_hours", first_contact_hours=8, business_calendar=office_calendar())
    with at(0):  # Monday 09:00 Paris: due Tuesday 10:00 (7 opening hours a day)
        ticket = open_case(score=1, survey=survey, invitation__survey=survey)
    assert ticket.first_contact_due_at == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    # Paused before waiting needed a first contact (Monday 17:00: 1 + 1 opening hours left).
    Ticket.objects.filter(id=ticket.id).update(status="waiting", clock_paused_at=T0 + timedelta(hours=8))
    with at(8 + 24 * 4):  # Friday 17:00: resumes, 1 hour today, 1 on Monday
        services.ticket_set_status(ticket=ticket, actor=agent, status="contacted")
    ticket.refresh_from_db()
    assert ticket.first_contact_due_at == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # Monday 10:00 Paris
    # Nobody ever contacted the customer: back to new, not contacted.
    assert ticket.status == "new" and ticket.first_contacted_at is None


def test_resolving_needs_an_outcome_and_freezes_the_time_to_resolution(ticket, agent):
    with at(5), pytest.raises(ValidationError) as error:
        services.ticket_set_status(ticket=ticket, actor=agent, status="resolved")
    assert "outcome" in error.value.message_dict
    with at(5):
        services.ticket_set_status(ticket=ticket, actor=agent, status="resolved", outcome="recovered", body="Refunded")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.outcome, ticket.resolved_at) == ("resolved", "recovered", T0 + timedelta(hours=5))
    assert ticket.minutes_to_resolution == 300
    assert ticket.events.filter(kind="note", body="Refunded").exists()


def test_close_then_reopen_goes_back_to_contacted_and_clears_the_resolution(ticket, agent):
    with at(1):
        services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="phone")
    with at(2):
        services.ticket_set_status(ticket=ticket, actor=agent, status="resolved", outcome="no_reply")
    with at(3):
        services.ticket_set_status(ticket=ticket, actor=agent, status="closed")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.closed_at) == ("closed", T0 + timedelta(hours=3))
    with at(4):
        services.ticket_set_status(ticket=ticket, actor=agent, status="contacted")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.outcome, ticket.resolved_at, ticket.closed_at) == ("contacted", "", None, None)
    assert ticket.minutes_to_resolution is None
    assert ticket.first_contacted_at == T0 + timedelta(hours=1)  # the first contact stays
    assert "reopened" in _kinds(ticket)
    assert ("status", "closed", "contacted") in _fields(ticket)


def test_reopening_a_never_contacted_case_makes_it_new_again(ticket, manager):
    services.ticket_set_status(ticket=ticket, actor=manager, status="closed", outcome="not_recoverable")
    services.ticket_set_status(ticket=ticket, actor=manager, status="contacted")
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_closing_an_open_case_resolves_it_too(ticket, agent):
    services.ticket_set_status(ticket=ticket, actor=agent, status="closed", outcome="not_recoverable")
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.resolved_at is not None and ticket.outcome == "not_recoverable"


@pytest.mark.parametrize(
    ("first", "then"),
    [("resolved", "waiting"), ("new", "contacted"), ("new", "bogus"), ("new", "new-ish")],
)
def test_forbidden_transitions_change_nothing(ticket, agent, first, then):
    if first == "resolved":
        services.ticket_set_status(ticket=ticket, actor=agent, status="resolved", outcome="recovered")
    version = Ticket.objects.get().version
    with pytest.raises(ValidationError):
        services.ticket_set_status(ticket=ticket, actor=agent, status=then)
    assert Ticket.objects.get().version == version


def test_outcome_only_goes_with_resolution(ticket, agent):
    with pytest.raises(ValidationError):
        services.ticket_set_status(ticket=ticket, actor=agent, status="waiting", outcome="recovered")


def test_every_change_bumps_the_version_and_a_stale_form_is_refused(ticket, agent, other_agent, manager):
    assert ticket.version == 1
    services.ticket_claim(ticket=ticket, actor=agent, expected_version=1)
    assert Ticket.objects.get().version == 2
    seen_by_bob = 2
    services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="email", expected_version=2)
    assert Ticket.objects.get().version == 3
    with pytest.raises(services.StaleTicket) as error:
        services.ticket_set_status(
            ticket=ticket, actor=manager, status="resolved", outcome="recovered", expected_version=seen_by_bob
        )
    assert "Someone else changed this case" in error.value.messages[0]
    assert isinstance(error.value, ValidationError)
    ticket.refresh_from_db()
    assert ticket.status == "contacted" and ticket.version == 3


def test_a_note_does_not_change_the_version(ticket, agent):
    services.ticket_add_note(ticket=ticket, actor=agent, body="Tried to call")
    assert Ticket.objects.get().version == 1


def test_first_contact_metrics_are_frozen_once(ticket, agent):
    with at(50):
        services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="phone", at=T0 + timedelta(hours=47))
    with at(60):
        services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="email")
    ticket.refresh_from_db()
    assert ticket.first_contacted_at == T0 + timedelta(hours=47)
    assert (ticket.minutes_to_first_contact, ticket.first_contact_met) == (47 * 60, True)
    assert ticket.contact_channel == "phone"


def test_a_late_first_contact_misses_the_deadline(ticket, agent):
    with at(49):
        services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="email")
    ticket.refresh_from_db()
    assert (ticket.minutes_to_first_contact, ticket.first_contact_met) == (49 * 60, False)


@pytest.mark.parametrize("hours", [-1, 10])
def test_a_logged_contact_cannot_be_before_the_answer_or_in_the_future(ticket, agent, hours):
    with at(5), pytest.raises(ValidationError):
        services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="phone", at=T0 + timedelta(hours=hours))


def test_contacting_a_waiting_case_resumes_its_clock(ticket, agent):
    # A case paused before waiting needed a first contact.
    Ticket.objects.filter(id=ticket.id).update(status="waiting", clock_paused_at=T0 + timedelta(hours=1))
    with at(11):
        services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="phone")
    ticket.refresh_from_db()
    assert ticket.clock_paused_at is None and ticket.status == "contacted"
    assert ticket.first_contact_due_at == T0 + timedelta(hours=11 + 47)
    assert ticket.first_contact_met is True


def test_a_reply_to_a_new_case_keeps_it_new_and_marks_it_unread(ticket, agent):
    services.ticket_customer_replied(ticket=ticket, body="Hello?")
    ticket = Ticket.objects.get()
    assert ticket.status == "new" and ticket.customer_reply_unread_at is not None
    assert ticket.events.filter(kind="customer_replied").count() == 1


@pytest.mark.parametrize("done", ["resolved", "closed"])
def test_a_reply_to_a_resolved_or_closed_case_reopens_it(ticket, agent, done):
    services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="phone")
    services.ticket_set_status(ticket=ticket, actor=agent, status=done, outcome="recovered")
    services.ticket_customer_replied(ticket=ticket, body="It broke again")
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.outcome, ticket.resolved_at, ticket.closed_at) == ("contacted", "", None, None)
    assert ticket.customer_reply_unread_at is not None
    reopened = ticket.events.get(kind="reopened")
    assert (reopened.actor, reopened.new_value) == (None, "customer_reply")


def test_opening_the_case_marks_the_reply_read_once(ticket, agent):
    services.ticket_customer_replied(ticket=ticket, body="Hello?")
    version = Ticket.objects.get().version
    assert services.ticket_mark_reply_read(ticket=Ticket.objects.get(), actor=agent) is True
    assert services.ticket_mark_reply_read(ticket=ticket, actor=agent) is False
    ticket = Ticket.objects.get()
    assert ticket.customer_reply_unread_at is None and ticket.version == version
    assert ticket.events.filter(kind="reply_read", actor=agent).count() == 1


def test_only_a_manager_takes_a_case_someone_else_holds(ticket, agent, other_agent, manager):
    services.ticket_claim(ticket=ticket, actor=agent)
    with pytest.raises(ValidationError):
        services.ticket_claim(ticket=ticket, actor=other_agent)
    services.ticket_assign(ticket=ticket, actor=agent, assignee=other_agent)  # the holder hands it over
    services.ticket_assign(ticket=ticket, actor=manager, assignee=agent)
    assert Ticket.objects.get().assignee == agent


def test_a_case_cannot_go_to_someone_without_a_role(ticket, manager, outsider):
    with pytest.raises(ValidationError):
        services.ticket_assign(ticket=ticket, actor=manager, assignee=outsider)


# --- Bulk ---------------------------------------------------------------------------------------


def test_bulk_change_needs_cases(db, manager):
    with pytest.raises(ValidationError, match="Select at least one case."):
        services.tickets_bulk_change(tickets=[], actor=manager, status="waiting")


def test_bulk_change_goes_through_the_single_case_services(db, manager, agent):
    cases = [open_case(score=score) for score in (1, 4, 5)]
    services.ticket_assign(ticket=cases[2], actor=manager, assignee=agent)
    for case in cases:
        services.ticket_mark_contacted(ticket=case, actor=manager, channel="phone")
    services.ticket_set_status(ticket=cases[2], actor=manager, status="waiting")
    changed = services.tickets_bulk_change(
        tickets=Ticket.objects.all(), actor=manager, assignee=agent, status="waiting"
    )
    assert changed == 2
    for case in cases[:2]:
        case.refresh_from_db()
        assert (case.assignee, case.status, case.clock_paused_at is not None) == (agent, "waiting", True)
        changes = {
            (e.actor, e.field)
            for e in case.events.filter(kind="changed", field__in=["status", "clock_paused_at", "assignee"])
        }
        assert changes == {(manager, "assignee"), (manager, "status"), (manager, "clock_paused_at")}
        assert case.events.filter(kind="waiting", actor=manager).count() == 1


def test_bulk_change_is_all_or_nothing(db, manager, agent):
    fine = open_case(score=3)
    services.ticket_mark_contacted(ticket=fine, actor=manager, channel="phone")
    resolved = open_case(score=3)
    services.ticket_set_status(ticket=resolved, actor=manager, status="resolved", outcome="recovered")
    events = TicketEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        services.tickets_bulk_change(tickets=[fine, resolved], actor=manager, status="waiting")
    assert resolved.reference in error.value.messages[0]
    fine.refresh_from_db()
    assert fine.status == "contacted" and TicketEvent.objects.count() == events


def test_bulk_unassign_is_not_the_same_as_leaving_the_assignee(db, manager, agent):
    case = open_case(score=3)
    services.ticket_assign(ticket=case, actor=manager, assignee=agent)
    assert services.tickets_bulk_change(tickets=[case], actor=manager, status="resolved", outcome="recovered") == 1
    assert Ticket.objects.get().assignee == agent
    assert services.tickets_bulk_change(tickets=[case], actor=manager, assignee=None) == 1
    assert Ticket.objects.get().assignee is None


# --- The REST API goes through the same lifecycle -----------------------------------------------


@pytest.fixture
def api(admin_user):
    from django.core.cache import cache
    from rest_framework.test import APIClient

    from integrations.choices import TokenScope
    from integrations.services import api_token_create

    cache.clear()
    client = APIClient()
    key = api_token_create(name="CRM sync", scope=TokenScope.WRITE, created_by=admin_user)[1]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def _api_url(ticket):
    from django.urls import reverse

    return reverse("api:case", args=[ticket.public_id])


def test_api_pauses_closes_and_reopens_a_case(api, ticket):
    reply = api.patch(_api_url(ticket), {"status": "contacted", "channel": "phone"}, "json")
    reply = api.patch(_api_url(ticket), {"status": "waiting"}, "json")
    assert reply.status_code == 200
    assert reply.json()["status"] == "waiting" and reply.json()["clock_paused_at"] is not None
    reply = api.patch(_api_url(ticket), {"status": "closed", "outcome": "no_reply"}, "json")
    assert (reply.json()["status"], reply.json()["outcome"]) == ("closed", "no_reply")
    assert reply.json()["closed_at"] is not None and reply.json()["clock_paused_at"] is None
    reply = api.patch(_api_url(ticket), {"status": "contacted"}, "json")
    assert reply.json()["status"] == "contacted" and not reply.json()["outcome"]
    assert "reopened" in [event["kind"] for event in reply.json()["events"]]


def test_api_refuses_a_change_made_on_an_old_version(api, ticket, agent):
    services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="phone")
    version = api.get(_api_url(ticket)).json()["version"]
    services.ticket_assign(ticket=ticket, actor=agent, assignee=None)
    reply = api.patch(_api_url(ticket), {"status": "waiting", "version": version}, "json")
    assert reply.status_code == 409
    assert "Someone else changed this case" in reply.json()["detail"]
    assert Ticket.objects.get().status == "contacted"
    reply = api.patch(_api_url(ticket), {"status": "waiting", "version": version + 1}, "json")
    assert reply.status_code == 200 and reply.json()["version"] == version + 2


# --- Waiting on the customer only after a first contact, on every path ---------------------------


def test_a_new_case_cannot_wait_on_the_customer(ticket, agent):
    with pytest.raises(ValidationError, match="only after a first contact"):
        services.ticket_set_status(ticket=ticket, actor=agent, status="waiting")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.clock_paused_at) == ("new", None)


def test_a_reopened_never_contacted_case_cannot_wait_either(ticket, agent):
    services.ticket_set_status(ticket=ticket, actor=agent, status="resolved", outcome="no_reply")
    services.ticket_set_status(ticket=ticket, actor=agent, status="contacted")  # reopens, as new
    with pytest.raises(ValidationError):
        services.ticket_set_status(ticket=ticket, actor=agent, status="waiting")


def test_bulk_waiting_refuses_a_never_contacted_case_and_changes_nothing(db, manager):
    contacted, new = open_case(score=3), open_case(score=4)
    services.ticket_mark_contacted(ticket=contacted, actor=manager, channel="phone")
    with pytest.raises(ValidationError, match=new.reference):
        services.tickets_bulk_change(tickets=[contacted, new], actor=manager, status="waiting")
    assert set(Ticket.objects.values_list("status", flat=True)) == {"contacted", "new"}
    assert not Ticket.objects.filter(clock_paused_at__isnull=False).exists()


def test_the_inbox_bulk_form_refuses_waiting_on_a_new_case(client, manager):
    from django.urls import reverse

    case = open_case(score=3)
    client.force_login(manager)
    reply = client.post(reverse("followups:inbox"), {"tickets": [str(case.public_id)], "status": "waiting"})
    assert reply.status_code == 302
    assert Ticket.objects.get().status == "new"


def test_the_case_page_refuses_waiting_on_a_new_case(client, agent, ticket):
    from django.urls import reverse

    client.force_login(agent)
    reply = client.post(
        reverse("followups:ticket", args=[ticket.public_id]),
        {"action": "status", "version": ticket.version, "status": "waiting"},
    )
    assert reply.status_code == 400
    assert Ticket.objects.get().status == "new"


def test_the_api_refuses_waiting_on_a_new_case(api, ticket):
    reply = api.patch(_api_url(ticket), {"status": "waiting"}, "json")
    assert reply.status_code == 400
    assert "first contact" in reply.json()["status"][0]
    assert Ticket.objects.get().status == "new"


def test_the_admin_cannot_change_a_case_status(admin_client, ticket):
    from django.urls import reverse

    url = reverse("admin:followups_ticket_change", args=[ticket.pk])
    admin_client.post(url, {"status": "waiting", "clock_paused_at_0": "2026-03-02", "clock_paused_at_1": "10:00"})
    assert Ticket.objects.get().status == "new"


def test_api_and_page_resolve_follow_the_same_rules(api, ticket, agent, client):
    """Resolving a closed case is refused, and resolving a resolved case again changes nothing, on both."""
    from django.urls import reverse

    services.ticket_set_status(ticket=ticket, actor=agent, status="closed", outcome="no_reply")
    reply = api.patch(_api_url(ticket), {"status": "resolved", "outcome": "recovered"}, "json")
    assert reply.status_code == 400
    client.force_login(agent)
    ticket.refresh_from_db()
    page = client.post(
        reverse("followups:ticket", args=[ticket.public_id]),
        {"action": "status", "version": ticket.version, "status": "resolved", "outcome": "recovered"},
    )
    assert page.status_code == 400
    assert Ticket.objects.get().status == "closed"
