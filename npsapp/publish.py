"""Publishing Celery tasks without ever hanging or failing a user's request.

The database is the source of truth. A task message is only a hint that work is waiting:
if the broker is down the message is dropped with a log line, and a periodic
reconciliation task finds the work from the database. After one failed or slow publish,
the process stops trying for a while (npsapp.breaker): a broker that hangs costs one
request per process per window its socket timeout, not every request.
"""

import logging
import time

from django.db import transaction

from npsapp.breaker import breaker

logger = logging.getLogger(__name__)


def publish(task, *args) -> bool:
    """Send `task` now; on any broker error, or while the broker's breaker is open, log and return False."""
    eager = task.app.conf.task_always_eager  # embedded mode: no broker to protect
    broker = breaker("broker")
    if not eager and not broker.allow():
        logger.info("broker breaker open: not publishing %s%r; reconciliation will pick it up", task.name, args)
        return False
    started = time.monotonic()
    try:
        task.apply_async(args=args, retry=False)
    except Exception:  # noqa: BLE001 - any broker failure must stay out of the request
        if not eager:
            broker.record(ok=False, elapsed=time.monotonic() - started)
        logger.warning("could not publish %s%r; the reconciliation task will pick it up", task.name, args)
        return False
    if eager:
        return True
    elapsed = time.monotonic() - started
    broker.record(ok=True, elapsed=elapsed)
    if elapsed >= broker.slow_seconds:
        logger.warning("publishing %s took %.1f s: not publishing for %s s", task.name, elapsed, broker.open_seconds)
    return True


def publish_on_commit(task, *args) -> None:
    """Send `task` once the current transaction commits (never for rolled-back work)."""
    transaction.on_commit(lambda: publish(task, *args))
