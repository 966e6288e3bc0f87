"""Thin Celery wrappers: ids in, re-fetch, call one service."""

import logging

from celery import shared_task

from surveys import services, signals
from surveys.models import Theme

logger = logging.getLogger(__name__)


@shared_task
def responses_announce_task() -> int:
    """Rung by answers (and every minute by the beat): tell the apps that listen of each answer or
    correction queued since (signals.response_submitted): how many."""
    return signals.ANSWERS.drain()


@shared_task
def response_submitted_task(response_id: int, corrected: bool = False) -> None:
    """One answer's message, as versions before the doorbell queued them: those still waiting in
    the broker after an upgrade are told to the listeners all the same."""
    signals.response_submitted_send(response_id, corrected=corrected)


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
