from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followups import services
from followups.models import Ticket
from tests.factories import CustomerFactory, PurchaseFactory, ResponseFactory

INBOX = reverse("followups:inbox")


def _ticket(score=2, comment="Broken", **response_kwargs):
    return services.ticket_open_for_response(response=ResponseFactory(score=score, comment=comment, **response_kwargs))


def _case_url(ticket):
    return reverse("followups:ticket", args=[ticket.public_id])


def test_inbox_requires_login(client):
    assert client.get(INBOX).status_code == 302


def test_outsider_sees_nothing(client, outsider, db):
    ticket = _ticket()
    client.force_login(outsider)
    assert client.get(INBOX).status_code == 403
    assert client.get(_case_url(ticket)).status_code == 403


def test_inbox_lists_open_cases_by_deadline_with_overdue_marked(client, agent):
    now = timezone.now()
    late = _ticket(comment="late one", submitted_at=now - timedelta(hours=50))
    soon = _ticket(comment="soon one", submitted_at=now - timedelta(hours=10))
    resolved = _ticket(comment="done one")
    services.ticket_resolve(ticket=resolved, actor=agent, outcome="recovered")
    client.force_login(agent)
    page = client.get(INBOX)
    assert page.status_code == 200
    assert [t.id for t in page.context["page"]] == [late.id, soon.id]
    html = page.content.decode()
    assert html.index("late one") < html.index("soon one")
    assert "done one" not in html
    assert "Overdue" in html


def test_inbox_filters(client, agent, other_agent):
    now = timezone.now()
    mine = _ticket(comment="mine")
    theirs = _ticket(comment="theirs")
    unassigned_overdue = _ticket(comment="nobody's", submitted_at=now - timedelta(hours=72))
    services.ticket_claim(ticket=mine, actor=agent)
    services.ticket_claim(ticket=theirs, actor=other_agent)
    client.force_login(agent)

    def ids(view):
        return {t.id for t in client.get(INBOX, {"view": view}).context["page"]}

    assert ids("mine") == {mine.id}
    assert ids("unassigned") == {unassigned_overdue.id}
    assert ids("overdue") == {unassigned_overdue.id}
    assert ids("open") == {mine.id, theirs.id, unassigned_overdue.id}
    assert ids("bogus") == ids("open")


def test_inbox_query_count_is_constant(client, agent, django_assert_num_queries):
    client.force_login(agent)
    client.get(INBOX)
    for _ in range(3):
        _ticket()
    # session, user, roles, count, page
    with django_assert_num_queries(5):
        client.get(INBOX)
    for _ in range(20):
        services.ticket_claim(ticket=_ticket(customer=CustomerFactory()), actor=agent)
    with django_assert_num_queries(5):
        client.get(INBOX)


def test_customer_text_is_escaped_for_agents(client, agent):
    ticket = _ticket(comment='<script>alert("x")</script>')
    client.force_login(agent)
    for url in (INBOX, _case_url(ticket)):
        html = client.get(url).content.decode()
        assert '<script>alert("x")</script>' not in html
        assert "&lt;script&gt;" in html


def test_case_page_shows_answer_crm_and_timeline(client, agent):
    customer = CustomerFactory(first_name="Jeanne", last_name="Moreau")
    PurchaseFactory(customer=customer, amount="120.00")
    ResponseFactory(
        score=9, customer=customer, invitation__customer=customer, submitted_at=timezone.now() - timedelta(days=300)
    )
    ticket = _ticket(score=1, comment="Worst service", customer=customer, invitation__customer=customer)
    client.force_login(agent)
    page = client.get(_case_url(ticket))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Jeanne Moreau" in html
    assert "Worst service" in html
    assert "120" in html
    assert page.context["crm"].purchase_count == 1
    assert [r.score for r in page.context["crm"].earlier_responses] == [9]


def test_agent_works_a_case_from_claim_to_resolution(client, agent):
    ticket = _ticket()
    client.force_login(agent)
    url = _case_url(ticket)
    assert client.post(url, {"action": "claim"}).status_code == 302
    assert client.post(url, {"action": "note", "body": "Customer is a VIP"}).status_code == 302
    assert client.post(url, {"action": "contact", "channel": "phone", "body": "Called"}).status_code == 302
    assert client.post(url, {"action": "resolve", "outcome": "recovered", "body": ""}).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status, ticket.outcome) == (agent, "resolved", "recovered")
    assert ticket.first_contacted_at is not None
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds.count("note") == 1 and kinds.count("contacted") == 1
    assert ticket.events.filter(kind="changed", actor=agent).count() >= 5
    page = client.get(url).content.decode()
    assert "Customer is a VIP" in page


def test_empty_note_is_refused_with_a_message(client, agent):
    ticket = _ticket()
    client.force_login(agent)
    reply = client.post(_case_url(ticket), {"action": "note", "body": "  "})
    assert reply.status_code == 400
    assert "Write something" in reply.content.decode()
    assert not ticket.events.filter(kind="note").exists()


def test_resolve_without_outcome_keeps_the_typed_note(client, agent):
    ticket = _ticket()
    client.force_login(agent)
    reply = client.post(_case_url(ticket), {"action": "resolve", "outcome": "", "body": "Refund issued"})
    assert reply.status_code == 400
    assert "Refund issued" in reply.content.decode()
    assert Ticket.objects.get().status == "new"


def test_unknown_case_is_404(client, agent):
    client.force_login(agent)
    assert client.get(reverse("followups:ticket", args=["6f1c1c1c-0000-4000-8000-000000000000"])).status_code == 404


@pytest.mark.parametrize("action", ["claim", "note", "contact", "resolve"])
def test_get_on_a_case_changes_nothing(client, agent, action):
    ticket = _ticket()
    client.force_login(agent)
    client.get(_case_url(ticket), {"action": action, "outcome": "recovered", "body": "x"})
    assert ticket.events.count() == 1
