"""Thin Celery wrappers: ids in, re-fetch, call one service."""

from celery import shared_task

from reporting import followups_rollup


@shared_task
def followup_rollup_refresh_task() -> int:
    """Every minute (beat): recount the follow-up roll-up's days of the cases changed since."""
    return followups_rollup.followup_rollup_refresh()
