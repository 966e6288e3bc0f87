"""Thin Celery wrappers: ids in, re-fetch, call one service."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from followups import selectors, services
from surveys.models import Response

logger = logging.getLogger(__name__)


@shared_task
def ticket_open_for_response_task(response_id: int) -> None:
    response = Response.objects.select_related("survey").filter(id=response_id).first()
    if response is None:
        return
    services.ticket_open_for_response(response=response)


@shared_task
def tickets_reconcile_task(limit: int = 1000) -> int:
    """Open the tickets whose task message was lost (broker down, worker crash)."""
    older_than = timezone.now() - timedelta(seconds=settings.NPSAPP_RECONCILE_AFTER_SECONDS)
    opened = 0
    for response in selectors.detractor_responses_without_ticket(submitted_before=older_than)[:limit]:
        services.ticket_open_for_response(response=response)
        opened += 1
    if opened:
        logger.info("reconciliation opened %d missing follow-up tickets", opened)
    return opened


@shared_task
def tickets_mark_breached_task() -> int:
    """Every minute (beat): mark the cases that missed their first-contact deadline. Safe to overlap."""
    marked = services.tickets_mark_breached()
    if marked:
        logger.info("marked %d follow-up cases as past their first-contact deadline", marked)
    return marked
