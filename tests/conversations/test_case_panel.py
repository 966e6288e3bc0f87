"""The emails with the customer on the case page: a panel conversations registers in followups.panels."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from followups import panels, services
from tests.conversations.factories import case_for


def _url(ticket):
    return reverse("followups:ticket", args=[ticket.public_id])


def _messages(reply) -> list[str]:
    return [str(m) for m in get_messages(reply.wsgi_request)]


def _post(client, ticket, action, **data):
    ticket.refresh_from_db()
    return client.post(_url(ticket), {"action": action, "version": ticket.version, **data})


def _contacted_ticket(actor):
    ticket = case_for()
    services.ticket_mark_contacted(ticket=ticket, actor=actor, channel="phone")
    return ticket


@pytest.fixture
def registry(monkeypatch):
    """The case page's panels as registered, restored after the test."""
    monkeypatch.setattr(panels, "_registry", dict(panels._registry))


def test_the_conversation_is_on_the_case_page_between_the_themes_and_the_history(client, agent):
    ticket = _contacted_ticket(agent)
    client.force_login(agent)
    reply = client.get(_url(ticket))
    assert [panel.key for panel in reply.context["main_panels"]] == ["answer", "themes", "conversation", "history"]
    html = reply.content.decode()
    assert html.index('id="themes-heading"') < html.index('id="conversation"') < html.index('id="timeline-heading"')
    assert reply.context["conversation"] is not None


def test_without_the_conversation_panel_the_page_still_renders_and_sends_nothing(client, agent, registry, monkeypatch):
    sent = []
    monkeypatch.setattr("conversations.services.customer_status_update_send", lambda **kwargs: sent.append(kwargs))
    panels.panel_unregister(key="conversation")
    ticket = _contacted_ticket(agent)
    client.force_login(agent)
    reply = client.get(_url(ticket))
    assert reply.status_code == 200
    assert 'id="conversation"' not in reply.content.decode()
    assert "conversation" not in reply.context
    assert _post(client, ticket, "status", status="waiting", notify_customer="on").status_code == 302
    assert sent == []


class TestEmailTheCustomer:
    def test_the_checkbox_sends_a_status_update(self, client, agent, monkeypatch):
        sent = []
        monkeypatch.setattr(
            "conversations.services.customer_status_update_send",
            lambda *, ticket, actor: sent.append((ticket.status, actor)),
        )
        ticket = _contacted_ticket(agent)
        client.force_login(agent)
        reply = _post(client, ticket, "status", status="waiting", notify_customer="on")
        assert reply.status_code == 302
        assert sent == [("waiting", agent)]
        assert "The customer was emailed about this change." in _messages(reply)

    def test_without_the_checkbox_nothing_is_sent(self, client, agent, monkeypatch):
        sent = []
        monkeypatch.setattr("conversations.services.customer_status_update_send", lambda **kwargs: sent.append(kwargs))
        ticket = _contacted_ticket(agent)
        client.force_login(agent)
        reply = _post(client, ticket, "status", status="waiting")
        assert sent == []
        # Nothing sent because nothing was asked, not because the change was refused.
        assert reply.status_code == 302
        ticket.refresh_from_db()
        assert ticket.status == "waiting"
        assert "The customer was emailed about this change." not in _messages(reply)

    def test_an_unmailable_customer_is_a_clear_error_and_the_status_still_changes(self, client, agent, monkeypatch):
        def refuse(**kwargs):
            raise ValidationError("This customer has no email address.")

        monkeypatch.setattr("conversations.services.customer_status_update_send", refuse)
        ticket = _contacted_ticket(agent)
        client.force_login(agent)
        reply = _post(client, ticket, "status", status="waiting", notify_customer="on")
        assert reply.status_code == 302
        assert any("could not be emailed" in m and "no email address" in m for m in _messages(reply))
        ticket.refresh_from_db()
        assert ticket.status == "waiting"
