"""Alerts in the team's chat: which case events reach which channel, through the webhook outbox.

Real deliveries go to HTTP receivers on 127.0.0.1 (the destinations allow private addresses)
that answer 400, as the platforms do, when the message is not of the shape they document.
"""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from unittest import mock

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from chatalerts.choices import ChatPlatform
from chatalerts.models import ChatDestination
from conversations import services as conversation_services
from followups.models import Team, Ticket
from followups.tasks import tickets_check_deadlines_task
from integrations.choices import DeliveryStatus, WebhookEvent
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.tasks import webhook_deliveries_retry_task
from surveys import services as survey_services
from tests.chatalerts.shapes import check_mattermost, check_slack, check_teams
from tests.factories import CustomerFactory, InvitationFactory, SurveyFactory

CHECKS = {
    "/slack": check_slack,
    "/teams": check_teams,
    "/mattermost": check_mattermost,
    "/rocketchat": check_mattermost,
}
ALL_EVENTS = [WebhookEvent.CASE_OPENED, WebhookEvent.CASE_BREACHED, WebhookEvent.CASE_CUSTOMER_REPLIED]


@pytest.fixture
def receiver(monkeypatch):
    """A local chat server: records each POST by path; 400 if the body is not the platform's shape."""
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    received: list[tuple[str, dict]] = []

    class Receiver(BaseHTTPRequestHandler):
        status = 200

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            try:
                assert self.headers["Content-Type"] == "application/json"
                CHECKS[self.path](body)
            except (AssertionError, KeyError, TypeError) as exc:
                received.append((self.path + ":invalid", {"error": repr(exc)}))
                self.send_response(400)
            else:
                received.append((self.path, body))
                self.send_response(Receiver.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    server.received = received
    server.handler = Receiver
    server.base_url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def team(db):
    return Team.objects.create(name="Support Paris")


@pytest.fixture
def other_team(db):
    return Team.objects.create(name="Support Lyon")


def _destination(team, platform, base_url, events=ALL_EVENTS, **fields) -> ChatDestination:
    return ChatDestination.objects.create(
        name=f"{team.name} {platform}",
        team=team,
        platform=platform,
        url=f"{base_url}/{platform}",
        events=list(events),
        allow_private_addresses=True,
        **fields,
    )


def _answer(capture, *, team, score=2, comment="Le colis est arrivé cassé", anonymous=False, customer=None):
    """A customer answers their link; the case opens and the alerts are sent after the commit."""
    survey = SurveyFactory(team=team, is_anonymous=anonymous)
    customer = customer or CustomerFactory(first_name="Jeanne", last_name="Dupont")
    invitation = InvitationFactory(survey=survey, customer=customer)
    with capture(execute=True):
        survey_services.response_submit(invitation=invitation, score=score, comment=comment)
    return Ticket.objects.filter(survey=survey).first()


def _chat_deliveries():
    return WebhookDelivery.objects.filter(subscription__kind="chat").order_by("id")


def test_a_critical_detractor_reaches_every_platform_of_the_team_in_its_own_format(
    receiver, team, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://nps.example.com"
    for platform in ChatPlatform.values:
        _destination(team, platform, receiver.base_url)

    ticket = _answer(django_capture_on_commit_callbacks, team=team, score=2, comment="Broken <again> & late")

    case_url = "https://nps.example.com" + reverse("followups:ticket", args=[ticket.public_id])
    paths = sorted(path for path, _body in receiver.received)
    assert paths == ["/mattermost", "/rocketchat", "/slack", "/teams"]
    bodies = dict(receiver.received)
    slack = bodies["/slack"]
    assert slack["text"] == "New critical detractor: 2/10: Broken &lt;again&gt; &amp; late"
    assert slack["blocks"][-1]["elements"][0]["url"] == case_url
    assert {"type": "mrkdwn", "text": "*Customer*\nJeanne Dupont"} in slack["blocks"][1]["fields"]
    card = bodies["/teams"]["attachments"][0]["content"]
    assert card["actions"][0]["url"] == case_url
    assert card["body"][0]["text"] == "New critical detractor: 2/10"
    mattermost = bodies["/mattermost"]["attachments"][0]
    assert (mattermost["title"], mattermost["title_link"]) == ("New critical detractor: 2/10", case_url)
    assert mattermost["text"] == "**Their words**\n> Broken \\<again\\> \\& late"
    # The same outbox and log as the webhooks: one delivered row per destination.
    assert [(d.event, d.status, d.response_status) for d in _chat_deliveries()] == [
        ("case.opened", DeliveryStatus.SUCCEEDED, 200)
    ] * 4


def test_an_answer_on_the_public_feedback_page_alerts_the_team_without_a_customer(
    client, receiver, team, django_capture_on_commit_callbacks
):
    _destination(team, ChatPlatform.MATTERMOST, receiver.base_url)
    survey = SurveyFactory(team=team, public_form_enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("surveys:public_feedback", args=[survey.public_id]),
            {"score": 1, "comment": "Rude staff", "email": "someone@example.com", "lang": "en"},
        )

    [(path, body)] = receiver.received
    attachment = body["attachments"][0]
    assert attachment["title"] == "New critical detractor: 1/10"
    assert [field["title"] for field in attachment["fields"]] == ["Score", "Survey", "Case"]
    assert "someone@example.com" not in json.dumps(body)


def test_a_long_comment_is_cut_in_the_alert(receiver, team, django_capture_on_commit_callbacks):
    _destination(team, ChatPlatform.TEAMS, receiver.base_url)
    _answer(django_capture_on_commit_callbacks, team=team, score=2, comment="word " * 400)

    [(_path, body)] = receiver.received
    card = body["attachments"][0]["content"]
    [quote] = [run["text"] for block in card["body"] for run in block.get("inlines", []) if run.get("italic")]
    assert len(quote) <= 300 and quote.endswith("word…")


@pytest.mark.parametrize("score", [4, 6, 8])
def test_a_detractor_above_3_or_a_passive_sends_no_alert(receiver, team, score, django_capture_on_commit_callbacks):
    _destination(team, ChatPlatform.SLACK, receiver.base_url)
    _answer(django_capture_on_commit_callbacks, team=team, score=score)
    assert receiver.received == []
    assert not _chat_deliveries().exists()


def test_another_teams_channel_gets_nothing(receiver, team, other_team, django_capture_on_commit_callbacks):
    _destination(other_team, ChatPlatform.SLACK, receiver.base_url)
    mine = _destination(team, ChatPlatform.MATTERMOST, receiver.base_url)

    _answer(django_capture_on_commit_callbacks, team=team, score=0)

    assert [path for path, _body in receiver.received] == ["/mattermost"]
    assert [d.subscription_id for d in _chat_deliveries()] == [mine.pk]


def test_an_anonymous_surveys_alert_names_nobody(receiver, team, django_capture_on_commit_callbacks):
    _destination(team, ChatPlatform.SLACK, receiver.base_url)
    named = CustomerFactory(first_name="Jeanne", last_name="Dupont")
    hidden = CustomerFactory(first_name="Hortense", last_name="Secret")

    _answer(django_capture_on_commit_callbacks, team=team, customer=named)
    _answer(django_capture_on_commit_callbacks, team=team, customer=hidden, anonymous=True)

    [(_p1, named_alert), (_p2, anonymous_alert)] = receiver.received
    assert "Jeanne Dupont" in json.dumps(named_alert)
    assert "Hortense" not in json.dumps(anonymous_alert) and "Secret" not in json.dumps(anonymous_alert)
    assert anonymous_alert["text"].startswith("New critical detractor: 2/10")


def test_a_breach_marked_by_the_beat_alerts_the_team(receiver, team, django_capture_on_commit_callbacks):
    _destination(team, ChatPlatform.TEAMS, receiver.base_url, events=[WebhookEvent.CASE_BREACHED])
    ticket = _answer(django_capture_on_commit_callbacks, team=team, score=5)
    assert receiver.received == []  # not critical, and this channel only wants breaches

    with time_machine.travel(ticket.first_contact_due_at + timedelta(minutes=5), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            tickets_check_deadlines_task()

    [(path, body)] = receiver.received
    assert path == "/teams"
    card = body["attachments"][0]["content"]
    assert card["body"][0]["text"] == f"Case {ticket.reference} missed its first-contact deadline"


def test_a_customer_reply_on_the_reply_page_alerts_the_team(
    client, agent, receiver, team, django_capture_on_commit_callbacks
):
    _destination(team, ChatPlatform.MATTERMOST, receiver.base_url, events=[WebhookEvent.CASE_CUSTOMER_REPLIED])
    ticket = _answer(django_capture_on_commit_callbacks, team=team, score=1)
    with django_capture_on_commit_callbacks(execute=True):
        message = conversation_services.message_reply_send(ticket=ticket, actor=agent, subject="Sorry", body="Hello")
    assert receiver.received == []

    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(
            reverse("conversations:customer_reply", args=[message.reply_token]), {"body": "Still broken"}
        )
    assert reply.status_code in (200, 302)

    [(path, body)] = receiver.received
    assert path == "/mattermost"
    assert body["attachments"][0]["title"] == f"The customer replied on case {ticket.reference}"


def test_a_customer_reply_is_also_a_signed_webhook_event(client, agent, team, django_capture_on_commit_callbacks):
    standard = WebhookSubscription.objects.create(
        name="CRM", url="http://127.0.0.1:9/hook", events=["case.customer_replied"], allow_private_addresses=True
    )
    ticket = _answer(django_capture_on_commit_callbacks, team=team, score=1)
    with django_capture_on_commit_callbacks(execute=True):
        message = conversation_services.message_reply_send(ticket=ticket, actor=agent, subject="Sorry", body="Hello")
    with mock.patch("integrations.webhooks._http_post") as post:
        post.return_value = mock.Mock(status_code=204, reason="")
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("conversations:customer_reply", args=[message.reply_token]), {"body": "Still broken"})

    [delivery] = WebhookDelivery.objects.filter(subscription=standard)
    assert (delivery.event, delivery.status) == ("case.customer_replied", DeliveryStatus.SUCCEEDED)
    assert delivery.payload["data"]["case"]["id"] == str(ticket.public_id)
    assert "webhook-signature" in post.call_args.kwargs["headers"]


def test_a_failing_destination_is_retried_and_never_delays_the_case(receiver, team, django_capture_on_commit_callbacks):
    _destination(team, ChatPlatform.SLACK, receiver.base_url)
    receiver.handler.status = 500

    ticket = _answer(django_capture_on_commit_callbacks, team=team, score=3)

    assert ticket is not None and ticket.status == "new"
    [delivery] = _chat_deliveries()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.PENDING, 1, 500)
    assert delivery.next_attempt_at > timezone.now()

    receiver.handler.status = 200
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1), tick=False):
        webhook_deliveries_retry_task()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    assert len(receiver.received) == 2


def test_an_alert_that_cannot_be_built_does_not_fail_the_case(team, django_capture_on_commit_callbacks):
    _destination(team, ChatPlatform.SLACK, "http://127.0.0.1:9")
    with mock.patch("chatalerts.alerts.message_for", side_effect=RuntimeError("bug")):
        ticket = _answer(django_capture_on_commit_callbacks, team=team, score=0)
    assert ticket is not None
    assert not _chat_deliveries().exists()


def test_an_unreachable_destination_does_not_fail_the_case(team, django_capture_on_commit_callbacks):
    # Port 9 (discard) refuses the connection: the attempt fails after the commit, the case stands.
    _destination(team, ChatPlatform.SLACK, "http://127.0.0.1:9")
    ticket = _answer(django_capture_on_commit_callbacks, team=team, score=0)
    assert ticket is not None
    [delivery] = _chat_deliveries()
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_error


def test_webhook_subscriptions_get_the_signed_event_not_the_chat_message(
    receiver, team, django_capture_on_commit_callbacks
):
    _destination(team, ChatPlatform.SLACK, receiver.base_url)
    standard = WebhookSubscription.objects.create(
        name="CRM", url="http://127.0.0.1:9/hook", events=["case.opened"], allow_private_addresses=True
    )
    with mock.patch("integrations.webhooks._http_post") as post:
        post.return_value = mock.Mock(status_code=204, reason="")
        _answer(django_capture_on_commit_callbacks, team=team, score=0)
    [standard_delivery] = WebhookDelivery.objects.filter(subscription=standard)
    assert set(standard_delivery.payload) == {"id", "event", "created_at", "data"}
    chat_call = next(c for c in post.call_args_list if c.args[0].endswith("/slack"))
    assert "webhook-signature" not in chat_call.kwargs["headers"]
    assert set(json.loads(chat_call.kwargs["data"])) == {"text", "blocks"}


# --- Django admin -----------------------------------------------------------------------------------


def _admin_post(client, team, url, **extra):
    data = {
        "name": "Paris on Slack",
        "team": team.pk,
        "platform": "slack",
        "url": url,
        "events": [WebhookEvent.CASE_OPENED, WebhookEvent.CASE_BREACHED],
        "is_active": "on",
        **extra,
    }
    return client.post(reverse("admin:chatalerts_chatdestination_add"), data)


def test_admin_refuses_a_private_url_unless_allowed(admin_client, team):
    refused = _admin_post(admin_client, team, "http://127.0.0.1:8080/hooks/x")
    assert refused.status_code == 200
    assert "private, loopback or reserved address" in refused.content.decode()
    assert not ChatDestination.objects.exists()

    saved = _admin_post(admin_client, team, "http://127.0.0.1:8080/hooks/x", allow_private_addresses="on")
    assert saved.status_code == 302
    destination = ChatDestination.objects.get()
    assert (destination.kind, destination.events) == ("chat", ["case.opened", "case.breached"])
    # Not listed among the Standard Webhooks subscriptions; its deliveries are in the same log.
    listing = admin_client.get(reverse("admin:integrations_webhooksubscription_changelist"))
    assert listing.context["cl"].result_count == 0


def test_admin_refuses_an_event_that_is_not_a_chat_alert(admin_client, team):
    reply = _admin_post(
        admin_client, team, "http://127.0.0.1:8080/x", allow_private_addresses="on", events=["case.resolved"]
    )
    assert reply.status_code == 200
    assert not ChatDestination.objects.exists()


def test_admin_labels_are_in_french(admin_client, team):
    admin_client.cookies["django_language"] = "fr"
    with override("fr"):
        page = admin_client.get(reverse("admin:chatalerts_chatdestination_add"), HTTP_ACCEPT_LANGUAGE="fr")
        assert str(ChatDestination._meta.verbose_name) == "destination de discussion"
    content = page.content.decode()
    for label in ("Plateforme de discussion", "Nouveau détracteur critique (note de 0 à 3)", "Alertes"):
        assert label in content, label


# --- Privacy ----------------------------------------------------------------------------------------


def test_erasing_the_customer_empties_their_chat_alerts_and_stops_one_not_yet_sent(
    receiver, team, admin_user, django_capture_on_commit_callbacks
):
    from privacy.services import customer_erase

    _destination(team, ChatPlatform.SLACK, receiver.base_url)
    failing = _destination(team, ChatPlatform.MATTERMOST, "http://127.0.0.1:9")
    jeanne = CustomerFactory(first_name="Jeanne", last_name="Dupont")
    ticket = _answer(django_capture_on_commit_callbacks, team=team, customer=jeanne, comment="Mon colis")
    paul = CustomerFactory(first_name="Paul", last_name="Durand")
    someone_else = _answer(django_capture_on_commit_callbacks, team=team, customer=paul, comment="Autre chose")

    customer_erase(customer=jeanne, actor=admin_user)

    sent, pending = (
        _chat_deliveries().filter(payload={}).order_by("id"),
        _chat_deliveries().filter(subscription_id=failing.pk, payload={}),
    )
    assert sent.count() == 2
    [not_sent] = pending
    assert (not_sent.status, not_sent.next_attempt_at) == (DeliveryStatus.FAILED, None)
    assert "erased" in not_sent.last_error
    logged = json.dumps(list(_chat_deliveries().values_list("payload", flat=True)), ensure_ascii=False)
    assert "Jeanne" not in logged and "Mon colis" not in logged
    assert "Paul Durand" in logged and "Autre chose" in logged
    # Another customer's alerts are left alone.
    others = [d for d in _chat_deliveries() if d.payload]
    assert len(others) == 2 and all(str(someone_else.public_id) in json.dumps(d.payload) for d in others)
    assert ticket.public_id != someone_else.public_id


def test_admin_list_of_destinations_makes_the_same_queries_for_one_or_many(
    admin_client, team, other_team, django_assert_num_queries
):
    url = reverse("admin:chatalerts_chatdestination_changelist")
    _destination(team, ChatPlatform.SLACK, "http://127.0.0.1:9")
    admin_client.get(url)  # the session and permissions, cached from here on
    with django_assert_num_queries(QUERIES := 7) as one:
        admin_client.get(url)
    for platform in ChatPlatform.values:
        _destination(other_team, platform, "http://127.0.0.1:9")
    with django_assert_num_queries(QUERIES) as many:
        page = admin_client.get(url)
    assert page.context["cl"].result_count == 5
    assert len(one.captured_queries) == len(many.captured_queries)
