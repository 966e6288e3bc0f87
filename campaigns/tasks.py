"""Thin Celery wrappers: ids in, re-fetch, call one service."""

from celery import shared_task

from campaigns import services

MAX_SEND_RETRIES = services.MAX_SEND_ATTEMPTS - 1
# 1, 2, 4 then 8 minutes between attempts: about a quarter of an hour for a mail server to come back.
RETRY_BASE_SECONDS = 60


def retry_countdown(retries: int) -> int:
    return RETRY_BASE_SECONDS * 2**retries


@shared_task
def campaigns_start_due_task() -> int:
    """Every minute (beat): start due campaigns, re-publish stopped batches, mark finished ones sent."""
    started = services.campaigns_start_due()
    services.invitations_requeue_stale()
    services.campaigns_finish()
    return started


@shared_task(bind=True, max_retries=MAX_SEND_RETRIES)
def invitations_send_batch_task(self, invitation_ids: list[int]) -> int:
    """Email one batch of invitations; retry only those that met a transient error, with backoff."""
    final = self.request.retries >= self.max_retries
    retry_ids = services.invitations_send_batch(invitation_ids=invitation_ids, final_attempt=final)
    if retry_ids:
        raise self.retry(args=[retry_ids], countdown=retry_countdown(self.request.retries))
    services.campaigns_finish()
    return len(invitation_ids)


@shared_task
def invitations_remind_due_task() -> int:
    """Every minute (beat): the one reminder to customers who have not answered."""
    return services.invitations_remind_due()
