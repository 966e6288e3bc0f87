"""Deliveries follow the Standard Webhooks specification, checked with its own library."""

import base64
import datetime
import importlib

import pytest
from django.apps import apps
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from integrations import webhooks
from integrations.models import WebhookSubscription, new_webhook_secret


def _signed(secret: str, *, timestamp: int, body: bytes = b'{"data":{},"event":"case.opened","id":"e1"}'):
    headers = webhooks.headers_build(
        secret=secret, event="case.opened", event_id="e1", delivery_id="d1", timestamp=timestamp, body=body
    )
    return body, headers


def test_a_new_secret_is_whsec_and_a_32_byte_key():
    secret = new_webhook_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert new_webhook_secret() != secret


def test_the_library_verifies_a_signed_delivery():
    secret = new_webhook_secret()
    body, headers = _signed(secret, timestamp=int(timezone.now().timestamp()))
    assert Webhook(secret).verify(body, headers) == {"data": {}, "event": "case.opened", "id": "e1"}
    assert headers["webhook-id"] == "e1" and headers["webhook-signature"].startswith("v1,")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, headers: (body + b" ", headers),
        lambda body, headers: (body, {**headers, "webhook-id": "e2"}),
        lambda body, headers: (body, {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) + 1)}),
    ],
    ids=["body", "id", "timestamp"],
)
def test_a_changed_body_id_or_timestamp_does_not_verify(tamper):
    secret = new_webhook_secret()
    body, headers = tamper(*_signed(secret, timestamp=int(timezone.now().timestamp())))
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_another_secret_or_an_old_message_does_not_verify():
    secret = new_webhook_secret()
    body, headers = _signed(secret, timestamp=int(timezone.now().timestamp()))
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(body, headers)
    old = int((timezone.now() - datetime.timedelta(hours=1)).timestamp())
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(*_signed(secret, timestamp=old))


def test_existing_secrets_become_standard_and_keep_their_earlier_signature(db):
    subscription = WebhookSubscription.objects.create(
        name="CRM", url="https://hooks.example.com/x", events=["case.opened"], secret="old-secret-text"
    )
    before = webhooks.signature(secret="old-secret-text", timestamp=1700000000, body=b"{}")
    migration = importlib.import_module("integrations.migrations.0006_webhook_secrets_standard")
    migration.to_standard(apps, None)

    subscription.refresh_from_db()
    assert subscription.secret.startswith("whsec_")
    assert webhooks.signature(secret=subscription.secret, timestamp=1700000000, body=b"{}") == before
    body, headers = _signed(subscription.secret, timestamp=int(timezone.now().timestamp()))
    Webhook(subscription.secret).verify(body, headers)
