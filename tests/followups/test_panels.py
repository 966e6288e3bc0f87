"""The case page's panels come from a registry (followups.panels): followups knows none of the apps above it."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Template
from django.urls import reverse
from django.utils import timezone

from followups import panels, services
from tests.factories import ResponseFactory


@pytest.fixture
def registry(monkeypatch):
    """The case page's panels as registered, restored after the test."""
    monkeypatch.setattr(panels, "_registry", dict(panels._registry))


@pytest.fixture
def ticket(db):
    response = ResponseFactory(score=2, comment="Broken", submitted_at=timezone.now() - timedelta(hours=1))
    return services.ticket_open_for_response(response=response)


def _url(ticket):
    return reverse("followups:ticket", args=[ticket.public_id])


def _test_panel(*, column=panels.MAIN, order=35, **kwargs):
    template = Template('<section id="test-panel">{{ test_panel_words }} {{ ticket.reference }}</section>')
    return panels.CasePanel(key="test", template=template, column=column, order=order, **kwargs)


def test_a_registered_panel_shows_on_the_case_page_with_its_context(client, agent, ticket, registry):
    seen = []

    def context(*, request, ticket):
        seen.append((request.user, ticket.id))
        return {"test_panel_words": "Registered from elsewhere"}

    panels.panel_register(panel=_test_panel(context=context))
    client.force_login(agent)
    html = client.get(_url(ticket)).content.decode()
    assert f'<section id="test-panel">Registered from elsewhere {ticket.reference}</section>' in html
    assert seen == [(agent, ticket.id)]
    # Order 35: after the conversation (30), before the case's history (40).
    assert html.index('id="conversation"') < html.index('id="test-panel"') < html.index('id="timeline-heading"')
    panels.panel_unregister(key="test")
    assert 'id="test-panel"' not in client.get(_url(ticket)).content.decode()


def test_a_panel_goes_in_its_column_by_order(client, agent, ticket, registry):
    panels.panel_register(panel=_test_panel(column=panels.SIDE, order=15))
    client.force_login(agent)
    reply = client.get(_url(ticket))
    assert [panel.key for panel in reply.context["side_panels"]] == ["crm", "test", "actions"]
    html = reply.content.decode()
    assert html.index('id="crm-heading"') < html.index('id="test-panel"') < html.index('id="actions-heading"')


def test_the_apps_above_register_their_panels(client, agent, ticket):
    client.force_login(agent)
    reply = client.get(_url(ticket))
    keys = {panel.key: panel.template for panel in reply.context["main_panels"] + reply.context["side_panels"]}
    assert keys["conversation"] == "conversations/_case_conversation.html"
    assert keys["crm"] == "customerview/_case_crm.html"


def test_after_a_saved_action_each_panel_hears_of_it(client, agent, ticket, registry):
    heard = []

    def after_action(*, request, ticket, action, form):
        ticket.refresh_from_db()
        heard.append((action, ticket.status, form.cleaned_data["status"]))

    panels.panel_register(panel=_test_panel(after_action=after_action))
    services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="phone")
    client.force_login(agent)
    ticket.refresh_from_db()
    reply = client.post(_url(ticket), {"action": "status", "status": "waiting", "version": ticket.version})
    assert reply.status_code == 302
    assert heard == [("status", "waiting", "waiting")]
    # A refused action (resolving needs an outcome) is not heard of.
    ticket.refresh_from_db()
    reply = client.post(_url(ticket), {"action": "status", "status": "resolved", "version": ticket.version})
    assert reply.status_code == 400
    assert heard == [("status", "waiting", "waiting")]


def test_a_panel_may_not_overwrite_what_the_page_or_another_panel_sets(client, agent, ticket, registry):
    panels.panel_register(panel=_test_panel(context=lambda **kwargs: {"ticket": None}))
    client.force_login(agent)
    with pytest.raises(ImproperlyConfigured, match="'ticket'"):
        client.get(_url(ticket))
    panels.panel_register(panel=_test_panel(context=lambda **kwargs: {"crm": None}))
    with pytest.raises(ImproperlyConfigured, match="'crm'"):
        client.get(_url(ticket))


def test_a_panel_names_a_column_of_the_page():
    with pytest.raises(ImproperlyConfigured):
        panels.CasePanel(key="x", template="x.html", column="footer", order=1)
