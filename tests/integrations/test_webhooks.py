import hashlib
import hmac
import ipaddress
import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from unittest import mock

import pytest
import requests
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from followups import services as followup_services
from integrations import events, webhooks
from integrations.choices import DeliveryStatus, WebhookEvent
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.tasks import webhook_deliver_task, webhook_deliveries_retry_task
from surveys import services as survey_services
from tests.factories import ResponseFactory, SurveyFactory
from tests.pages import thanked

PUBLIC_IP = "93.184.216.34"
# The only names these tests resolve; anything else fails like an unknown host. No DNS, no network.
FAKE_DNS = {
    "hooks.example.com": [PUBLIC_IP],
    "sneaky.example.com": ["127.0.0.1"],
    "split.example.com": [PUBLIC_IP, "10.0.0.7"],
}


def _fake_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if host not in FAKE_DNS:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        addresses = FAKE_DNS[host]
    infos = []
    for address in addresses:
        if ipaddress.ip_address(address).version == 6:
            infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
        else:
            infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
    return infos


@pytest.fixture(autouse=True)
def _no_dns():
    with mock.patch("socket.getaddrinfo", _fake_getaddrinfo):
        yield


def _reply(status: int, reason: str = "") -> mock.Mock:
    return mock.Mock(status_code=status, reason=reason)


@pytest.fixture
def http_post():
    """The HTTP call, answering 204 unless a test says otherwise."""
    with mock.patch("integrations.webhooks._http_post", return_value=_reply(204, "No Content")) as post:
        yield post


def _subscription(**fields) -> WebhookSubscription:
    fields = {"name": "CRM", "url": "https://hooks.example.com/npsapp", "events": list(WebhookEvent.values)} | fields
    return WebhookSubscription.objects.create(**fields)


def _emit_committed(capture, event=WebhookEvent.CASE_OPENED, data=None) -> list[WebhookDelivery]:
    with capture(execute=True):
        with transaction.atomic():
            deliveries = events.emit(event, lambda: data or {"case": {"id": "x"}})
    return deliveries


def _sent_headers(post) -> dict:
    return post.call_args.kwargs["headers"]


# --- Payload and signature (no database) -----------------------------------------------------------


def test_signature_is_hmac_sha256_of_timestamp_dot_body_as_documented():
    payload = webhooks.payload_build(
        event_id="e1", event="case.opened", created_at=timezone.now(), data={"score": 2, "comment": "Très déçu"}
    )
    body = webhooks.body_encode(payload)
    headers = webhooks.headers_build(
        secret="s3cret", event="case.opened", event_id="e1", delivery_id="d1", timestamp=1700000000, body=body
    )

    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert headers["X-Npsapp-Signature"] == f"sha256={expected}"
    assert headers["X-Npsapp-Timestamp"] == "1700000000"
    assert (headers["X-Npsapp-Event"], headers["X-Npsapp-Delivery"]) == ("case.opened", "d1")
    assert headers["Content-Type"] == "application/json"
    # Another secret or a changed body does not verify.
    assert headers["X-Npsapp-Signature"] != webhooks.signature(secret="other", timestamp=1700000000, body=body)
    assert headers["X-Npsapp-Signature"] != webhooks.signature(secret="s3cret", timestamp=1700000000, body=body + b" ")


def test_body_is_compact_json_with_sorted_keys():
    body = webhooks.body_encode({"id": "1", "event": "x", "data": {"b": 1, "a": [1, 2]}})
    assert body == b'{"data":{"a":[1,2],"b":1},"event":"x","id":"1"}'


def test_retry_delays_double_from_one_minute_and_are_capped_at_six_hours():
    delays = [webhooks.retry_delay(attempts) for attempts in range(1, 8)]
    assert delays == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 64)]
    assert webhooks.retry_delay(20) == timedelta(hours=6)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.1.2.3:8080/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
        "http://224.0.0.1/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://[fc00::1]/hook",
        "http://[64:ff9b::7f00:1]/hook",
        "http://[2002:a00:1::1]/hook",
        # 6to4 and NAT64 are refused whatever IPv4 address they lead to, as the connection filter does.
        "http://[2002:5db8:d822::1]/hook",
        "http://[64:ff9b::5db8:d822]/hook",
        "https://sneaky.example.com/hook",
        "https://split.example.com/hook",
    ],
)
def test_private_loopback_and_reserved_addresses_are_refused_unless_allowed(url):
    with pytest.raises(webhooks.AddressRefused, match="private"):
        webhooks.url_check(url, allow_private=False)
    webhooks.url_check(url, allow_private=True)


@pytest.mark.parametrize(
    "url", ["ftp://hooks.example.com/x", "file:///etc/passwd", "gopher://hooks.example.com/", "http:///x"]
)
def test_only_http_and_https_urls_with_a_host(url):
    with pytest.raises(webhooks.AddressRefused):
        webhooks.url_check(url, allow_private=True)


def test_a_public_host_passes_and_an_unknown_one_is_a_lookup_error():
    webhooks.url_check("https://hooks.example.com/npsapp", allow_private=False)
    webhooks.url_check("https://[2606:4700:4700::1111]/npsapp", allow_private=False)
    with pytest.raises(OSError):
        webhooks.url_check("https://nowhere.invalid/npsapp", allow_private=False)


# --- The outbox --------------------------------------------------------------------------------------


def test_emit_queues_one_delivery_per_active_subscription_wanting_the_event(
    db, http_post, django_capture_on_commit_callbacks
):
    crm = _subscription(name="CRM", events=["case.opened", "case.resolved"])
    _subscription(name="BI", events=["response.created"])
    _subscription(name="Old", events=["case.opened"], is_active=False)

    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            deliveries = events.emit("case.opened", lambda: {"case": {"id": "abc"}})
        assert http_post.call_count == 0  # rows only, no call before the commit
    assert [d.subscription for d in deliveries] == [crm]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.status, delivery.attempts) == ("case.opened", DeliveryStatus.PENDING, 0)
    assert delivery.payload["data"] == {"case": {"id": "abc"}}
    assert delivery.payload["id"] == str(delivery.public_id)
    assert len(callbacks) == 1


def test_the_payload_is_built_only_when_a_subscription_wants_the_event(db):
    build_data = mock.Mock(return_value={"case": {"id": "abc"}})
    assert events.emit("case.opened", build_data) == []
    _subscription(name="Resolved only", events=["case.resolved"])
    assert events.emit("case.opened", build_data) == []
    build_data.assert_not_called()  # nobody wants it: the case's survey and customer are not read
    _subscription(name="CRM", events=["case.opened"])
    [delivery] = events.emit("case.opened", build_data)
    build_data.assert_called_once_with()
    assert delivery.payload["data"] == {"case": {"id": "abc"}}


def test_a_rolled_back_change_sends_nothing(db, http_post, django_capture_on_commit_callbacks):
    _subscription()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                events.emit("case.opened", dict)
                raise RuntimeError("the change failed")
    assert not WebhookDelivery.objects.exists()
    assert callbacks == [] and http_post.call_count == 0


def test_emit_never_raises_to_the_caller(db, http_post, django_capture_on_commit_callbacks):
    _subscription()
    with mock.patch.object(WebhookDelivery.objects, "bulk_create", side_effect=RuntimeError("disk full")):
        with transaction.atomic():
            assert events.emit("case.opened", dict) == []
            SurveyFactory(name="Still writable")  # the caller's transaction goes on
    assert not WebhookDelivery.objects.exists()


def _subscription_queries(event=WebhookEvent.RESPONSE_CREATED) -> tuple[list, int]:
    with CaptureQueriesContext(connection) as queries:
        deliveries = events.emit(event, dict)
    return deliveries, sum('"integrations_webhooksubscription"' in q["sql"] for q in queries.captured_queries)


def test_with_no_subscription_the_outbox_stops_asking_the_database(db):
    assert _subscription_queries() == ([], 1)
    assert _subscription_queries() == ([], 0)  # remembered: an answer skips the query


def test_a_new_or_changed_subscription_is_seen_at_once(db):
    _subscription_queries()
    crm = _subscription(events=["response.created"])
    deliveries, queried = _subscription_queries()
    assert [d.subscription for d in deliveries] == [crm] and queried == 1
    crm.is_active = False
    crm.save()
    assert _subscription_queries() == ([], 1)
    crm.delete()
    assert _subscription_queries() == ([], 1)


def _a_second_later():
    return mock.patch("integrations.events.time.monotonic", return_value=time.monotonic() + events.RECHECK_AFTER)


def test_a_subscription_saved_by_another_process_is_seen_within_a_second(db):
    assert _subscription_queries() == ([], 1)
    remembered = events._none_active  # this process remembers that none is active
    crm = _subscription(events=["response.created"])  # saved by another process: the shared generation moves
    events._none_active = remembered  # ... and this one heard nothing of it itself
    assert _subscription_queries() == ([], 0)  # the generation is read at most once a second
    with _a_second_later():
        deliveries, queried = _subscription_queries()
    assert [d.subscription for d in deliveries] == [crm] and queried == 1
    crm.delete()
    assert _subscription_queries() == ([], 1)
    remembered = events._none_active
    _subscription(events=["response.created"], is_active=False)  # a change elsewhere, even an inactive one
    events._none_active = remembered
    with _a_second_later():
        assert _subscription_queries() == ([], 1)


def test_within_the_second_the_generation_is_not_read_again(db):
    _subscription_queries()
    with mock.patch.object(events.SUBSCRIPTIONS, "current", side_effect=AssertionError("read")):
        assert _subscription_queries() == ([], 0)


def test_a_subscription_written_without_a_signal_is_seen_within_seconds(db):
    _subscription_queries()
    # bulk_create sends no signal: as if another web process had saved it.
    crm = WebhookSubscription.objects.bulk_create(
        [WebhookSubscription(name="CRM", url="https://hooks.example.com/npsapp", events=["response.created"])]
    )[0]
    assert _subscription_queries() == ([], 0)
    later = time.monotonic() + events.NONE_ACTIVE_FOR
    with mock.patch("integrations.events.time.monotonic", return_value=later):
        assert [d.subscription.pk for d in _subscription_queries()[0]] == [crm.pk]


def test_a_receiver_down_does_not_fail_the_customers_answer(client, invitation, django_capture_on_commit_callbacks):
    _subscription(events=["response.created"])
    survey_url = reverse("surveys:respond", args=[invitation.token])
    with mock.patch("integrations.webhooks._http_post", side_effect=requests.ConnectionError("refused")):
        with django_capture_on_commit_callbacks(execute=True):
            reply = client.post(survey_url, {"score": "9", "comment": "Super"})
    assert thanked(reply)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert "refused" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)


def test_response_created_payload_has_public_ids(invitation, customer, http_post, django_capture_on_commit_callbacks):
    _subscription(events=["response.created"])
    with django_capture_on_commit_callbacks(execute=True):
        response = survey_services.response_submit(invitation=invitation, score=3, comment="Late")
    payload = json.loads(http_post.call_args.kwargs["data"])
    assert payload["event"] == "response.created"
    assert payload["data"]["response"]["id"] == str(response.public_id)
    assert (payload["data"]["response"]["score"], payload["data"]["response"]["comment"]) == (3, "Late")
    assert payload["data"]["response"]["segment"] == "detractor"
    assert payload["data"]["survey"]["id"] == str(invitation.survey.public_id)
    assert payload["data"]["customer"] == {"external_id": customer.external_id}


def test_a_correction_is_sent_with_the_answer_it_replaced(
    invitation, customer, http_post, django_capture_on_commit_callbacks
):
    _subscription(events=["response.corrected"])
    response = survey_services.response_submit(invitation=invitation, score=3, comment="Late")
    assert http_post.call_count == 0  # this subscription did not ask for response.created
    with django_capture_on_commit_callbacks(execute=True):
        survey_services.response_correct(response=response, score=8, comment="Late, but they called me")
    payload = json.loads(http_post.call_args.kwargs["data"])
    assert payload["event"] == "response.corrected"
    corrected = payload["data"]["response"]
    assert (corrected["id"], corrected["score"], corrected["segment"]) == (str(response.public_id), 8, "passive")
    assert corrected["comment"] == "Late, but they called me" and corrected["corrected_at"] is not None
    assert payload["data"]["previous"] == {
        "score": 3,
        "segment": "detractor",
        "answered_at": response.submitted_at.isoformat(),
    }
    assert payload["data"]["customer"] == {"external_id": customer.external_id}


def test_anonymous_survey_payload_has_no_customer(customer, http_post, django_capture_on_commit_callbacks):
    _subscription(events=["response.created"])
    invitation = survey_services.invitation_create(survey=SurveyFactory(is_anonymous=True), customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        survey_services.response_submit(invitation=invitation, score=8)
    payload = json.loads(http_post.call_args.kwargs["data"])
    assert "customer" not in payload["data"]
    assert customer.external_id not in http_post.call_args.kwargs["data"].decode()


def test_case_opened_once_per_case_and_resolved_on_resolve(db, agent, http_post, django_capture_on_commit_callbacks):
    _subscription(events=["case.opened", "case.resolved"])
    response = ResponseFactory(score=1, comment="Broken")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = followup_services.ticket_open_for_response(response=response)
        followup_services.ticket_open_for_response(response=response)  # already open: nothing new
    opened = WebhookDelivery.objects.get(event="case.opened")
    case = opened.payload["data"]["case"]
    assert case["id"] == str(ticket.public_id)
    assert case["first_contact_due_at"] == ticket.first_contact_due_at.isoformat()
    assert opened.payload["data"]["response"]["id"] == str(response.public_id)

    with django_capture_on_commit_callbacks(execute=True):
        followup_services.ticket_resolve(ticket=ticket, actor=agent, outcome="recovered")
    resolved = WebhookDelivery.objects.get(event="case.resolved")
    assert resolved.payload["data"]["case"]["status"] == "resolved"
    assert resolved.payload["data"]["case"]["outcome"] == "recovered"
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 2


# --- Delivery --------------------------------------------------------------------------------------


def test_a_2xx_reply_marks_the_delivery_delivered(db, http_post, django_capture_on_commit_callbacks):
    subscription = _subscription()
    [delivery] = _emit_committed(django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert (delivery.response_status, delivery.attempts, delivery.last_error) == (204, 1, "")
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None

    kwargs = http_post.call_args.kwargs
    assert http_post.call_args.args == (subscription.url,)
    assert kwargs["timeout"] == (3, 10) and kwargs["allow_redirects"] is False
    headers = kwargs["headers"]
    assert headers["X-Npsapp-Delivery"] == str(delivery.public_id)
    Webhook(subscription.secret).verify(kwargs["data"], headers)
    signed = headers["X-Npsapp-Timestamp"].encode() + b"." + kwargs["data"]
    expected = hmac.new(webhooks.signing_key(subscription.secret), signed, hashlib.sha256).hexdigest()
    assert headers["X-Npsapp-Signature"] == f"sha256={expected}"


def test_an_error_status_is_stored_and_retried_later(db, http_post, django_capture_on_commit_callbacks):
    _subscription()
    http_post.return_value = _reply(500, "Internal Server Error")
    [delivery] = _emit_committed(django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert (delivery.response_status, delivery.last_error) == (500, "HTTP 500 Internal Server Error")


def test_redirects_are_not_followed(db, http_post, django_capture_on_commit_callbacks):
    _subscription()
    http_post.return_value = _reply(301, "Moved Permanently")
    [delivery] = _emit_committed(django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.response_status == 301
    assert "redirects are not followed" in delivery.last_error


def test_retries_back_off_then_fail_permanently_after_eight_attempts(db, http_post, django_capture_on_commit_callbacks):
    _subscription()
    http_post.side_effect = requests.Timeout("read timed out")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        [delivery] = _emit_committed(django_capture_on_commit_callbacks)
        waits = []
        for _attempt in range(7):
            delivery.refresh_from_db()
            assert delivery.status == DeliveryStatus.PENDING
            wait = delivery.next_attempt_at - timezone.now()
            waits.append(wait)
            clock.shift(wait - timedelta(seconds=1))
            assert webhook_deliveries_retry_task() == 0  # not due yet: no attempt
            clock.shift(timedelta(seconds=1))
            assert webhook_deliveries_retry_task() == 1
        delivery.refresh_from_db()
        assert webhook_deliveries_retry_task() == 0

    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 64)]
    assert http_post.call_count == webhooks.MAX_ATTEMPTS == 8
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 8, None)
    assert "read timed out" in delivery.last_error


def test_running_the_task_twice_or_concurrently_posts_once(db, http_post, django_capture_on_commit_callbacks):
    _subscription()
    with django_capture_on_commit_callbacks():  # the published task does not run
        [delivery] = events.emit("case.opened", dict)

    def second_worker_meanwhile(*args, **kwargs):
        webhook_deliver_task(delivery.id)  # claimed by the first: does nothing
        return _reply(200, "OK")

    http_post.side_effect = second_worker_meanwhile
    webhook_deliver_task(delivery.id)
    webhook_deliver_task(delivery.id)
    assert http_post.call_count == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)


def test_a_task_for_a_deleted_delivery_returns_quietly(db, http_post):
    webhook_deliver_task(987654)
    assert http_post.call_count == 0


def test_a_lost_message_is_sent_by_the_beat_task(db, http_post, django_capture_on_commit_callbacks):
    _subscription()
    with mock.patch.object(webhook_deliver_task, "apply_async", side_effect=OSError("broker down")):
        [delivery] = _emit_committed(django_capture_on_commit_callbacks)
    assert http_post.call_count == 0
    assert webhook_deliveries_retry_task() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://10.0.0.5/hook", "https://sneaky.example.com/hook"])
def test_a_private_address_at_delivery_time_fails_permanently_without_a_call(
    db, http_post, url, django_capture_on_commit_callbacks
):
    # Saved when allowed (or when DNS said otherwise), refused when the attempt is made.
    _subscription(url=url)
    [delivery] = _emit_committed(django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert http_post.call_count == 0
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 1, None)
    assert "private, loopback or reserved address" in delivery.last_error


def test_a_deactivated_subscription_gets_no_call(db, http_post, django_capture_on_commit_callbacks):
    subscription = _subscription()
    with django_capture_on_commit_callbacks():
        [delivery] = events.emit("case.opened", dict)
    WebhookSubscription.objects.filter(id=subscription.id).update(is_active=False)
    webhook_deliver_task(delivery.id)
    delivery.refresh_from_db()
    assert http_post.call_count == 0
    assert delivery.status == DeliveryStatus.FAILED
    assert "deactivated" in delivery.last_error


def test_a_real_delivery_to_a_local_receiver(db, monkeypatch, django_capture_on_commit_callbacks):
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        subscription = _subscription(url=f"http://127.0.0.1:{server.server_port}/hook", allow_private_addresses=True)
        [delivery] = _emit_committed(django_capture_on_commit_callbacks, data={"case": {"id": "abc"}})
    finally:
        server.shutdown()
        server.server_close()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.SUCCEEDED, 202)
    [(headers, body)] = received
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Npsapp-Event"] == "case.opened"
    assert headers["X-Npsapp-Delivery"] == str(delivery.public_id)
    assert abs(int(headers["X-Npsapp-Timestamp"]) - timezone.now().timestamp()) < 60
    # Standard Webhooks: the ready-made library verifies it (and refuses a changed body).
    Webhook(subscription.secret).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(subscription.secret).verify(body.replace(b"abc", b"abd"), headers)
    assert headers["webhook-id"] == json.loads(body)["id"]
    # The earlier header, for receivers set up before: keyed by the secret's decoded bytes.
    signed = headers["X-Npsapp-Timestamp"].encode() + b"." + body
    key = webhooks.signing_key(subscription.secret)
    expected = "sha256=" + hmac.new(key, signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Npsapp-Signature"], expected)
    assert json.loads(body) == {
        "id": str(delivery.public_id),
        "event": "case.opened",
        "created_at": delivery.created_at.isoformat(),
        "data": {"case": {"id": "abc"}},
    }


# --- Admin ------------------------------------------------------------------------------------------


def test_replay_sends_a_new_delivery_with_the_same_payload(
    client, admin_user, http_post, django_capture_on_commit_callbacks
):
    _subscription()
    http_post.return_value = _reply(503, "Service Unavailable")
    [original] = _emit_committed(django_capture_on_commit_callbacks)
    http_post.return_value = _reply(200, "OK")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(
            reverse("admin:integrations_webhookdelivery_changelist"),
            {"action": "replay_selected", "_selected_action": [original.pk]},
        )
    assert reply.status_code == 302
    replay = WebhookDelivery.objects.exclude(id=original.id).get()
    original.refresh_from_db()
    assert replay.payload == original.payload
    assert replay.replay_of == original
    assert (replay.status, replay.response_status) == (DeliveryStatus.SUCCEEDED, 200)
    assert (original.status, original.attempts) == (DeliveryStatus.PENDING, 1)  # untouched, still on its schedule
    assert _sent_headers(http_post)["X-Npsapp-Delivery"] == str(replay.public_id)
    # The event keeps its id: receivers skip what they already processed.
    assert _sent_headers(http_post)["webhook-id"] == str(original.public_id)
    assert json.loads(http_post.call_args.kwargs["data"])["id"] == str(original.public_id)


def test_delivery_log_is_read_only_with_constant_queries(
    client, admin_user, http_post, django_capture_on_commit_callbacks, django_assert_num_queries
):
    _subscription(name="CRM")
    _emit_committed(django_capture_on_commit_callbacks)
    client.force_login(admin_user)
    url = reverse("admin:integrations_webhookdelivery_changelist")
    page = client.get(url, {"status": "succeeded"})
    assert page.status_code == 200
    assert "CRM" in page.content.decode() and "Replay selected deliveries" in page.content.decode()
    with django_assert_num_queries(pinned := len(_queries_of(client, url))):
        client.get(url)
    _emit_committed(django_capture_on_commit_callbacks)
    _emit_committed(django_capture_on_commit_callbacks)
    with django_assert_num_queries(pinned):
        client.get(url)
    assert client.get(reverse("admin:integrations_webhookdelivery_add")).status_code == 403


def _queries_of(client, url):
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return queries.captured_queries


def test_subscription_admin_refuses_a_loopback_url_unless_allowed(client, admin_user):
    client.force_login(admin_user)
    add_url = reverse("admin:integrations_webhooksubscription_add")
    form = {
        "name": "Internal",
        "url": "http://127.0.0.1:8080/hook",
        "events": ["case.opened", "case.breached"],
        "is_active": "on",
    }

    page = client.post(add_url, form)
    assert page.status_code == 200
    assert "private, loopback or reserved address" in page.content.decode()
    assert not WebhookSubscription.objects.exists()

    assert client.post(add_url, form | {"allow_private_addresses": "on"}).status_code == 302
    subscription = WebhookSubscription.objects.get()
    assert subscription.events == ["case.opened", "case.breached"]
    change = client.get(reverse("admin:integrations_webhooksubscription_change", args=[subscription.pk]))
    html = change.content.decode()
    assert subscription.secret in html
    assert html.count('type="checkbox" name="events"') == len(WebhookEvent.values)


def test_subscription_needs_known_events_and_a_resolvable_host(db):
    subscription = WebhookSubscription(name="x", url="https://nowhere.invalid/x", events=["case.deleted"])
    with pytest.raises(ValidationError) as error:
        subscription.full_clean()
    assert set(error.value.message_dict) == {"url", "events"}


def test_delivery_page_shows_the_payload_escaped(client, admin_user, http_post, django_capture_on_commit_callbacks):
    _subscription()
    [delivery] = _emit_committed(django_capture_on_commit_callbacks, data={"comment": "<script>alert(1)</script>"})
    client.force_login(admin_user)
    page = client.get(reverse("admin:integrations_webhookdelivery_change", args=[delivery.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert str(delivery.public_id) in html
    assert 'name="_save"' not in html  # read-only


def test_an_attempt_whose_worker_died_counts_and_the_last_one_gives_up(db, http_post):
    subscription = _subscription()
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event="case.opened",
        payload={},
        attempts=webhooks.MAX_ATTEMPTS,  # the 8th was claimed, then its worker was killed
        next_attempt_at=timezone.now(),
    )
    webhook_deliver_task(delivery.id)
    delivery.refresh_from_db()
    assert http_post.call_count == 0
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 8, None)
    assert delivery.last_error == "No result was recorded for the last attempt."


def test_a_subscription_deleted_during_an_attempt_is_no_error(db, http_post, django_capture_on_commit_callbacks):
    subscription = _subscription()
    with django_capture_on_commit_callbacks():
        [delivery] = events.emit("case.opened", dict)
    http_post.side_effect = lambda *args, **kwargs: subscription.delete() and _reply(200)
    webhook_deliver_task(delivery.id)
    assert http_post.call_count == 1
    assert not WebhookDelivery.objects.exists()
