"""The webhook outbox: every write to webhook deliveries.

`emit` runs inside the caller's transaction and only writes rows: the deliveries commit or
roll back with the answer or the case change that caused them, and no network call happens
in the request. After the commit one task per delivery is published; if the broker is down,
the beat task (`webhook_deliveries_retry_task`, every minute) finds the rows instead.
"""

import logging
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import NamedTuple

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import webhooks
from integrations.choices import DeliveryStatus, SubscriptionKind
from integrations.models import WebhookDelivery, WebhookSubscription
from npsapp.generations import Generation
from npsapp.publish import publish, publish_on_commit

logger = logging.getLogger(__name__)

# Longer than one attempt can take (connect + read timeouts, and DNS): a worker that dies
# mid-attempt leaves the delivery to be picked up again once the lease ends.
ATTEMPT_LEASE = timedelta(minutes=5)
RETRY_BATCH_SIZE = 500

# Every customer's answer emits an event, and most installations have no webhook. Each process
# remembers that no subscription was active, so those answers make no query for it. A
# subscription or chat destination saved or deleted bumps a generation in the shared cache
# (npsapp/generations.py; signals, see apps.py) and drops this process's memo at once; the other
# processes read the generation at most every RECHECK_AFTER seconds (a cache read on every answer
# cost more than the rest of its webhook work), so they ask the database again within that.
# Writes that send no signal (bulk_create, SQL) are seen within NONE_ACTIVE_FOR.
SUBSCRIPTIONS = Generation("webhook-subscriptions")
NONE_ACTIVE_FOR = 10.0
RECHECK_AFTER = 1.0


class _NoneActive(NamedTuple):
    """This process's memo that no subscription is active (times from time.monotonic())."""

    generation: str  # the shared generation it was read under
    until: float  # when the database is asked again whatever the generation
    generation_trusted_until: float  # when the generation is read again


_none_active: _NoneActive | None = None


def _publish_delivery(delivery_id: int) -> None:
    from integrations.tasks import webhook_deliver_task

    publish_on_commit(webhook_deliver_task, delivery_id)


def subscriptions_changed() -> None:
    """A subscription or chat destination was saved or deleted: every process asks the database again."""
    global _none_active
    _none_active = None
    SUBSCRIPTIONS.bump()


def _active_subscriptions() -> list[WebhookSubscription]:
    global _none_active
    now = time.monotonic()
    memo = _none_active
    if memo is not None and now < memo.until and now < memo.generation_trusted_until:
        return []
    generation = SUBSCRIPTIONS.current()
    if memo is not None and memo.generation == generation and now < memo.until:
        _none_active = memo._replace(generation_trusted_until=now + RECHECK_AFTER)
        return []
    active = list(WebhookSubscription.objects.filter(is_active=True))
    _none_active = None if active else _NoneActive(generation, now + NONE_ACTIVE_FOR, now + RECHECK_AFTER)
    return active


# Apps above this one that turn events into deliveries of their own (the chat alerts) register a
# source here: `source(event=..., subject=...)` returns (subscription, payload) pairs, written in
# the same savepoint as the webhook deliveries. A source is asked only when some active
# subscription of another kind than Standard Webhooks wants the event.
OutboxSource = Callable[..., list[tuple[WebhookSubscription, dict]]]
_sources: list[OutboxSource] = []


def source_register(source: OutboxSource) -> None:
    if source not in _sources:
        _sources.append(source)


def emit(event: str, build_data: Callable[[], dict], *, subject=None) -> list[WebhookDelivery]:
    """Queue `event` for every active subscription that wants it; `build_data()` gives its "data".

    `build_data` is called only when some subscription wants the event: most installations have
    none, and the payload reads the case's survey, answer and customer. `subject` (the case) is
    handed to the registered sources. Call it inside the transaction of the change it reports.
    Never raises: a webhook problem must not fail a customer's answer or an agent's action (it
    is logged instead).
    """
    try:
        active = [s for s in _active_subscriptions() if s.wants(event)]
        if not active:
            return []
        now = timezone.now()
        deliveries = []
        standard = [s for s in active if s.kind == SubscriptionKind.STANDARD]
        if standard:
            data = build_data()
            for subscription in standard:
                public_id = uuid.uuid4()
                deliveries.append(
                    WebhookDelivery(
                        public_id=public_id,
                        subscription=subscription,
                        event=event,
                        payload=webhooks.payload_build(event_id=str(public_id), event=event, created_at=now, data=data),
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
        if subject is not None and len(standard) < len(active):
            for source in _sources:
                for subscription, payload in source(event=event, subject=subject):
                    deliveries.append(
                        WebhookDelivery(
                            subscription=subscription, event=event, payload=payload, created_at=now, next_attempt_at=now
                        )
                    )
        if not deliveries:
            return []
        # A savepoint: should the insert fail, the caller's transaction carries on without it.
        with transaction.atomic():
            WebhookDelivery.objects.bulk_create(deliveries)
    except Exception:  # noqa: BLE001 - see the docstring
        logger.exception("could not queue webhook event %s", event)
        return []
    for delivery in deliveries:
        _publish_delivery(delivery.id)
    return deliveries


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Make the next attempt of a due delivery and record how it went.

    Safe to run twice, or while another worker runs it: a conditional UPDATE claims the
    attempt (pending and due) and pushes `next_attempt_at` past the lease, so only one
    worker calls out. Returns None when there was nothing to do.
    """
    now = timezone.now()
    # The attempt is counted when claimed, so a worker dying mid-call still uses one up.
    claimed = WebhookDelivery.objects.filter(
        id=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + ATTEMPT_LEASE, attempts=F("attempts") + 1)
    if claimed != 1:
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").get(id=delivery_id)
    subscription = delivery.subscription
    if delivery.attempts > webhooks.MAX_ATTEMPTS:
        # The last attempt's worker stopped before recording how it went.
        delivery.attempts = webhooks.MAX_ATTEMPTS
        result = webhooks.AttemptResult(
            delivered=False,
            status_code=delivery.response_status,
            error=delivery.last_error or _("No result was recorded for the last attempt."),
        )
    elif not subscription.is_active:
        result = webhooks.AttemptResult(
            delivered=False, error=_("The subscription was deactivated before delivery."), permanent=True
        )
    elif subscription.kind != SubscriptionKind.STANDARD:
        # A chat platform's incoming webhook: its own message as the body, nothing to verify.
        result = webhooks.post(
            url=subscription.url,
            body=webhooks.body_encode(delivery.payload),
            headers=webhooks.plain_headers(),
            allow_private=subscription.allow_private_addresses,
        )
    else:
        timestamp = int(timezone.now().timestamp())
        body = webhooks.body_encode(delivery.payload)
        headers = webhooks.headers_build(
            secret=subscription.secret,
            event=delivery.event,
            event_id=str(delivery.payload["id"]),
            delivery_id=str(delivery.public_id),
            timestamp=timestamp,
            body=body,
        )
        result = webhooks.post(
            url=subscription.url, body=body, headers=headers, allow_private=subscription.allow_private_addresses
        )
    _record(delivery, result)
    return delivery


def _record(delivery: WebhookDelivery, result: webhooks.AttemptResult) -> None:
    finished_at = timezone.now()
    delivery.response_status = result.status_code
    delivery.last_error = result.error
    if result.delivered:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = finished_at
        delivery.next_attempt_at = None
    elif result.permanent or delivery.attempts >= webhooks.MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = finished_at + webhooks.retry_delay(delivery.attempts)
    # An UPDATE, not save(): the row may have gone meanwhile (its subscription deleted).
    WebhookDelivery.objects.filter(id=delivery.id).update(
        attempts=delivery.attempts,
        status=delivery.status,
        response_status=delivery.response_status,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        next_attempt_at=delivery.next_attempt_at,
    )


def webhook_deliveries_publish_due(*, limit: int = RETRY_BATCH_SIZE) -> int:
    """Every minute (beat): publish an attempt for each pending delivery that is due.

    Covers retries after backoff and deliveries whose first message was lost. Publishing one
    twice is harmless: the attempt claims the row. Returns how many were published.
    """
    due = (
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    from integrations.tasks import webhook_deliver_task

    return sum(publish(webhook_deliver_task, delivery_id) for delivery_id in due)


@transaction.atomic
def webhook_delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, as a new delivery with the same payload (and so the same event id)."""
    now = timezone.now()
    replay = WebhookDelivery.objects.create(
        subscription_id=delivery.subscription_id,
        event=delivery.event,
        payload=delivery.payload,
        replay_of=delivery,
        created_at=now,
        next_attempt_at=now,
    )
    _publish_delivery(replay.id)
    return replay
