"""Thin Celery wrappers: call one service."""

import logging

from celery import shared_task

from customerview import atrisk_services

logger = logging.getLogger(__name__)


@shared_task
def risk_refresh_all_task() -> int:
    """Nightly (beat), and after the at-risk policy changes: every customer's flags, as of now."""
    refreshed = atrisk_services.risk_refresh_all()
    logger.info("at-risk flags refreshed for %d customers", refreshed)
    return refreshed


@shared_task
def risk_refresh_task(customer_ids: list[int]) -> int:
    """The flags of the customers a large write touched (an import), a batch at a time."""
    return atrisk_services.risk_refresh(customer_ids=customer_ids)
