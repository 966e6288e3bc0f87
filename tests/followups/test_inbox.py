"""The inbox changelist: filters in the URL, search, sort, pagination, bulk changes, query count."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from followups import selectors, services
from followups.models import Team, Ticket, TicketEvent
from followups.views import PAGE_SIZE
from tests.factories import CustomerFactory, ResponseFactory, SurveyFactory

INBOX = reverse("followups:inbox")


def _ticket(score=2, comment="Broken", hours_ago=1, **response_kwargs):
    response = ResponseFactory(
        score=score, comment=comment, submitted_at=timezone.now() - timedelta(hours=hours_ago), **response_kwargs
    )
    return services.ticket_open_for_response(response=response)


def _ids(client, **params):
    reply = client.get(INBOX, params)
    assert reply.status_code == 200
    return [t.id for t in reply.context["page"]]


def _messages(reply) -> list[str]:
    return [str(m) for m in get_messages(reply.wsgi_request)]


@pytest.fixture
def cases(agent, other_agent):
    """Six cases, each picked out by one filter; the deadlines run from overdue to in two days."""
    support = Team.objects.create(name="Support")
    support.members.add(agent)
    overdue = _ticket(comment="overdue parcel", hours_ago=50)
    due_soon = _ticket(score=5, comment="due soon", hours_ago=46)
    mine = _ticket(score=6, comment="mine", hours_ago=30)
    services.ticket_claim(ticket=mine, actor=agent)
    theirs = _ticket(score=6, comment="theirs", hours_ago=20)
    services.ticket_claim(ticket=theirs, actor=other_agent)
    in_team = _ticket(score=5, comment="team case", hours_ago=10, survey=SurveyFactory(name="Store"))
    Ticket.objects.filter(id=in_team.id).update(team=support)
    resolved = _ticket(score=4, comment="resolved one", hours_ago=5)
    services.ticket_set_status(ticket=resolved, actor=agent, status="resolved", outcome="recovered")
    return {
        "overdue": overdue,
        "due_soon": due_soon,
        "mine": mine,
        "theirs": theirs,
        "in_team": in_team,
        "resolved": resolved,
        "team": support,
    }


def test_default_is_open_cases_by_deadline(client, agent, cases):
    client.force_login(agent)
    c = cases
    assert _ids(client) == [c[k].id for k in ("overdue", "due_soon", "mine", "theirs", "in_team")]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"mine": "1"}, ["mine"]),
        ({"unassigned": "1"}, ["overdue", "due_soon", "in_team"]),
        ({"overdue": "1"}, ["overdue"]),
        ({"due_soon": "1"}, ["due_soon"]),
        ({"critical": "1"}, ["overdue"]),
        ({"status": "resolved"}, ["resolved"]),
        ({"status": "any", "critical": "1"}, ["overdue"]),
        ({"status": "new", "unassigned": "1", "critical": "1"}, ["overdue"]),
        ({"q": "PARCEL"}, ["overdue"]),
    ],
)
def test_each_filter(client, agent, cases, params, expected):
    client.force_login(agent)
    assert _ids(client, **params) == [cases[k].id for k in expected]


def test_a_case_waiting_on_the_customer_is_neither_due_soon_nor_overdue(client, agent, cases):
    """Its clock is stopped: the deadline it had does not run out meanwhile."""
    for key in ("overdue", "due_soon"):
        Ticket.objects.filter(id=cases[key].id).update(status="waiting", clock_paused_at=timezone.now())
    client.force_login(agent)
    assert _ids(client, due_soon="1") == []
    assert _ids(client, overdue="1") == []


def test_survey_and_team_filters(client, agent, cases):
    client.force_login(agent)
    in_team = cases["in_team"]
    assert _ids(client, survey=str(in_team.survey.public_id)) == [in_team.id]
    assert _ids(client, team=str(cases["team"].id)) == [in_team.id]


def test_search_finds_customer_name_and_email_and_needs_every_word(client, agent):
    jeanne = CustomerFactory(first_name="Jeanne", last_name="Moreau", email="jm@example.org")
    ticket = _ticket(customer=jeanne, invitation__customer=jeanne, comment="late")
    _ticket(comment="Jeanne called about a lamp")
    client.force_login(agent)
    assert _ids(client, q="jeanne moreau") == [ticket.id]
    assert _ids(client, q="jm@example") == [ticket.id]
    assert len(_ids(client, q="jeanne")) == 2


def test_sort_by_customer_value_then_tenure(client, agent):
    def case_for(spend, since):
        customer = CustomerFactory(total_spend=Decimal(spend), customer_since=since)
        return _ticket(customer=customer, invitation__customer=customer)

    small = case_for("10.00", date(2015, 1, 1))
    big_new = case_for("900.00", date(2024, 1, 1))
    big_old = case_for("900.00", date(2010, 1, 1))
    anonymous = _ticket(invitation=None, customer=None, survey=small.survey)
    client.force_login(agent)
    assert _ids(client, sort="value") == [big_old.id, big_new.id, small.id, anonymous.id]
    assert _ids(client, sort="newest")[0] == anonymous.id


def test_value_sort_pages_run_from_the_customers_into_the_anonymous_cases(
    client, agent, monkeypatch, django_assert_num_queries
):
    """The value sort reads the cases of known customers and those without one apart (so PostgreSQL
    can walk the customers' value index): the pages still follow one order, and only the page where
    the customers' cases end reads both (one query more)."""
    from followups import views

    def case_for(customer, hours_ago):
        return _ticket(hours_ago=hours_ago, customer=customer, invitation__customer=customer)

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    same = {"total_spend": Decimal("500.00"), "customer_since": date(2018, 1, 1)}
    tie_late = case_for(CustomerFactory(**same), 1)
    tie_early = case_for(CustomerFactory(**same), 20)
    no_tenure = case_for(CustomerFactory(total_spend=Decimal("500.00"), customer_since=None), 1)
    anonymous_late = _ticket(hours_ago=2, invitation=None, customer=None, survey=tie_late.survey)
    anonymous_early = _ticket(hours_ago=30, invitation=None, customer=None, survey=tie_late.survey)
    expected = [tie_early.id, tie_late.id, no_tenure.id, anonymous_early.id, anonymous_late.id]
    client.force_login(agent)
    client.get(INBOX, {"sort": "value"})
    pages = []
    for number, queries in ((1, 8), (2, 9), (3, 8)):
        with django_assert_num_queries(queries):
            reply = client.get(INBOX, {"sort": "value", "page": number})
        assert reply.context["page"].paginator.count == 5
        pages.append([t.id for t in reply.context["page"]])
    assert pages == [expected[0:2], expected[2:4], expected[4:5]]
    # The same order as one ORDER BY over every case.
    assert list(Ticket.objects.order_by(*selectors.INBOX_SORTS["value"]).values_list("id", flat=True)) == expected


def test_unknown_filter_values_are_ignored_with_a_message(client, agent, cases):
    client.force_login(agent)
    reply = client.get(
        INBOX, {"status": "bogus", "mine": "yes", "survey": "not-a-uuid", "team": "999", "sort": "x", "page": "zz"}
    )
    assert reply.status_code == 200
    assert len(reply.context["page"].object_list) == 5
    (message,) = _messages(reply)
    assert "not understood" in message and "Status" in message and "Sort by" in message


def test_pagination_keeps_the_filters(client, agent):
    for _ in range(PAGE_SIZE + 1):
        _ticket(comment="many words")
    client.force_login(agent)
    reply = client.get(INBOX, {"unassigned": "1", "q": "many words"})
    html = reply.content.decode()
    assert reply.context["page"].paginator.num_pages == 2
    assert 'href="?unassigned=1&amp;q=many+words&amp;page=2"' in html
    assert len(_ids(client, unassigned="1", q="many words", page="2")) == 1


def test_counts_in_the_headings(client, agent, cases):
    client.force_login(agent)
    reply = client.get(INBOX)
    assert reply.context["counts"] == {
        "open": 5,
        "mine": 1,
        "unassigned": 3,
        "overdue": 1,
        "due_soon": 1,
        "replied": 0,
    }
    html = reply.content.decode()
    assert "(5 open cases)" in html and "5 cases match" in html


class TestBulk:
    def test_nothing_selected_changes_nothing(self, client, agent, cases):
        client.force_login(agent)
        events = TicketEvent.objects.count()
        reply = client.post(INBOX, {"assignee": "me", "next": "?mine=1"})
        assert reply.status_code == 302 and reply.url == INBOX + "?mine=1"
        assert "No case was selected" in _messages(reply)[0]
        assert TicketEvent.objects.count() == events

    def test_claim_and_resolve_several_cases(self, client, agent, cases):
        client.force_login(agent)
        picked = [cases["overdue"], cases["due_soon"]]
        reply = client.post(
            INBOX,
            {
                "tickets": [str(t.public_id) for t in picked],
                "assignee": "me",
                "status": "resolved",
                "outcome": "recovered",
            },
        )
        assert reply.status_code == 302
        assert "2 cases changed." in _messages(reply)
        for ticket in picked:
            ticket.refresh_from_db()
            assert (ticket.assignee, ticket.status, ticket.outcome) == (agent, "resolved", "recovered")
            # Through the services: the audit trail is there.
            assert ticket.events.filter(field="status", actor=agent).exists()

    def test_resolving_without_outcome_changes_nothing(self, client, agent, cases):
        client.force_login(agent)
        reply = client.post(INBOX, {"tickets": [str(cases["overdue"].public_id)], "status": "resolved"})
        assert "outcome" in _messages(reply)[0]
        cases["overdue"].refresh_from_db()
        assert cases["overdue"].status == "new"

    def test_a_service_refusal_changes_nothing_at_all(self, client, agent, cases):
        client.force_login(agent)
        # An agent cannot take a case a colleague holds: the whole change is refused.
        reply = client.post(
            INBOX, {"tickets": [str(cases["overdue"].public_id), str(cases["theirs"].public_id)], "assignee": "me"}
        )
        assert "Nothing was changed" in _messages(reply)[0]
        cases["overdue"].refresh_from_db()
        assert cases["overdue"].assignee is None

    def test_a_case_of_another_team_cannot_be_changed(self, client, agent, other_agent):
        sales = Team.objects.create(name="Sales")
        sales.members.add(other_agent)
        hidden = _ticket()
        Ticket.objects.filter(id=hidden.id).update(team=sales)
        client.force_login(agent)
        reply = client.post(INBOX, {"tickets": [str(hidden.public_id)], "assignee": "me"})
        assert "Nothing was changed" in _messages(reply)[0]
        hidden.refresh_from_db()
        assert hidden.assignee is None

    def test_a_malformed_case_id_changes_nothing(self, client, agent, cases):
        client.force_login(agent)
        reply = client.post(INBOX, {"tickets": ["not-a-uuid", str(cases["overdue"].public_id)], "assignee": "me"})
        assert reply.status_code == 302
        assert "Nothing was changed" in _messages(reply)[0]
        cases["overdue"].refresh_from_db()
        assert cases["overdue"].assignee is None

    def test_managers_assign_to_someone_else(self, client, manager, other_agent, cases):
        client.force_login(manager)
        reply = client.post(INBOX, {"tickets": [str(cases["overdue"].public_id)], "assignee": str(other_agent.pk)})
        assert "1 case changed." in _messages(reply)
        cases["overdue"].refresh_from_db()
        assert cases["overdue"].assignee == other_agent


def test_inbox_query_count_is_constant(client, agent, django_assert_num_queries):
    team = Team.objects.create(name="Support")
    team.members.add(agent)
    client.force_login(agent)
    client.get(INBOX)

    def make(n):
        for i in range(n):
            customer = CustomerFactory()
            ticket = _ticket(customer=customer, invitation__customer=customer)
            Ticket.objects.filter(id=ticket.id).update(team=team if i % 2 else None)
            if i % 3 == 0:
                services.ticket_claim(ticket=ticket, actor=agent)

    # session, user, roles; teams and surveys (the filter choices); counts; count and page.
    make(3)
    with django_assert_num_queries(8):
        client.get(INBOX, {"sort": "value"})
    make(27)
    with django_assert_num_queries(8):
        reply = client.get(INBOX, {"sort": "value"})
    assert len(reply.context["page"].object_list) == PAGE_SIZE  # a full page; the 30 cases go over it
    # The default deadline sort and the replied filter cost no extra query either.
    with django_assert_num_queries(8):
        client.get(INBOX)
    for ticket in Ticket.objects.all()[:3]:
        services.ticket_customer_replied(ticket=ticket, body="Any news?")
    with django_assert_num_queries(8):
        reply = client.get(INBOX, {"replied": "1"})
    assert len(reply.context["page"].object_list) == 3


def test_deadline_sort_puts_cases_awaiting_a_first_contact_first(client, agent):
    contacted_early = _ticket(hours_ago=47)  # its deadline is the earliest, but it was contacted
    services.ticket_mark_contacted(ticket=contacted_early, actor=agent, channel="phone")
    later = _ticket(hours_ago=10)
    sooner = _ticket(hours_ago=30)
    contacted_late = _ticket(hours_ago=5)
    services.ticket_mark_contacted(ticket=contacted_late, actor=agent, channel="phone")
    client.force_login(agent)
    expected = [sooner.id, later.id, contacted_early.id, contacted_late.id]
    assert _ids(client) == expected
    assert _ids(client, sort="deadline") == expected
