from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followups import services
from followups.choices import EventKind, TicketStatus
from followups.models import Ticket, TicketEvent
from tests.factories import ResponseFactory, SurveyFactory

CASES = reverse("api:cases")


def _ticket(score=2, **response_kwargs) -> Ticket:
    return services.ticket_open_for_response(response=ResponseFactory(score=score, **response_kwargs))


def _url(ticket, name="api:case"):
    return reverse(name, args=[ticket.public_id])


def _refs(reply) -> list[str]:
    return [row["public_id"] for row in reply.json()["results"]]


def test_cases_by_first_contact_deadline(api):
    now = timezone.now()
    later = _ticket(submitted_at=now - timedelta(hours=1))
    sooner = _ticket(submitted_at=now - timedelta(hours=30))
    reply = api.get(CASES)
    assert reply.status_code == 200
    assert reply.json()["count"] == 2
    assert _refs(reply) == [str(sooner.public_id), str(later.public_id)]
    row = reply.json()["results"][0]
    assert (row["status"], row["score"], row["customer"]) == ("new", 2, sooner.customer.external_id)
    assert row["response"] == str(sooner.response.public_id)


def test_case_filters(api, agent):
    now = timezone.now()
    overdue = _ticket(submitted_at=now - timedelta(days=5))
    mine = _ticket()
    services.ticket_assign(ticket=mine, actor=agent, assignee=agent)
    resolved = _ticket()
    services.ticket_resolve(ticket=resolved, actor=agent, outcome="recovered")
    other_survey = SurveyFactory()
    elsewhere = _ticket(survey=other_survey, invitation__survey=other_survey)
    assert _refs(api.get(CASES, {"overdue": "true"})) == [str(overdue.public_id)]
    assert str(overdue.public_id) not in _refs(api.get(CASES, {"overdue": "false"}))
    assert _refs(api.get(CASES, {"assignee": "alice"})) == [str(mine.public_id)]
    assert _refs(api.get(CASES, {"status": "resolved"})) == [str(resolved.public_id)]
    assert _refs(api.get(CASES, {"survey": str(other_survey.public_id)})) == [str(elsewhere.public_id)]


@pytest.mark.parametrize("query", [{"status": "lost"}, {"overdue": "perhaps"}, {"survey": "x"}])
def test_bad_case_filters_are_400(api, query):
    reply = api.get(CASES, query)
    assert reply.status_code == 400
    assert list(reply.json()) == list(query)


def test_case_list_queries_do_not_grow_with_rows(api, agent, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            services.ticket_assign(ticket=_ticket(), actor=agent, assignee=agent)

    add(2)
    api.get(CASES)  # the first use of the token records it
    with django_assert_num_queries(3):  # the token, the count, the page
        api.get(CASES)
    add(8)
    with django_assert_num_queries(3):
        assert len(api.get(CASES).json()["results"]) == 10


def test_read_a_case_with_its_timeline(api, agent):
    ticket = _ticket()
    services.ticket_add_note(ticket=ticket, actor=agent, body="Called, no answer")
    reply = api.get(_url(ticket))
    assert reply.status_code == 200
    events = reply.json()["events"]
    assert [(e["kind"], e["actor"], e["body"]) for e in events] == [
        ("opened", None, ""),
        ("note", "alice", "Called, no answer"),
    ]


def test_unknown_case_is_json_404(api):
    reply = api.get(reverse("api:case", args=["6f1c1c1c-0000-4000-8000-000000000000"]))
    assert reply.status_code == 404
    assert reply.json()["detail"]
    assert api.patch(reverse("api:case", args=["6f1c1c1c-0000-4000-8000-000000000000"]), {}, "json").status_code == 404


def test_assigning_a_case_writes_its_event_attributed_to_the_token_creator(api, agent, admin_user):
    ticket = _ticket()
    reply = api.patch(_url(ticket), {"assignee": "alice"}, "json")
    assert reply.status_code == 200
    assert reply.json()["assignee"] == "alice"
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.FIELD_CHANGED)
    assert (event.field, event.new_value, event.actor) == ("assignee", "alice", admin_user)
    reply = api.patch(_url(ticket), {"assignee": None}, "json")
    assert reply.json()["assignee"] is None


def test_marking_contacted_stops_the_clock_and_writes_events(api):
    ticket = _ticket()
    reply = api.patch(_url(ticket), {"status": "contacted", "channel": "phone", "body": "Apologised"}, "json")
    assert reply.status_code == 200
    body = reply.json()
    assert (body["status"], body["contact_channel"]) == ("contacted", "phone")
    assert body["first_contacted_at"] is not None
    contact = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CONTACTED)
    assert (contact.new_value, contact.body) == ("phone", "Apologised")
    assert any(e["kind"] == "contacted" for e in body["events"])


def test_contacted_defaults_to_email(api):
    ticket = _ticket()
    assert api.patch(_url(ticket), {"status": "contacted"}, "json").json()["contact_channel"] == "email"


def test_resolving_needs_an_outcome(api):
    ticket = _ticket()
    reply = api.patch(_url(ticket), {"status": "resolved"}, "json")
    assert reply.status_code == 400
    assert reply.json()["outcome"]
    reply = api.patch(_url(ticket), {"status": "resolved", "outcome": "recovered"}, "json")
    assert reply.status_code == 200
    assert (reply.json()["status"], reply.json()["outcome"]) == ("resolved", "recovered")
    assert TicketEvent.objects.filter(ticket=ticket, field="status", new_value="resolved").exists()


def test_a_refused_change_changes_nothing(api, agent):
    ticket = _ticket()
    services.ticket_resolve(ticket=ticket, actor=agent, outcome="recovered")
    events_before = ticket.events.count()
    reply = api.patch(_url(ticket), {"assignee": "alice", "status": "resolved", "outcome": "no_reply"}, "json")
    assert reply.status_code == 400
    assert "resolved" in reply.json()["non_field_errors"][0]
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.outcome, ticket.events.count()) == (None, "recovered", events_before)


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "non_field_errors"),
        ({"assignee": "nobody"}, "assignee"),
        ({"assignee": "olivier"}, "assignee"),  # a user who cannot work cases
        ({"status": "deleted"}, "status"),
        ({"status": "contacted", "channel": "pigeon"}, "channel"),
        ({"status": "contacted", "outcome": "recovered"}, "outcome"),
        ({"assignee": "alice", "body": "hello"}, "body"),
    ],
)
def test_bad_case_changes_get_field_messages(api, agent, outsider, body, field):
    ticket = _ticket()
    reply = api.patch(_url(ticket), body, "json")
    assert reply.status_code == 400
    assert field in reply.json()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (TicketStatus.NEW, None)


def test_add_a_note(api, admin_user):
    ticket = _ticket()
    reply = api.post(_url(ticket, "api:case-notes"), {"body": "  Will call back Monday  "}, "json")
    assert reply.status_code == 201
    assert (reply.json()["kind"], reply.json()["body"], reply.json()["actor"]) == (
        "note",
        "Will call back Monday",
        "root",
    )
    assert TicketEvent.objects.get(ticket=ticket, kind=EventKind.NOTE).actor == admin_user


@pytest.mark.parametrize("body", [{}, {"body": "   "}, {"body": "x" * 10_001}])
def test_a_bad_note_is_refused(api, body):
    ticket = _ticket()
    reply = api.post(_url(ticket, "api:case-notes"), body, "json")
    assert reply.status_code == 400
    assert reply.json()["body"]
    assert not TicketEvent.objects.filter(kind=EventKind.NOTE).exists()


def test_a_read_token_cannot_change_a_case(read_api):
    ticket = _ticket()
    assert read_api.patch(_url(ticket), {"status": "contacted"}, "json").status_code == 403
    assert read_api.post(_url(ticket, "api:case-notes"), {"body": "hi"}, "json").status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW
