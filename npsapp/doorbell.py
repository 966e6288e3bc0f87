"""Work items queued in Redis, with one task message to drain them while none is waiting.

Some work follows every customer's answer (its case, its themes, its customer's flags), done by
a worker. A Celery message per answer cost the answer's request more CPU than everything else
it sends to Redis: the message's headers, body and envelope are built, encoded and wrapped each
time. A doorbell costs one round trip instead: the request pushes its item (a short string) onto
a Redis list and, in the same pipeline, rings: sets a flag with NX. Only the request that finds
the flag unset publishes the drain task. The drain unsets the flag first, then pops the list
until it is empty: an item pushed after that rings again and brings another drain, so none
waits for the next answer. Under load a drain takes many items at once, and a worker handles a
batch with one query instead of a task per item.

Faults, as with `npsapp.publish` (the list lives in the broker's Redis, with its timeouts and
its breaker): a Redis that fails or hangs costs one attempt per process per window, the item is
dropped with a log line, and the reconciliation tasks find the work from the database. A drain
claims each batch (moves it to a list of its own, with a lease) before handling it: one that dies
or fails midway leaves the claim, and the next drain after the lease queues its items again, so
a killed worker loses nothing (an item may then be handled twice: the handlers are idempotent).
A flag left set (its drain message lost, or not published) lasts RING_SECONDS, and the beat
drains every minute as well.

In the embedded mode (eager Celery, no broker) an item is handled at once, in the request.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from npsapp.breaker import breaker
from npsapp.publish import publish

logger = logging.getLogger(__name__)

# A ring with no drain in sight (its message lost, or not published: the breaker opened) is
# forgotten after this: the next item rings again. A drain queued longer brings a second one.
RING_SECONDS = 10
DRAIN_BATCH = 100
# A drain hands on after this many items (another drain is rung), so one task never runs for ever.
DRAIN_LIMIT = 5000
# A claimed batch not released by then (its drain died) is queued again by the next drain.
LEASE_SECONDS = 600


class Doorbell:
    """`name`'s queue: `push(item)` after a commit, `drain()` in the worker's task.

    `task()` gives the Celery task that calls `drain()`; `handle(items)` does the work for a
    list of items (the worker's batch, or a single item in the embedded mode)."""

    def __init__(self, name: str, *, task: Callable[[], object], handle: Callable[[list[str]], None]):
        self.name = name
        self.key = f"npsapp:doorbell:{name}"
        self.rung_key = f"{self.key}:rung"
        self._task = task
        self._handle = handle

    def __repr__(self) -> str:
        return f"Doorbell({self.name!r})"

    def push(self, item: str) -> bool:
        """Queue `item` for a worker (handle it now in the embedded mode). Never raises: False when
        Redis failed or its breaker is open (logged; the reconciliation tasks do the work)."""
        task = self._task()
        if task.app.conf.task_always_eager:
            try:
                self._handle([item])
            except Exception:  # noqa: BLE001 - the item's work must not fail the request that committed it
                logger.exception("%s: handling %s failed; the reconciliation tasks will pick it up", self.name, item)
                return False
            return True
        broker = breaker("broker")
        if not broker.allow():
            logger.info("broker breaker open: not queueing %s %s; reconciliation will pick it up", self.name, item)
            return False
        started = time.monotonic()
        try:
            with _redis(task.app).pipeline(transaction=False) as pipeline:
                pipeline.rpush(self.key, item)
                pipeline.set(self.rung_key, 1, nx=True, ex=RING_SECONDS)
                _length, rang = pipeline.execute()
        except Exception:  # noqa: BLE001 - any Redis failure must stay out of the request
            broker.record(ok=False, elapsed=time.monotonic() - started)
            logger.warning("could not queue %s %s; the reconciliation tasks will pick it up", self.name, item)
            return False
        elapsed = time.monotonic() - started
        broker.record(ok=True, elapsed=elapsed)
        if elapsed >= broker.slow_seconds:
            logger.warning("queueing %s took %.1f s: not using Redis for %s s", self.name, elapsed, broker.open_seconds)
        if rang:
            publish(task)
        return True

    def drain(self, *, batch: int = DRAIN_BATCH, limit: int = DRAIN_LIMIT) -> int:
        """Handle what is queued, `batch` items at a time, until the list is empty: how many.

        Each batch is claimed (moved to a list of its own, with a lease) before it is handled and
        released after: a drain that dies or fails midway leaves its claim, and once the lease
        is over the next drain puts the items back in the queue."""
        task = self._task()
        if task.app.conf.task_always_eager:
            return 0  # the embedded mode queues nothing: each item was handled at once
        client = _redis(task.app)
        client.delete(self.rung_key)
        self._recover(client)
        handled = 0
        while handled < limit:
            claim = f"{self.key}:claim:{uuid.uuid4().hex}"
            items = _script(client, _CLAIM)(keys=[self.key, claim, claim + ":lease"], args=[batch, LEASE_SECONDS])
            if not items:
                return handled
            self._handle([item.decode() for item in items])
            client.delete(claim, claim + ":lease")
            handled += len(items)
        # More is queued: ring for another drain instead of running on.
        if client.set(self.rung_key, 1, nx=True, ex=RING_SECONDS):
            publish(task)
        return handled

    def _recover(self, client) -> None:
        """Put back in the queue the claimed batches whose drain is gone (its lease over)."""
        for claim in client.scan_iter(match=f"{self.key}:claim:*", count=1000):
            claim = claim.decode()
            if claim.endswith(":lease") or client.exists(claim + ":lease"):
                continue
            returned = _script(client, _RETURN)(keys=[claim, self.key])
            if returned:
                logger.warning("%s: %d items of a drain that did not finish are queued again", self.name, returned)

    def queued(self) -> int:
        """How many items wait (the bench and the tests)."""
        return _redis(self._task().app).llen(self.key)

    def clear(self) -> int:
        """Forget what waits (the bench, which runs no worker): how many items were dropped."""
        client = _redis(self._task().app)
        dropped = client.llen(self.key)
        client.delete(self.key, self.rung_key)
        return dropped


# Claim a batch: pop up to ARGV[1] items of the queue onto the claim's list, and take its lease.
_CLAIM = """
local items = redis.call('LPOP', KEYS[1], ARGV[1])
if items then
  redis.call('RPUSH', KEYS[2], unpack(items))
  redis.call('SET', KEYS[3], 1, 'EX', ARGV[2])
end
return items
"""
# Return a claim's items to the head of the queue, in their order, and drop the claim.
_RETURN = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
for i = #items, 1, -1 do
  redis.call('LPUSH', KEYS[2], items[i])
end
redis.call('DEL', KEYS[1])
return #items
"""


def _script(client, source: str):
    key = (id(client), source)
    if key not in _scripts:
        _scripts[key] = client.register_script(source)
    return _scripts[key]


_scripts: dict = {}
# The broker's Redis, one client per process and broker address, with the broker's timeouts.
_clients: dict[str, object] = {}


def _redis(app):
    url = app.conf.broker_url
    client = _clients.get(url)
    if client is None:
        import redis

        options = app.conf.broker_transport_options or {}
        client = _clients[url] = redis.Redis.from_url(
            url,
            socket_connect_timeout=options.get("socket_connect_timeout", 1),
            socket_timeout=options.get("socket_timeout", 2),
        )
    return client
