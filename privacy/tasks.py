"""Thin Celery wrappers: re-read the settings, call one service."""

import logging

from celery import shared_task
from django.conf import settings

from privacy import services

logger = logging.getLogger(__name__)


@shared_task
def responses_retention_task() -> int:
    """Daily (beat): anonymise the responses older than NPSAPP_RETENTION_MONTHS (0 keeps them)."""
    months = settings.NPSAPP_RETENTION_MONTHS
    if months <= 0:
        return 0
    anonymised = services.responses_anonymise_older_than(months=months)
    if anonymised:
        logger.info("retention anonymised %d responses older than %d months", anonymised, months)
    return anonymised


@shared_task(name="crm.tasks.responses_retention_task")
def responses_retention_task_crm_alias() -> int:
    """The task's name before it moved here: a message queued (or a beat schedule kept) under it still runs."""
    return responses_retention_task()
