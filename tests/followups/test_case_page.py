"""Working a case from its page: claim, reassign, notes, phone calls, status changes, stale forms."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from followups import services
from followups.models import Team, Ticket
from tests.factories import ResponseFactory


def _ticket(score=2, comment="Broken", **response_kwargs):
    response_kwargs.setdefault("submitted_at", timezone.now() - timedelta(hours=1))
    return services.ticket_open_for_response(response=ResponseFactory(score=score, comment=comment, **response_kwargs))


def _contacted_ticket(actor, **kwargs):
    ticket = _ticket(**kwargs)
    services.ticket_mark_contacted(ticket=ticket, actor=actor, channel="phone")
    return ticket


def _url(ticket):
    return reverse("followups:ticket", args=[ticket.public_id])


def _messages(reply) -> list[str]:
    return [str(m) for m in get_messages(reply.wsgi_request)]


def _post(client, ticket, action, **data):
    ticket.refresh_from_db()
    return client.post(_url(ticket), {"action": action, "version": ticket.version, **data})


def test_agent_works_a_case_from_claim_to_resolution(client, agent):
    ticket = _ticket()
    client.force_login(agent)
    assert _post(client, ticket, "claim").status_code == 302
    assert _post(client, ticket, "note", body="Customer is a VIP").status_code == 302
    assert _post(client, ticket, "phone", body="Called, promised a refund").status_code == 302
    assert _post(client, ticket, "status", status="waiting").status_code == 302
    assert _post(client, ticket, "status", status="resolved", outcome="recovered", body="Refunded").status_code == 302
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status, ticket.outcome) == (agent, "resolved", "recovered")
    assert ticket.contact_channel == "phone" and ticket.first_contact_met is True
    contact = ticket.events.get(kind="contacted")
    assert (contact.new_value, contact.body) == ("phone", "Called, promised a refund")
    html = client.get(_url(ticket)).content.decode()
    assert "Customer is a VIP" in html and "Contacted by phone" in html and "Refunded" in html


def test_close_and_reopen(client, agent):
    ticket = _ticket()
    client.force_login(agent)
    reply = _post(client, ticket, "status", status="closed")
    assert reply.status_code == 400
    assert "Choose the outcome" in reply.content.decode()
    assert _post(client, ticket, "status", status="closed", outcome="no_reply").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    page = client.get(_url(ticket)).content.decode()
    assert '<option value="reopen">Reopen</option>' in page and 'id="form-phone"' not in page
    assert _post(client, ticket, "status", status="reopen").status_code == 302
    ticket.refresh_from_db()
    # Never contacted: back to new, with its outcome cleared.
    assert (ticket.status, ticket.outcome) == ("new", "")
    assert ticket.events.filter(kind="reopened").exists()


def test_phone_call_needs_what_was_said(client, agent):
    ticket = _ticket()
    client.force_login(agent)
    reply = _post(client, ticket, "phone", body="  ")
    assert reply.status_code == 400
    assert "Say what was said" in reply.content.decode()
    ticket.refresh_from_db()
    assert ticket.first_contacted_at is None


def test_empty_note_is_refused_with_a_message(client, agent):
    ticket = _ticket()
    client.force_login(agent)
    reply = _post(client, ticket, "note", body="  ")
    assert reply.status_code == 400
    assert "Write something" in reply.content.decode()
    assert not ticket.events.filter(kind="note").exists()


def test_resolve_without_outcome_keeps_the_typed_note(client, agent):
    ticket = _ticket()
    client.force_login(agent)
    reply = _post(client, ticket, "status", status="resolved", outcome="", body="Refund issued")
    assert reply.status_code == 400
    assert "Refund issued" in reply.content.decode()
    assert Ticket.objects.get().status == "new"


def test_reopening_an_open_case_is_refused(client, agent):
    ticket = _ticket()
    client.force_login(agent)
    reply = _post(client, ticket, "status", status="reopen")
    assert reply.status_code == 400
    assert "nothing to reopen" in reply.content.decode()


def test_a_service_refusal_is_shown_on_the_form(client, agent):
    ticket = _contacted_ticket(agent)
    services.ticket_set_status(ticket=ticket, actor=agent, status="resolved", outcome="recovered")
    client.force_login(agent)
    reply = _post(client, ticket, "status", status="waiting", body="Waiting for photos")
    assert reply.status_code == 400
    html = reply.content.decode()
    assert "cannot become" in html and "Waiting for photos" in html
    assert Ticket.objects.get().status == "resolved"


class TestStaleForms:
    def test_a_stale_status_change_keeps_the_typed_note_and_shows_the_latest_case(self, client, agent, manager):
        ticket = _contacted_ticket(agent)
        client.force_login(agent)
        seen_version = ticket.version
        # A colleague takes the case meanwhile.
        services.ticket_assign(ticket=ticket, actor=manager, assignee=manager)
        reply = client.post(
            _url(ticket),
            {"action": "status", "version": seen_version, "status": "waiting", "body": "Asked for photos"},
        )
        assert reply.status_code == 409
        html = reply.content.decode()
        assert "Someone else changed this case" in html
        assert "Asked for photos" in html
        assert "Maria" in html  # the latest case: its new assignee
        ticket.refresh_from_db()
        assert ticket.status == "contacted"
        # The re-rendered form carries the latest version: sending it again works.
        assert f'name="version" value="{ticket.version}"' in html
        again = client.post(
            _url(ticket), {"action": "status", "version": ticket.version, "status": "waiting", "body": "Asked"}
        )
        assert again.status_code == 302

    @pytest.mark.parametrize(("action", "data"), [("claim", {}), ("phone", {"body": "Called her back"})])
    def test_other_stale_actions_change_nothing(self, client, agent, manager, action, data):
        ticket = _ticket()
        seen_version = ticket.version
        services.ticket_assign(ticket=ticket, actor=manager, assignee=manager)
        client.force_login(agent)
        reply = client.post(_url(ticket), {"action": action, "version": seen_version, **data})
        assert reply.status_code == 409
        for text in data.values():
            assert text in reply.content.decode()
        ticket.refresh_from_db()
        assert (ticket.assignee, ticket.first_contacted_at) == (manager, None)


class TestReassign:
    def test_managers_pick_among_the_teams_agents(self, client, manager, agent, other_agent):
        team = Team.objects.create(name="Support")
        team.members.add(agent)
        ticket = _ticket()
        Ticket.objects.filter(id=ticket.id).update(team=team)
        client.force_login(manager)
        page = client.get(_url(ticket))
        choices = [label for _value, label in page.context["forms"]["assign"].fields["assignee"].choices]
        assert choices == ["Nobody (unassigned)", "Alice"]
        assert _post(client, ticket, "assign", assignee=other_agent.pk).status_code == 400
        assert _post(client, ticket, "assign", assignee=agent.pk).status_code == 302
        ticket.refresh_from_db()
        assert ticket.assignee == agent

    def test_an_agent_cannot_claim_a_colleagues_case(self, client, agent, other_agent):
        ticket = _ticket()
        services.ticket_claim(ticket=ticket, actor=other_agent)
        client.force_login(agent)
        reply = _post(client, ticket, "claim")
        assert reply.status_code == 400
        assert "only a manager can reassign" in reply.content.decode()
        ticket.refresh_from_db()
        assert ticket.assignee == other_agent

    def test_agents_cannot_reassign(self, client, agent, other_agent):
        ticket = _ticket()
        client.force_login(agent)
        assert "form-assign" not in client.get(_url(ticket)).content.decode()
        reply = _post(client, ticket, "assign", assignee=other_agent.pk)
        assert reply.status_code == 302
        ticket.refresh_from_db()
        assert ticket.assignee is None


# --- The deadline as the agent sees it ------------------------------------------------------------


def test_the_case_page_names_the_clock_the_customer_was_promised(client, agent):
    from tests.factories import SurveyFactory
    from tests.followups.factories import office_calendar

    survey = SurveyFactory(sla_clock="business_hours", first_contact_hours=48, business_calendar=office_calendar())
    ticket = _ticket(survey=survey, invitation__survey=survey)
    client.force_login(agent)
    html = client.get(_url(ticket)).content.decode()
    words = "48 business hours, Mon–Fri 09:00–12:00, 14:00–18:00 Europe/Paris"
    assert f"Deadline: {words}" in html
    thanks = client.get(reverse("surveys:thanks", args=[ticket.response.invitation.token])).content.decode()
    assert f"within {words}." in thanks


def test_after_the_first_contact_the_deadline_is_no_longer_pending(client, agent):
    ticket = _ticket()
    client.force_login(agent)
    assert "First contact due" in client.get(_url(ticket)).content.decode()
    services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="phone")
    html = client.get(_url(ticket)).content.decode()
    assert "First contact due" not in html
    assert "within the deadline" in html


def test_a_case_closed_without_contact_shows_the_missed_deadline(client, agent):
    ticket = _ticket()
    services.ticket_set_status(ticket=ticket, actor=agent, status="closed", outcome="no_reply")
    client.force_login(agent)
    html = client.get(_url(ticket)).content.decode()
    assert "First contact due" not in html
    assert "Closed without a contact: deadline missed" in html


def test_the_timeline_shows_full_names_not_usernames(client, agent, manager):
    ticket = _ticket()
    services.ticket_assign(ticket=ticket, actor=manager, assignee=agent)
    client.force_login(agent)
    html = client.get(_url(ticket)).content.decode()
    change = html[html.index('class="nps-change"') :][:400]
    assert agent.get_full_name() in change and ">alice<" not in change.replace(" ", "").replace("\n", "")


# --- What the page costs ----------------------------------------------------------------------------

CASE_PAGE_QUERIES = 14


def test_case_page_query_count_does_not_grow_with_the_customers_history(client, agent, django_assert_num_queries):
    from conversations.models import Message
    from crm.models import CustomerEvent
    from tests.factories import CustomerFactory, InvitationFactory, PurchaseFactory

    def case_of(customer):
        return _ticket(invitation=InvitationFactory(customer=customer))

    small, large = CustomerFactory(), CustomerFactory()
    small_case, large_case = case_of(small), case_of(large)
    for i in range(30):
        PurchaseFactory(customer=large, purchased_at=timezone.now() - timedelta(days=i + 1))
        CustomerEvent.objects.create(customer=large, kind="site_visit", occurred_at=timezone.now())
        Message.objects.create(ticket=large_case, direction="out", channel="email", kind="reply", body=f"#{i}")
    for _ in range(5):
        services.ticket_mark_contacted(ticket=case_of(large), actor=agent, channel="phone")
    client.force_login(agent)
    client.get(_url(small_case))  # the reply is read on the first visit: a write the next ones skip
    client.get(_url(large_case))
    # session, user, roles, the case, its themes, the CRM panel's four, the history, the brand,
    # the conversation's two, the themes offered: the same for a customer with a long history.
    with django_assert_num_queries(CASE_PAGE_QUERIES) as few:
        assert client.get(_url(small_case)).status_code == 200
    with django_assert_num_queries(CASE_PAGE_QUERIES) as many:
        assert client.get(_url(large_case)).status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries)
