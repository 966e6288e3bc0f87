"""Thin Celery wrappers: ids in, re-fetch, call one service. Every one is safe to run twice."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from followups import notifications, selectors, services
from surveys.models import Response

logger = logging.getLogger(__name__)


@shared_task
def ticket_open_for_response_task(response_id: int) -> None:
    """Run for every answer: opens a detractor or passive case, records a re-survey score."""
    response = Response.objects.select_related("survey", "customer").filter(id=response_id).first()
    if response is None:
        return
    services.ticket_open_for_response(response=response)


@shared_task
def tickets_reconcile_task(limit: int = 1000) -> int:
    """Run the response hook for the answers whose task message was lost (broker down, worker crash)."""
    older_than = timezone.now() - timedelta(seconds=settings.NPSAPP_RECONCILE_AFTER_SECONDS)
    handled = 0
    for response in selectors.responses_missing_followup(submitted_before=older_than)[:limit]:
        services.ticket_open_for_response(response=response)
        handled += 1
    if handled:
        logger.info("reconciliation ran the follow-up hook for %d answers", handled)
    return handled


@shared_task
def tickets_check_deadlines_task() -> dict:
    """Every minute (beat): warn before deadlines, mark and report breaches. Safe to overlap."""
    warned, breached = services.tickets_check_deadlines()
    if warned or breached:
        logger.info("deadline check: %d warned, %d breached", warned, breached)
    return {"warned": warned, "breached": breached}


@shared_task
def tickets_mark_breached_task() -> int:
    """Kept for beat schedules still naming it: the breach half of tickets_check_deadlines_task."""
    return services.tickets_mark_breached()


@shared_task
def notifications_digest_task() -> int:
    """Every few minutes (beat): send what was held while the calendar was closed."""
    return notifications.notifications_send_digest()


@shared_task
def notification_deliver_task(notification_id: int) -> bool:
    """Send one staff notification now if its calendar is open (else the digest sends it later)."""
    from followups.models import TicketNotification

    notification = (
        TicketNotification.objects.select_related(
            "ticket__survey__business_calendar", "ticket__customer", "ticket__response", "ticket__assignee"
        )
        .filter(id=notification_id)
        .first()
    )
    if notification is None:
        return False
    return notifications.notification_deliver(notification=notification)
