"""Generations: a token in the shared cache that writers change, so every process sees a write at once.

A value read often and written rarely (the filter choices, "no webhook is active") is kept
with the generation it was computed under; a writer bumps the generation, and every process
(web, worker, beat) finds its kept value stale on its next read. The token is random, so a
generation lost from the cache (evicted, Redis restarted) can never be mistaken for an older one.

The bump happens at once (the writing transaction reads its own writes) and again once the
transaction commits: a reader in another process that read the old rows before the commit may
have stored them under the first new token; the second bump makes that value stale too.

The cache fails open (npsapp/cache.py): while it is unavailable no generation can be read, so
nothing is taken as fresh and each read recomputes. A bump lost while the cache is down is
covered by each user's own time limit (the value's timeout, or a memo's expiry).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction


class Generation:
    """One named generation in the shared cache."""

    def __init__(self, name: str):
        self.key = f"generation:{name}"
        self._bump_after_commit = self.bump_now  # one bound method: the same callback each time
        _ALL.append(self)

    def __repr__(self) -> str:
        return f"Generation({self.key!r})"

    def current(self) -> str:
        """The current token (one cache read), starting a generation when there is none."""
        token = cache.get(self.key)
        if token is None:
            token = self._start()
        return token

    def _start(self) -> str:
        token = uuid.uuid4().hex
        if not cache.add(self.key, token, None):
            # Another process started it meanwhile.
            token = cache.get(self.key) or token
        return token

    def bump_now(self) -> None:
        cache.set(self.key, uuid.uuid4().hex, None)

    def bump(self) -> None:
        """A write happened: every value kept under the current generation is stale, now and after the commit.

        Called once per saved row in a loop, it schedules a single after-commit bump per transaction.
        """
        self.bump_now()
        connection = transaction.get_connection()
        if not connection.in_atomic_block:
            return
        if not any(entry[1] is self._bump_after_commit for entry in connection.run_on_commit):
            transaction.on_commit(self._bump_after_commit, robust=True)

    def cached(self, key: str, compute: Callable[[], Any], *, timeout: float) -> Any:
        """`compute()`'s value kept in the shared cache under `key` while this generation holds.

        One cache round trip when fresh (the token and the value are read together).
        """
        found = cache.get_many([self.key, key])
        token, kept = found.get(self.key), found.get(key)
        if token is not None and kept is not None and kept[0] == token:
            return kept[1]
        if token is None:
            token = self._start()
        value = compute()  # read after the token: a write committed meanwhile bumps it again
        cache.set(key, (token, value), timeout)
        return value


_ALL: list[Generation] = []


def bump_all() -> None:
    """Make every kept value stale (tests: the database was rolled back under the cache)."""
    for generation in _ALL:
        generation.bump_now()
