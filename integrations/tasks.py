"""Thin Celery wrappers for webhooks: ids in, re-fetch, call one service."""

import logging

from celery import shared_task

from integrations import events

logger = logging.getLogger(__name__)


@shared_task
def webhook_deliver_task(delivery_id: int) -> None:
    """Make one attempt; does nothing if the delivery is gone, finished, not due, or claimed."""
    events.webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task
def webhook_deliveries_retry_task() -> int:
    """Every minute (beat): publish the deliveries whose next attempt is due."""
    published = events.webhook_deliveries_publish_due()
    if published:
        logger.info("published %d due webhook deliveries", published)
    return published
