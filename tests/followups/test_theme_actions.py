import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followups import services
from followups.models import TicketEvent
from surveys import services as survey_services
from surveys.models import ResponseTheme, Theme, ThemeSource
from tests.factories import ResponseFactory


@pytest.fixture
def delivery(db):
    return Theme.objects.create(name="Delivery", name_fr="Livraison", keywords_fr="retard")


@pytest.fixture
def price(db):
    return Theme.objects.create(name="Price", name_fr="Prix")


@pytest.fixture
def ticket(db):
    return services.ticket_open_for_response(response=ResponseFactory(score=2, comment="Colis en retard"))


def _url(ticket):
    return reverse("followups:ticket", args=[ticket.public_id])


def _theme_events(ticket):
    return list(ticket.events.filter(field="theme").values_list("kind", "actor__username", "old_value", "new_value"))


def test_agent_tags_and_untags_a_theme_with_an_audit_trail(client, agent, ticket, delivery):
    client.force_login(agent)
    assert client.post(_url(ticket), {"action": "tag", "theme": delivery.pk}).status_code == 302
    link = ResponseTheme.objects.get()
    assert (link.response_id, link.theme, link.source, link.tagged_by) == (
        ticket.response_id,
        delivery,
        ThemeSource.MANUAL,
        agent,
    )
    assert client.post(_url(ticket), {"action": "untag", "theme": delivery.pk}).status_code == 302
    assert not ResponseTheme.objects.exists()
    assert _theme_events(ticket) == [("changed", "alice", "", "Delivery"), ("changed", "alice", "Delivery", "")]


def test_repeating_an_action_writes_no_event(client, agent, ticket, delivery):
    client.force_login(agent)
    client.post(_url(ticket), {"action": "tag", "theme": delivery.pk})
    client.post(_url(ticket), {"action": "tag", "theme": delivery.pk})
    client.post(_url(ticket), {"action": "untag", "theme": delivery.pk})
    client.post(_url(ticket), {"action": "untag", "theme": delivery.pk})
    assert len(_theme_events(ticket)) == 2


def test_confirming_a_keyword_rule_tag_makes_it_manual_and_is_audited(agent, ticket, delivery):
    survey_services.response_themes_apply_rules(responses=[ticket.response])
    assert ResponseTheme.objects.get().source == ThemeSource.RULE
    event = services.ticket_tag_theme(ticket=ticket, actor=agent, theme=delivery)
    assert (event.field, event.new_value) == ("theme", "Delivery")
    assert ResponseTheme.objects.get().source == ThemeSource.MANUAL
    assert services.ticket_tag_theme(ticket=ticket, actor=agent, theme=delivery) is None


@pytest.mark.parametrize("action", ["tag", "untag"])
@pytest.mark.parametrize("theme_value", ["", "999999", "not-a-number", "inactive"])
def test_a_bad_theme_is_refused_with_a_message_and_nothing_written(
    client, agent, ticket, delivery, action, theme_value
):
    inactive = Theme.objects.create(name="Retired", is_active=False)
    survey_services.response_tag_theme(response=ticket.response, theme=delivery, actor=agent)
    events_before = ticket.events.count()
    client.force_login(agent)
    posted = inactive.pk if theme_value == "inactive" else theme_value
    reply = client.post(_url(ticket), {"action": action, "theme": posted})
    assert reply.status_code == 400
    html = reply.content.decode()
    expected = "Choose a theme." if theme_value == "" else "That theme does not exist or is no longer active"
    assert expected in html
    assert ticket.events.count() == events_before
    assert list(ResponseTheme.objects.values_list("theme__name", flat=True)) == ["Delivery"]


def test_case_page_shows_themes_with_who_tagged_them(client, agent, ticket, delivery, price):
    survey_services.response_themes_apply_rules(responses=[ticket.response])
    services.ticket_tag_theme(ticket=ticket, actor=agent, theme=price)
    client.force_login(agent)
    page = client.get(_url(ticket))
    html = page.content.decode()
    assert [(link.theme.name, link.source) for link in page.context["theme_links"]] == [
        ("Delivery", ThemeSource.RULE),
        ("Price", ThemeSource.MANUAL),
    ]
    assert 'class="nps-theme nps-theme--rule"' in html and "keyword rule" in html
    assert 'class="nps-theme nps-theme--manual"' in html and "tagged by Alice" in html
    assert html.count('name="action" value="untag"') == 2
    # Both themes are on the answer already: nothing left to offer in the add form.
    assert list(page.context["forms"]["tag"].fields["theme"].queryset) == []


def test_case_page_names_themes_in_french(client, agent, ticket, delivery, price):
    services.ticket_tag_theme(ticket=ticket, actor=agent, theme=delivery)
    client.force_login(agent)
    client.post(reverse("set_language"), {"language": "fr", "next": "/inbox/"})
    html = client.get(_url(ticket)).content.decode()
    assert '<span class="nps-theme__name">Livraison</span>' in html
    assert f'<option value="{price.pk}">Prix</option>' in html


def test_inactive_themes_are_not_shown(client, agent, ticket, delivery):
    services.ticket_tag_theme(ticket=ticket, actor=agent, theme=delivery)
    Theme.objects.filter(pk=delivery.pk).update(is_active=False)
    client.force_login(agent)
    assert client.get(_url(ticket)).context["theme_links"] == []


def test_case_page_query_count_does_not_grow_with_themes(client, agent, ticket):
    client.force_login(agent)
    url = _url(ticket)
    client.get(url)

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context)

    baseline = queries()
    for n in range(6):
        theme = Theme.objects.create(name=f"Theme {n}")
        if n % 2:
            services.ticket_tag_theme(ticket=ticket, actor=agent, theme=theme)
        else:
            ResponseTheme.objects.create(response=ticket.response, theme=theme, source=ThemeSource.RULE)
    Theme.objects.create(name="Offered only")
    assert queries() == baseline


def test_outsider_cannot_tag(client, outsider, ticket, delivery):
    client.force_login(outsider)
    assert client.post(_url(ticket), {"action": "tag", "theme": delivery.pk}).status_code == 403
    assert not ResponseTheme.objects.exists()
    assert not TicketEvent.objects.filter(field="theme").exists()
