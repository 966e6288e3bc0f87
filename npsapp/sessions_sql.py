"""PostgreSQL settings that one read needs, set for its own transaction only.

`SET LOCAL` ends with the transaction, so nothing is left on a connection that a transaction
pooler (PgBouncer) hands to someone else next, and a read-only replica accepts it. Other
databases (SQLite) have no such settings: the block runs as it is.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, router, transaction


@contextmanager
def work_mem(model, megabytes: int) -> Iterator[None]:
    """Run the block's reads of `model` with `megabytes` of memory per sort or hash.

    PostgreSQL's default (4 MB) makes a grouped count over a hundred thousand answers sort on
    disk; with a little more it groups them in a hash table in memory."""
    using = router.db_for_read(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = %s", [f"{int(megabytes)}MB"])
        yield
