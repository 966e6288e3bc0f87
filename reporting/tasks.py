"""Thin Celery wrappers: ids in, re-fetch, call one service."""

from celery import shared_task

from reporting import followups_rollup, themes_rollup


@shared_task
def reporting_rollups_refresh_task() -> int:
    """Every minute (beat): recount the days of the cases and theme links changed since the last time."""
    return followups_rollup.followup_rollup_refresh() + themes_rollup.theme_rollup_refresh()
