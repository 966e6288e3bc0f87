"""Thin Celery wrappers around the trigger services."""

import logging

from celery import shared_task

from triggers import services

logger = logging.getLogger(__name__)


@shared_task
def triggers_evaluate_task() -> dict:
    """Every 5 minutes (beat): send the triggered surveys that are due. Safe to overlap."""
    outcome = services.triggers_evaluate()
    if outcome["sent"] or outcome["skipped"]:
        logger.info("triggered surveys: %d sent, %d skipped", outcome["sent"], outcome["skipped"])
    return outcome
