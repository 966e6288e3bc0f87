"""Publishing Celery tasks without ever hanging or failing a user's request.

The database is the source of truth. A task message is only a hint that work is waiting:
if the broker is down the message is dropped with a log line, and a periodic
reconciliation task finds the work from the database.
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def publish(task, *args) -> bool:
    """Send `task` now; on any broker error log it and return False."""
    try:
        task.apply_async(args=args, retry=False)
    except Exception:  # noqa: BLE001 - any broker failure must stay out of the request
        logger.warning("could not publish %s%r; the reconciliation task will pick it up", task.name, args)
        return False
    return True


def publish_on_commit(task, *args) -> None:
    """Send `task` once the current transaction commits (never for rolled-back work)."""
    transaction.on_commit(lambda: publish(task, *args))
