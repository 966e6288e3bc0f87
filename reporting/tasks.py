"""Thin Celery wrappers: the roll-ups' refreshes and the weekly digest, all run by the beat."""

import smtplib

from celery import shared_task

from reporting import followups_rollup, rollup, themes_rollup
from reporting.digest import DigestNotSent, digest_send_weekly


@shared_task
def nps_rollup_refresh_task() -> int:
    """Every minute (beat): count new answers into the daily roll-up."""
    return rollup.rollup_refresh()


@shared_task
def reporting_rollups_refresh_task() -> int:
    """Every minute (beat): recount the days of the cases and theme links changed since the last time."""
    return followups_rollup.followup_rollup_refresh() + themes_rollup.theme_rollup_refresh()


def _digest_send(task) -> int:
    try:
        return digest_send_weekly()
    except (DigestNotSent, smtplib.SMTPException, OSError) as exc:
        # Nobody got it (see digest_send_weekly), so trying again cannot mail anyone twice.
        raise task.retry(exc=exc, countdown=15 * 60) from exc


@shared_task(bind=True, max_retries=3)
def weekly_digest_task(self) -> int:
    """Monday morning (beat): email the weekly NPS digest to managers and admins."""
    return _digest_send(self)


# The names these tasks had before they moved here from surveys: a message queued under an old
# name during an upgrade (a digest retry due in 15 minutes, say) still finds its task.
@shared_task(name="surveys.tasks.nps_rollup_refresh_task")
def nps_rollup_refresh_task_former_name() -> int:
    return rollup.rollup_refresh()


@shared_task(name="surveys.tasks.weekly_digest_task", bind=True, max_retries=3)
def weekly_digest_task_former_name(self) -> int:
    return _digest_send(self)
