"""The customer's timeline: answers, purchases, behaviour, cases and messages, merged and paged."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from conversations.models import Message
from crm.choices import EventKind
from crm.models import CustomerEvent
from customerview import timeline
from followups import services as followups
from followups.choices import Outcome, TicketStatus
from tests.factories import CustomerFactory, PurchaseFactory, ResponseFactory, SurveyFactory
from tests.followups.factories import team_of

T0 = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)


def _page(customer, **query) -> str:
    url = reverse("customerview:customer", args=[customer.public_id])
    return f"{url}?{urlencode(query, doseq=True)}" if query else url


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _event(customer, kind, at):
    return CustomerEvent.objects.create(customer=customer, kind=kind, occurred_at=at)


def _message(ticket, direction, body, at, subject=""):
    return Message.objects.create(
        ticket=ticket, direction=direction, channel="email", kind="reply", body=body, subject=subject, created_at=at
    )


def _history(customer, survey=None):
    """One item of every kind, an hour apart: purchase, visit, answer + case, message out, reply, resolved."""
    PurchaseFactory(customer=customer, purchased_at=_at(0), amount=Decimal("1234.50"), currency="USD", channel="web")
    _event(customer, EventKind.SITE_VISIT, _at(1))
    with time_machine.travel(_at(2), tick=False):
        answer = ResponseFactory(
            score=3,
            comment="Slow delivery",
            customer=customer,
            invitation__customer=customer,
            **({"invitation__survey": survey} if survey else {}),
        )
        case = followups.ticket_open_for_response(response=answer)
    _message(case, "out", "We are sorry", _at(3), subject="About your order")
    _message(case, "in", "Thanks for asking", _at(4))
    with time_machine.travel(_at(5), tick=False):
        followups.ticket_set_status(ticket=case, actor=None, status=TicketStatus.RESOLVED, outcome=Outcome.RECOVERED)
    _event(customer, EventKind.CART_ABANDONED, _at(6))
    return case


def _kinds(items) -> list[str]:
    return [item.kind for item in items]


# What it shows ------------------------------------------------------------------------------


def test_timeline_merges_every_kind_newest_first(client, agent, customer):
    case = _history(customer)
    client.force_login(agent)
    page = client.get(_page(customer))
    assert page.status_code == 200
    items = page.context["timeline"].items
    # The resolution and the opening are case events; the answer and the opening share a moment.
    assert _kinds(items) == ["event", "case", "message", "message", "answer", "case", "event", "purchase"]
    assert [item.at for item in items] == sorted((item.at for item in items), reverse=True)
    html = page.content.decode()
    for text in (
        "Cart abandoned",
        "Site visit",
        "Slow delivery",
        "Detractor",
        "We are sorry",
        "About your order",
        "Thanks for asking",
        "Reply from the customer",
        "Email to the customer",
        f"Case {case.reference}",
        "1,234.50\N{NO-BREAK SPACE}USD",
        "channel: web",
        "Lighting",
    ):
        assert text in html, text
    assert f'id="case-{case.public_id}"' in html
    # Day headings and machine-readable times.
    assert '<h3 class="nps-history__day"><time datetime="2025-06-02">' in html
    assert f'datetime="{timezone.localtime(_at(6)).isoformat()}"' in html


def test_timeline_escapes_what_the_customer_wrote(client, agent, customer):
    case = followups.ticket_open_for_response(
        response=ResponseFactory(score=2, comment="<b>bad</b>", customer=customer, invitation__customer=customer)
    )
    _message(case, "in", "<script>alert(1)</script>", timezone.now())
    client.force_login(agent)
    html = client.get(_page(customer)).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>bad</b>" not in html


def test_timeline_filters_by_kind_without_javascript(client, agent, customer):
    _history(customer)
    client.force_login(agent)
    page = client.get(_page(customer, kind=["purchase", "event"]))
    assert _kinds(page.context["timeline"].items) == ["event", "event", "purchase"]
    html = page.content.decode()
    assert 'name="kind" value="purchase" checked' in html and 'name="kind" value="answer">' in html
    assert "Slow delivery" not in html
    messages = client.get(_page(customer, kind="message")).context["timeline"].items
    assert _kinds(messages) == ["message", "message"]
    # An unknown kind alone shows everything rather than nothing.
    assert len(client.get(_page(customer, kind="bogus")).context["timeline"].items) == 8


def test_empty_timeline_says_so(client, agent, customer):
    client.force_login(agent)
    assert "Nothing recorded for this customer yet." in client.get(_page(customer)).content.decode()


# Paging ------------------------------------------------------------------------------------


def test_timeline_pages_cover_everything_once_even_with_equal_times(agent, customer):
    # 30 purchases and 30 visits, two of each per instant: ties across the page boundary.
    for i in range(30):
        PurchaseFactory(customer=customer, purchased_at=_at(i // 2))
        _event(customer, EventKind.SITE_VISIT, _at(i // 2))
    pages, cursor = [], None
    while True:
        page = timeline.customer_timeline(customer=customer, viewer=agent, before=cursor)
        pages.append([item.sort_key for item in page.items])
        if not page.next_cursor:
            break
        cursor = timeline.Cursor.parse(page.next_cursor)
    assert [len(keys) for keys in pages] == [25, 25, 10]
    seen = [key for keys in pages for key in keys]
    assert len(set(seen)) == 60 and seen == sorted(seen, reverse=True)
    # Back up with the "newer" cursors: the same pages, in reverse.
    up = []
    while page.newer_cursor:
        page = timeline.customer_timeline(
            customer=customer, viewer=agent, after=timeline.Cursor.parse(page.newer_cursor)
        )
        up.append([item.sort_key for item in page.items])
    assert up == [pages[1], pages[0]]


def test_older_and_newest_links_walk_the_pages(client, agent, customer):
    for i in range(30):
        PurchaseFactory(customer=customer, purchased_at=_at(i))
    client.force_login(agent)
    first = client.get(_page(customer, kind="purchase"))
    assert first.context["timeline_newest_url"] == ""
    older = first.context["timeline_older_url"]
    assert "kind=purchase" in older and "before=" in older
    second = client.get(older)
    amounts = [item.at for item in second.context["timeline"].items]
    assert amounts == [_at(i) for i in range(4, -1, -1)]
    assert second.context["timeline_older_url"] == ""
    assert "kind=purchase" in second.context["timeline_newest_url"]
    assert "Back to the newest" in second.content.decode()
    newer = second.context["timeline_newer_url"]
    assert "kind=purchase" in newer and "after=" in newer
    back = client.get(newer).context
    assert [item.at for item in back["timeline"].items] == [item.at for item in first.context["timeline"].items]
    assert back["timeline_newer_url"] == "" and back["timeline_older_url"] == older


@pytest.mark.parametrize(
    "before", ["yesterday", "2025-06-02T08:00:00Z_answer_x", "2025-06-02T08:00:00Z_nope_1", "0001-01-01T00:00:00+05:00"]
)
def test_malformed_cursor_shows_the_newest_page(client, agent, customer, before):
    PurchaseFactory(customer=customer, purchased_at=_at(0))
    client.force_login(agent)
    page = client.get(_page(customer, before=before))
    assert page.status_code == 200
    assert page.context["timeline"].before is None and len(page.context["timeline"].items) == 1


def test_cursor_round_trips_and_reads_a_typed_date():
    cursor = timeline.Cursor(at=_at(1.5), kind="message", id=42)
    assert timeline.Cursor.parse(cursor.encode()) == cursor
    assert timeline.Cursor.parse("2025-06-02T12:00:00 02:00") == timeline.Cursor(at=_at(2))
    assert timeline.Cursor.parse("2025-06-02") == timeline.Cursor(at=datetime(2025, 6, 2, tzinfo=UTC))
    assert timeline.Cursor.parse("0001-01-01T00:00:00+05:00") is None


def test_timeline_query_count_does_not_grow_with_history(agent, django_assert_num_queries):
    small, large = CustomerFactory(), CustomerFactory()
    _history(small)
    _history(large)
    for i in range(1, 25):
        PurchaseFactory(customer=large, purchased_at=_at(-i))
        _event(large, EventKind.SITE_VISIT, _at(-i))
        _event(large, EventKind.NEWSLETTER_UNSUBSCRIBED, _at(-i))
        ResponseFactory(score=9, customer=large, invitation__customer=large, submitted_at=_at(-i))
    # Small: 8 items; large: over 100, several pages.
    assert len(timeline.customer_timeline(customer=small, viewer=agent, page_size=1000).items) == 8
    assert len(timeline.customer_timeline(customer=large, viewer=agent, page_size=1000).items) > 80
    for customer in (small, large):
        # One query per kind: answers, purchases, behaviour, case events, messages.
        with django_assert_num_queries(5):
            page = timeline.customer_timeline(customer=customer, viewer=agent)
        assert len(page.items) <= timeline.PAGE_SIZE
    with django_assert_num_queries(2):
        timeline.customer_timeline(customer=large, viewer=agent, kinds=("purchase", "event"))


def test_customer_page_query_count_is_pinned_whatever_the_history(client, agent, django_assert_num_queries):
    small, large = CustomerFactory(), CustomerFactory()
    _history(small)
    _history(large)
    for i in range(100):
        PurchaseFactory(customer=large, purchased_at=_at(-i))
        _event(large, EventKind.SITE_VISIT, _at(-i))
    client.force_login(agent)
    client.get(_page(small))
    # session, user, roles, customer, 3 for the summary (its earlier answers are in the timeline),
    # attributes, policy, signals, 5 for the timeline
    for customer in (small, large):
        with django_assert_num_queries(15):
            assert client.get(_page(customer)).status_code == 200


# Who sees what -----------------------------------------------------------------------------


def test_agent_does_not_see_another_teams_answers_cases_or_messages(client, agent, other_agent, manager, customer):
    elsewhere = SurveyFactory(team=team_of(other_agent, name="Elsewhere"))
    case = _history(customer, survey=elsewhere)
    assert case.team is not None
    client.force_login(agent)
    page = client.get(_page(customer))
    assert _kinds(page.context["timeline"].items) == ["event", "event", "purchase"]
    html = page.content.decode()
    for secret in ("Slow delivery", "We are sorry", "Thanks for asking", case.reference):
        assert secret not in html
    for member in (other_agent, manager):
        client.force_login(member)
        assert len(client.get(_page(customer)).context["timeline"].items) == 8


def test_anonymous_answers_never_appear(agent, customer):
    ResponseFactory(score=2, comment="anonymous words", customer=None, invitation=None, survey=SurveyFactory())
    assert timeline.customer_timeline(customer=customer, viewer=agent).items == []


# The case page links to it -------------------------------------------------------------------


def test_case_page_links_to_the_timeline_at_the_case(client, agent, customer):
    case = _history(customer)
    for i in range(40):  # a long history after the case: its first page would not show it
        PurchaseFactory(customer=customer, purchased_at=_at(48 + i))
    client.force_login(agent)
    case_page = client.get(reverse("followups:ticket", args=[case.public_id]))
    url = case_page.context["timeline_url"]
    assert url.endswith(f"#case-{case.public_id}")
    assert url.replace("&", "&amp;") in case_page.content.decode()
    assert f'id="case-{case.public_id}"' not in client.get(_page(customer)).content.decode()
    around = client.get(url)
    html = around.content.decode()
    assert f'id="case-{case.public_id}"' in html
    # What happened around it: the messages after the opening, the purchase before.
    assert "Thanks for asking" in html and "1,234.50" in html
    assert around.context["timeline_newest_url"] and around.context["timeline_newer_url"]


# Spend and its currency -------------------------------------------------------------------


def test_spend_shows_its_currency_on_the_customer_page_and_the_case_panel(client, agent, customer):
    PurchaseFactory(customer=customer, amount=Decimal("1000.00"), currency="GBP")
    PurchaseFactory(customer=customer, amount=Decimal("49.70"), currency="GBP")
    case = followups.ticket_open_for_response(
        response=ResponseFactory(score=1, customer=customer, invitation__customer=customer)
    )
    client.force_login(agent)
    for url in (_page(customer), reverse("followups:ticket", args=[case.public_id])):
        html = client.get(url).content.decode()
        assert "1,049.70\N{NO-BREAK SPACE}GBP" in html, url
        assert "Mixed currencies" not in html


def test_spend_in_several_currencies_is_not_added_up(client, agent, customer):
    PurchaseFactory(customer=customer, amount=Decimal("100.00"), currency="EUR")
    PurchaseFactory(customer=customer, amount=Decimal("30.00"), currency="USD")
    PurchaseFactory(customer=customer, amount=Decimal("20.00"), currency="EUR")
    case = followups.ticket_open_for_response(
        response=ResponseFactory(score=1, customer=customer, invitation__customer=customer)
    )
    client.force_login(agent)
    for url in (_page(customer), reverse("followups:ticket", args=[case.public_id])):
        html = client.get(url).content.decode()
        assert "Mixed currencies: 120.00\N{NO-BREAK SPACE}EUR, 30.00\N{NO-BREAK SPACE}USD" in html, url
        assert "150.00" not in html


def test_timeline_speaks_french(client, agent, customer):
    _history(customer)
    client.force_login(agent)
    # The override puts back the language of the tests after the request (the middleware leaves French on).
    with translation.override("fr"):
        html = client.get(_page(customer), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    for text in ("Chronologie", "Filtrer la chronologie", "Réponse à une enquête", "Réponse du client", "Achat"):
        assert text in html, text
    assert "234,50\N{NO-BREAK SPACE}USD" in html
    assert '<time datetime="2025-06-02">2 juin 2025</time>' in html
