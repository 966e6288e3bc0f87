"""Thin Celery wrappers: ids in, re-fetch, call one service. Each row is claimed before it is sent."""

import logging
from datetime import timedelta

from celery import shared_task
from django.core import mail
from django.utils import timezone

from conversations import services
from conversations.models import Delivery, LoopMessage, LoopRecipient, Message
from npsapp.publish import publish

logger = logging.getLogger(__name__)

LOOP_BATCH_SIZE = 100
# Pending emails older than this had their task message lost (broker down): send them again.
RECONCILE_AFTER = timedelta(minutes=10)


def _backoff(retries: int) -> int:
    """Seconds before the next attempt: 1, 2, 4, 8… minutes."""
    return 60 * 2**retries


@shared_task(bind=True, max_retries=services.MAX_DELIVERY_ATTEMPTS)
def message_send_task(self, message_id: int) -> bool:
    try:
        return services.message_deliver(message_id=message_id)
    except services.DeliveryDeferred as exc:
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc


@shared_task
def loop_message_send_task(loop_message_id: int) -> int:
    """Split a close-the-loop mailing into batches, one task each. Returns how many batches."""
    if not LoopMessage.objects.filter(id=loop_message_id).exists():
        return 0
    ids = list(
        LoopRecipient.objects.filter(loop_message_id=loop_message_id, delivery_status=Delivery.PENDING)
        .order_by("id")
        .values_list("id", flat=True)
    )
    batches = [ids[i : i + LOOP_BATCH_SIZE] for i in range(0, len(ids), LOOP_BATCH_SIZE)]
    for batch in batches:
        publish(loop_batch_send_task, loop_message_id, batch)
    return len(batches)


@shared_task(bind=True, max_retries=services.MAX_DELIVERY_ATTEMPTS)
def loop_batch_send_task(self, loop_message_id: int, recipient_ids: list[int]) -> int:
    """Send one batch over one SMTP connection; a retry only resends the rows still pending."""
    sent, deferred = 0, None
    with mail.get_connection() as connection:
        for recipient_id in recipient_ids:
            try:
                sent += services.loop_recipient_deliver(recipient_id=recipient_id, connection=connection)
            except services.DeliveryDeferred as exc:
                deferred = exc
    if deferred is not None:
        raise self.retry(exc=deferred, countdown=_backoff(self.request.retries))
    return sent


@shared_task
def messages_reconcile_task() -> int:
    """Beat: free the emails a dead worker left in "sending", then re-publish the pending ones
    whose task message was lost. Sending claims the row, so it is safe."""
    services.deliveries_release_stale()
    older_than = timezone.now() - RECONCILE_AFTER
    message_ids = list(
        Message.objects.filter(
            delivery_status=Delivery.PENDING, loop_recipient__isnull=True, created_at__lt=older_than
        ).values_list("id", flat=True)[:500]
    )
    for message_id in message_ids:
        publish(message_send_task, message_id)
    loops = list(
        LoopRecipient.objects.filter(delivery_status=Delivery.PENDING, loop_message__sent_at__lt=older_than)
        .values_list("loop_message_id", flat=True)
        .distinct()[:50]
    )
    for loop_id in loops:
        publish(loop_message_send_task, loop_id)
    return len(message_ids) + len(loops)
