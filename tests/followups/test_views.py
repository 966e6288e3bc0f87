"""Access to the inbox and the case page, and what they show."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followups import services
from followups.models import Team
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
    soon = _ticket(comment="soon one", submitted_at=now - timedelta(hours=46))
    resolved = _ticket(comment="done one")
    services.ticket_set_status(ticket=resolved, actor=agent, status="resolved", outcome="recovered")
    client.force_login(agent)
    page = client.get(INBOX)
    assert page.status_code == 200
    assert [t.id for t in page.context["page"]] == [late.id, soon.id]
    html = page.content.decode()
    assert html.index("late one") < html.index("soon one")
    assert "done one" not in html
    # Marked in words, not by colour only.
    assert "Overdue" in html and "Due soon" in html
    assert "2 cases match" in html


def test_customer_text_is_escaped_for_agents(client, agent):
    ticket = _ticket(comment='<script>alert("x")</script>')
    client.force_login(agent)
    for url in (INBOX, _case_url(ticket)):
        html = client.get(url).content.decode()
        assert '<script>alert("x")</script>' not in html
        assert "&lt;script&gt;" in html


def test_unknown_case_is_404(client, agent):
    client.force_login(agent)
    assert client.get(reverse("followups:ticket", args=["6f1c1c1c-0000-4000-8000-000000000000"])).status_code == 404


class TestTeams:
    @pytest.fixture
    def teams(self, agent, other_agent):
        support, sales = Team.objects.create(name="Support"), Team.objects.create(name="Sales")
        support.members.add(agent)
        sales.members.add(other_agent)
        return support, sales

    def _cases(self, teams, agent):
        support, sales = teams
        ours = _ticket(comment="ours")
        theirs = _ticket(comment="theirs")
        nobodys = _ticket(comment="no team")
        given_to_me = _ticket(comment="given to me")
        for ticket, team in ((ours, support), (theirs, sales), (given_to_me, sales)):
            ticket.team = team
            ticket.save(update_fields=["team"])
        services.ticket_assign(ticket=given_to_me, actor=None, assignee=agent)
        return ours, theirs, nobodys, given_to_me

    def test_agent_sees_their_teams_cases_theirs_and_those_of_no_team(self, client, agent, teams):
        ours, theirs, nobodys, given_to_me = self._cases(teams, agent)
        client.force_login(agent)
        listed = {t.id for t in client.get(INBOX).context["page"]}
        assert listed == {ours.id, nobodys.id, given_to_me.id}
        assert client.get(_case_url(theirs)).status_code == 404
        assert client.post(_case_url(theirs), {"action": "note", "body": "x"}).status_code == 404
        assert client.get(_case_url(given_to_me)).status_code == 200

    def test_managers_see_every_team(self, client, agent, manager, teams):
        cases = self._cases(teams, agent)
        client.force_login(manager)
        assert {t.id for t in client.get(INBOX).context["page"]} == {t.id for t in cases}
        assert client.get(_case_url(cases[1])).status_code == 200


def test_case_page_shows_answer_criteria_csat_crm_and_timeline(client, agent):
    customer = CustomerFactory(first_name="Jeanne", last_name="Moreau", newsletter_subscribed=True)
    PurchaseFactory(customer=customer, amount="120.00", product_category="Lighting")
    earlier = ResponseFactory(
        score=9, customer=customer, invitation__customer=customer, submitted_at=timezone.now() - timedelta(days=300)
    )
    old_case = _ticket(score=5, customer=customer, invitation__customer=customer)
    ticket = _ticket(
        score=1,
        comment="Worst service",
        customer=customer,
        invitation__customer=customer,
        criteria=["Delivery", "Price"],
        csat=2,
    )
    services.ticket_add_note(ticket=ticket, actor=agent, body="VIP, handle with care")
    client.force_login(agent)
    page = client.get(_case_url(ticket))
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("Jeanne Moreau", "Worst service", "Delivery", "Price", "2 out of 5", "120", "Lighting", "Subscribed"):
        assert text in html
    assert page.context["crm"].purchase_count == 1
    assert [r.id for r in page.context["crm"].earlier_responses] == [old_case.response_id, earlier.id]
    assert _case_url(old_case) in html
    assert "Internal note — never sent to the customer" in html
    assert "VIP, handle with care" in html


def test_case_page_shows_the_score_before_and_after(client, agent):
    ticket = _ticket(score=3)
    ticket.resurvey_score = 9
    ticket.save(update_fields=["resurvey_score"])
    client.force_login(agent)
    html = client.get(_case_url(ticket)).content.decode()
    assert "Score before and after the follow-up" in html
    assert "now a promoter" in html


@pytest.mark.parametrize("action", ["claim", "note", "phone", "status"])
def test_get_on_a_case_changes_nothing(client, agent, action):
    ticket = _ticket()
    client.force_login(agent)
    client.get(_case_url(ticket), {"action": action, "status": "resolved", "outcome": "recovered", "body": "x"})
    assert ticket.events.count() == 1
