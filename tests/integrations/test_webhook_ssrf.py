"""Webhook SSRF: a URL that points the server at itself or its network must reach nothing.

Each attack is sent for real, through the delivery task, at a listener on 127.0.0.1: it must
receive nothing, and the delivery log must show the refusal instead of the listener's status.
The resolver is faked (no DNS, no network): names resolve from a table, numeric hosts
(decimal, octal, hexadecimal, IPv6) through the system's own numeric parser.
"""

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from integrations import events, webhooks
from integrations.choices import DeliveryStatus, WebhookEvent
from integrations.models import WebhookDelivery, WebhookSubscription

PUBLIC_IP = "93.184.216.34"
REAL_GETADDRINFO = socket.getaddrinfo


class FakeDns:
    """Names from a table; a name given two answers gives the first once, then the second."""

    def __init__(self):
        self.answers: dict[str, list[str]] = {"hooks.example.com": [PUBLIC_IP]}
        self.lookups: list[str] = []

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        self.lookups.append(host)
        try:
            return REAL_GETADDRINFO(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        except socket.gaierror:
            pass
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = self.answers[host]
        address = answers.pop(0) if len(answers) > 1 else answers[0]
        return REAL_GETADDRINFO(address, port, family, type, proto, socket.AI_NUMERICHOST)


@pytest.fixture(autouse=True)
def dns():
    fake = FakeDns()
    with mock.patch("socket.getaddrinfo", fake.getaddrinfo):
        yield fake


@pytest.fixture
def listener(monkeypatch):
    """An HTTP server on the loopback, answering 200 and counting the requests it gets."""
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.received = received
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _deliver(url: str, capture, *, allow_private: bool = False) -> WebhookDelivery:
    """A subscription saved as if its URL had passed the check (objects.create skips clean), then one event."""
    WebhookSubscription.objects.create(
        name="Receiver", url=url, events=[WebhookEvent.CASE_OPENED], allow_private_addresses=allow_private
    )
    with capture(execute=True):
        with transaction.atomic():
            [delivery] = events.emit(WebhookEvent.CASE_OPENED, lambda: {"case": {"id": "x"}})
    delivery.refresh_from_db()
    return delivery


def _assert_refused(delivery: WebhookDelivery, listener) -> None:
    assert listener.received == []
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.response_status is None  # the log tells nothing about the port


# --- The URL check, as the admin form and each attempt run it -----------------------------------------


def test_a_backslash_before_userinfo_cannot_hide_the_loopback_host(db):
    # urlsplit reads the host as 1.1.1.1; the HTTP client connects to 127.0.0.1:8302.
    url = "http://127.0.0.1:8302\\@1.1.1.1/"
    with pytest.raises(webhooks.AddressRefused, match="backslash"):
        webhooks.url_check(url, allow_private=False)
    subscription = WebhookSubscription(name="x", url=url, events=[WebhookEvent.CASE_OPENED])
    with pytest.raises(ValidationError) as error:
        subscription.clean()
    assert "backslash" in str(error.value.message_dict["url"])


@pytest.mark.parametrize(
    "url", ["https://user:secret@hooks.example.com/hook", "https://hooks.example.com@127.0.0.1/hook", "http://a@b@c/"]
)
def test_a_user_name_or_password_in_the_url_is_refused(url):
    with pytest.raises(webhooks.AddressRefused, match="user name"):
        webhooks.url_check(url, allow_private=True)


def test_a_host_resolving_to_the_loopback_at_save_time_is_refused(db, dns):
    dns.answers["inside.example.com"] = ["127.0.0.1"]
    subscription = WebhookSubscription(
        name="x", url="https://inside.example.com/hook", events=[WebhookEvent.CASE_OPENED]
    )
    with pytest.raises(ValidationError) as error:
        subscription.clean()
    assert "private, loopback or reserved" in str(error.value.message_dict["url"])


@pytest.mark.parametrize(
    "host",
    ["2130706433", "0177.0.0.1", "0x7f.0.0.1", "127.1", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0::1]"],
)
def test_numeric_spellings_of_the_loopback_are_refused(host):
    with pytest.raises(webhooks.AddressRefused, match="private"):
        webhooks.url_check(f"http://{host}:8302/hook", allow_private=False)


# --- Sent for real at a loopback listener ----------------------------------------------------------------


def test_the_backslash_url_reaches_nothing(db, listener, django_capture_on_commit_callbacks):
    url = f"http://127.0.0.1:{listener.server_port}\\@1.1.1.1/"
    delivery = _deliver(url, django_capture_on_commit_callbacks)
    _assert_refused(delivery, listener)
    assert "backslash" in delivery.last_error


def test_a_user_name_before_a_loopback_host_reaches_nothing(db, listener, django_capture_on_commit_callbacks):
    delivery = _deliver(
        f"http://hooks.example.com@127.0.0.1:{listener.server_port}/", django_capture_on_commit_callbacks
    )
    _assert_refused(delivery, listener)


def test_dns_rebinding_public_when_checked_then_loopback_when_connecting_reaches_nothing(
    db, dns, listener, django_capture_on_commit_callbacks
):
    # The attacker's DNS answers a public address to the check, then the loopback (TTL 0).
    dns.answers["rebind.example.com"] = [PUBLIC_IP, "127.0.0.1"]
    url = f"http://rebind.example.com:{listener.server_port}/hook"
    webhooks.url_check(url, allow_private=False)  # what the admin form saw
    dns.answers["rebind.example.com"] = [PUBLIC_IP, "127.0.0.1"]

    delivery = _deliver(url, django_capture_on_commit_callbacks)

    _assert_refused(delivery, listener)
    assert "127.0.0.1" in delivery.last_error


@pytest.mark.parametrize("host", ["2130706433", "0177.0.0.1", "0x7f000001", "[::ffff:127.0.0.1]"])
def test_numeric_spellings_of_the_loopback_reach_nothing(db, listener, host, django_capture_on_commit_callbacks):
    delivery = _deliver(f"http://{host}:{listener.server_port}/hook", django_capture_on_commit_callbacks)
    _assert_refused(delivery, listener)
    assert "private, loopback or reserved" in delivery.last_error


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_connection_goes_to_the_address_that_was_checked(dns, monkeypatch, scheme):
    # The pinned connection asks for the checked IP, never the name again (TLS keeps the name).
    dns.answers["pinned.example.com"] = [PUBLIC_IP]
    connected = []

    def refuse_connection(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("test: no network")

    monkeypatch.setattr("urllib3.util.connection.create_connection", refuse_connection)
    result = webhooks.post(url=f"{scheme}://pinned.example.com:8080/hook", body=b"{}", headers={}, allow_private=False)
    assert not result.delivered
    assert connected == [(PUBLIC_IP, 8080)]


def test_allowing_private_addresses_still_delivers_to_the_loopback(db, listener, django_capture_on_commit_callbacks):
    delivery = _deliver(
        f"http://127.0.0.1:{listener.server_port}/hook", django_capture_on_commit_callbacks, allow_private=True
    )
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.SUCCEEDED, 200)
    assert listener.received == ["/hook"]


def test_allowing_private_addresses_still_delivers_to_a_name_inside_the_network(
    db, dns, listener, django_capture_on_commit_callbacks
):
    dns.answers["crm.internal"] = ["127.0.0.1"]
    delivery = _deliver(
        f"http://crm.internal:{listener.server_port}/hook", django_capture_on_commit_callbacks, allow_private=True
    )
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert listener.received == ["/hook"]
