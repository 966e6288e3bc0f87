"""Thin Celery wrappers: ids in, re-fetch, call one service."""

import logging
import smtplib

from celery import shared_task

from surveys import rollup, services
from surveys.digest import DigestNotSent, digest_send_weekly
from surveys.models import Theme

logger = logging.getLogger(__name__)


@shared_task
def nps_rollup_refresh_task() -> int:
    """Every minute (beat): count new answers into the daily roll-up."""
    return rollup.rollup_refresh()


@shared_task
def responses_tag_new_with_themes_task() -> int:
    """Every minute (beat): tag new comments with the themes their keywords mention."""
    return services.responses_tag_new_with_themes()


@shared_task
def theme_reapply_rules_task(theme_id: int) -> int:
    """From the admin: re-apply one theme's keyword rules to every comment."""
    theme = Theme.objects.filter(id=theme_id).first()
    if theme is None:
        return 0
    return services.theme_reapply_rules(theme=theme)


@shared_task(bind=True, max_retries=3)
def weekly_digest_task(self) -> int:
    """Monday morning (beat): email the weekly NPS digest to managers and admins."""
    try:
        return digest_send_weekly()
    except (DigestNotSent, smtplib.SMTPException, OSError) as exc:
        # Nobody got it (see digest_send_weekly), so trying again cannot mail anyone twice.
        raise self.retry(exc=exc, countdown=15 * 60) from exc
