"""Outgoing webhooks: the payload envelope, signatures, the address check and the HTTP call. No database.

Each delivery is one HTTP POST of a compact JSON body (sorted keys, no spaces)::

    {"created_at": "2026-11-22T16:36:00+00:00", "data": {...}, "event": "case.opened", "id": "<uuid>"}

signed as the Standard Webhooks specification says (https://www.standardwebhooks.com/), so that
receivers verify it with the ready-made library of their language::

    Content-Type: application/json
    webhook-id: <the event's id, the same on every retry and replay>
    webhook-timestamp: <unix seconds when it was sent>
    webhook-signature: v1,<base64 HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>
    X-Npsapp-Event: case.opened
    X-Npsapp-Delivery: <uuid of this delivery, new on every replay>

The subscription's secret is `whsec_<base64 key>`; the key is the decoded bytes. In Python::

    from standardwebhooks.webhooks import Webhook
    Webhook(secret).verify(raw_body, request_headers)  # raises on a bad signature or an old timestamp

For receivers set up before, the earlier headers are still sent: X-Npsapp-Timestamp, and
X-Npsapp-Signature: sha256=<hex HMAC-SHA256(key, "<timestamp>.<body>")>; the key of a secret
made before is its old text, so their checks keep working.

Any reply 2xx counts as delivered. Anything else (a redirect too: they are not followed) or
no reply within the timeouts is retried with exponential backoff, up to `MAX_ATTEMPTS` in all.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import socket
from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext as _
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import EXTRA_BLOCKED_NET_RANGES, InvalidIPAddress
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

ALLOWED_SCHEMES = ("http", "https")
CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = 8
FIRST_RETRY_DELAY = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=6)
ERROR_MAX_LENGTH = 1000
USER_AGENT = "npsapp-webhooks/1"


class AddressRefused(Exception):
    """The URL may not be called: wrong scheme, no host, or a private or loopback address."""


@dataclass(frozen=True)
class AttemptResult:
    delivered: bool
    status_code: int | None = None
    error: str = ""
    # True when trying again cannot help (the address is refused): no retry.
    permanent: bool = False


# --- Payloads ------------------------------------------------------------------------------------
# The envelope only: each event's `data` is built by the app that publishes the event
# (surveys/webhook_payloads.py, followups/webhook_payloads.py), so this app knows no survey.


def iso(value) -> str | None:
    """A date and time as the payloads write it (ISO 8601 with its offset), or None."""
    return value.isoformat() if value is not None else None


def payload_build(*, event_id: str, event: str, created_at, data: dict) -> dict:
    return {"id": event_id, "event": event, "created_at": iso(created_at), "data": data}


def body_encode(payload: dict) -> bytes:
    """The exact bytes sent and signed: compact JSON with sorted keys."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


# --- Signature -----------------------------------------------------------------------------------


SECRET_PREFIX = "whsec_"


def signing_key(secret: str) -> bytes:
    """The key a secret stands for: the bytes after `whsec_`, base64-decoded (Standard Webhooks).

    A secret without the prefix (written by hand) signs with its own text."""
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    return secret.encode()


def standard_signature(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256>` of "<id>.<timestamp>.<body>", the Standard Webhooks signature."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(signing_key(secret), signed, hashlib.sha256).digest()).decode()


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The earlier X-Npsapp-Signature, still sent for receivers set up before."""
    signed = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(signing_key(secret), signed, hashlib.sha256).hexdigest()


def plain_headers() -> dict[str, str]:
    """Headers of an unsigned POST (a chat platform's incoming webhook)."""
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT}


def headers_build(
    *, secret: str, event: str, event_id: str, delivery_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret=secret, message_id=event_id, timestamp=timestamp, body=body),
        "X-Npsapp-Event": event,
        "X-Npsapp-Delivery": delivery_id,
        "X-Npsapp-Timestamp": str(timestamp),
        "X-Npsapp-Signature": signature(secret=secret, timestamp=timestamp, body=body),
    }


# --- Retry schedule --------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed attempt: 1 min, 2, 4, 8… capped at 6 hours."""
    return min(FIRST_RETRY_DELAY * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY)


# --- Address check (SSRF) ----------------------------------------------------------------------------


def address_is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    # is_global alone lets multicast through. The ranges the connection filter refuses
    # (requests-hardened: 6to4 and NAT64 whatever IPv4 they lead to, CG-NAT...) are refused
    # here too, so a URL saved as public is not refused at send time.
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or any(address in network for network in EXTRA_BLOCKED_NET_RANGES)
    )


def _resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address `host` resolves to. Raises OSError (socket.gaierror) when it does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # An IPv6 sockaddr may carry a scope ("fe80::1%eth0"): drop it before parsing.
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def url_check(url: str, *, allow_private: bool) -> None:
    """Refuse a URL the server must not call.

    The URL is read with urllib3's parser, the one requests connects with, so the host checked
    is the host called. Raises AddressRefused for a backslash (parsers disagree on it), a user
    name or password, a scheme other than http(s), a missing host, or a host with ANY address
    that is private, loopback, link-local, multicast, reserved or unspecified (unless
    `allow_private`). Raises OSError when the host does not resolve (may be temporary).
    """
    if "\\" in url:
        raise AddressRefused(_("A webhook URL may not contain a backslash."))
    try:
        parts = parse_url(url)
        port = parts.port
    except (LocationParseError, ValueError) as exc:
        raise AddressRefused(_("This URL is not valid.")) from exc
    if parts.scheme not in ALLOWED_SCHEMES:
        raise AddressRefused(_("Only http and https URLs can receive webhooks."))
    if parts.auth is not None:
        raise AddressRefused(_("A webhook URL may not contain a user name or password (user@host)."))
    if not parts.host:
        raise AddressRefused(_("This URL has no host name."))
    if allow_private:
        return
    host = parts.host.removeprefix("[").removesuffix("]")
    port = port or (443 if parts.scheme == "https" else 80)
    refused = sorted({str(a) for a in _resolve(host, port) if not address_is_public(a)})
    if refused:
        raise AddressRefused(
            _(
                "%(host)s resolves to a private, loopback or reserved address (%(addresses)s). "
                "Allow private addresses on the subscription if this receiver is inside your network."
            )
            % {"host": host, "addresses": ", ".join(refused)}
        )


# --- The HTTP call ----------------------------------------------------------------------------------


def _truncate(text: str) -> str:
    return text if len(text) <= ERROR_MAX_LENGTH else text[: ERROR_MAX_LENGTH - 1] + "…"


def _http_post(url: str, *, allow_private: bool, **kwargs):
    """POST with requests, connecting to the address it checked (requests-hardened).

    Without private addresses allowed, the session's adapter resolves the host once, refuses a
    private, loopback or reserved answer (InvalidIPAddress), and connects to that very address,
    with the host name kept for the Host header, TLS SNI and certificate check: a DNS server
    answering a public address to `url_check` and a private one a moment later (rebinding)
    reaches nothing.
    """
    config = Config(
        ip_filter_enable=not allow_private,
        ip_filter_allow_loopback_ips=False,
        never_redirect=True,
        default_timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
    )
    with HTTPSession(config) as session:
        return session.post(url, **kwargs)


def post(*, url: str, body: bytes, headers: dict[str, str], allow_private: bool) -> AttemptResult:
    """Check the address, then POST once to the checked address. Never raises: every failure is in the result."""
    try:
        url_check(url, allow_private=allow_private)
    except AddressRefused as exc:
        return AttemptResult(delivered=False, error=_truncate(str(exc)), permanent=True)
    except OSError as exc:
        return AttemptResult(delivered=False, error=_truncate(_("Host name lookup failed: %s") % exc))
    try:
        # stream=True: only the status line and headers are read, so a huge or endless
        # reply body cannot hold the worker or its memory.
        reply = _http_post(
            url,
            allow_private=allow_private,
            data=body,
            headers=headers,
            timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
            allow_redirects=False,
            stream=True,
        )
    except InvalidIPAddress as exc:
        # The host resolved to a public address for the check, then to this one.
        error = _(
            "%(host)s resolved to a private, loopback or reserved address (%(addresses)s) when connecting. "
            "Allow private addresses on the subscription if this receiver is inside your network."
        ) % {"host": parse_url(url).host, "addresses": exc}
        return AttemptResult(delivered=False, error=_truncate(error), permanent=True)
    except Exception as exc:  # noqa: BLE001 - any failure of the call is stored on the delivery
        return AttemptResult(delivered=False, error=_truncate(f"{type(exc).__name__}: {exc}"))
    status_code = reply.status_code
    reason = reply.reason or ""
    reply.close()
    if 200 <= status_code < 300:
        return AttemptResult(delivered=True, status_code=status_code)
    error = f"HTTP {status_code} {reason}".strip()
    if 300 <= status_code < 400:
        error += " " + _("(redirects are not followed: use the final URL)")
    return AttemptResult(delivered=False, status_code=status_code, error=_truncate(error))
