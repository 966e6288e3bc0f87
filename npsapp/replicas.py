"""Reads that may be a little stale go to a PostgreSQL streaming replica, when one is configured.

With `DATABASE_REPLICA_URL` set, the `replica` database alias exists and `ReplicaRouter` sends
to it the reads made inside `reads_from_replica()`: the dashboard and its panel, the exports, the
weekly digest's figures, and the API's lists and NPS summary. Everything else (every write, every
page that writes, and any read made after a write in the same block) stays on the primary. Without
the variable nothing changes: there is no alias and the router answers nothing.
"""

import contextlib
import contextvars
import functools
import math
from collections.abc import Iterable, Iterator
from typing import TypeVar

from django.conf import settings
from django.db import connections

REPLICA = "replica"
T = TypeVar("T")
_reads_from_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("reads_from_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _reads_from_replica.get() and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        # Whatever is read after a write must see it: the rest of the block reads the primary.
        _reads_from_replica.set(False)
        return None

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the primary: rows from either may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA


@contextlib.contextmanager
def _replica_reads():
    token = _reads_from_replica.set(True)
    try:
        yield
    finally:
        _reads_from_replica.reset(token)


def reads_from_replica(function=None):
    """Use as `with reads_from_replica():` or as a decorator of a view or function that only reads."""
    if function is None:
        return _replica_reads()

    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        with _replica_reads():
            return function(*args, **kwargs)

    return wrapped


def stream_from_replica(items: Iterable[T]) -> Iterator[T]:
    """Iterate `items` (a streamed download, say) with each step's reads on the replica.

    A streamed response is read after its view has returned, outside the view's block: each
    step runs inside a block of its own."""
    iterator = iter(items)
    while True:
        with _replica_reads():
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


def replica_lag_seconds() -> float | None:
    """How far behind the primary the replica's data is, in seconds; None without a replica.

    Zero when it has replayed all it received (an idle primary writes nothing to catch up on);
    otherwise the age of the last transaction it replayed."""
    if not replica_configured():
        return None
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0"
            " ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END"
        )
        return float(cursor.fetchone()[0])


def replica_lag_minutes() -> int | None:
    """The replica's lag in whole minutes (rounded up) when it exceeds
    NPSAPP_REPLICA_LAG_WARNING_SECONDS, else None: what the dashboard warns about."""
    lag = replica_lag_seconds()
    if lag is not None and lag > settings.NPSAPP_REPLICA_LAG_WARNING_SECONDS:
        return math.ceil(lag / 60)
    return None
