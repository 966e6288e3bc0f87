"""A circuit breaker per process around Redis, so that no customer's request waits on it.

Redis is the broker and the cache: neither holds anything a customer's answer needs. When a
call to it fails or is slow, the breaker opens: for `open_seconds` nothing is sent to Redis
(publishing is skipped and the reconciliation beat opens the cases; the cache behaves as an
empty one), then one request tries again. If that try goes well the breaker closes, else it
stays open for another window. So a Redis that hangs costs one slow request per process per
window, not one per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

CLOSED = "closed"
OPEN = "open"
TRIAL = "trial"  # the window is over and one call is trying Redis again


class CircuitBreaker:
    """Counts what it let through (`attempts`), what failed or was slow, and what it skipped."""

    def __init__(
        self,
        name: str,
        *,
        open_seconds: float = 30.0,
        slow_seconds: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.name = name
        self.open_seconds = open_seconds
        self.slow_seconds = slow_seconds
        self.clock = clock
        self.state = CLOSED
        self.opened_at = 0.0
        self.attempts = 0
        self.failures = 0
        self.skipped = 0
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """Whether this call may go to Redis. While open, only the first call after the window may."""
        with self._lock:
            if self.state == OPEN and self.clock() - self.opened_at >= self.open_seconds:
                self.state = TRIAL
                self.attempts += 1
                return True
            if self.state != CLOSED:
                self.skipped += 1
                return False
            self.attempts += 1
            return True

    def record(self, *, ok: bool, elapsed: float) -> None:
        """Report how the call that allow() let through went: a failure or a slow success opens."""
        with self._lock:
            if ok and elapsed < self.slow_seconds:
                self.state = CLOSED
                return
            self.failures += 1
            self.state = OPEN
            self.opened_at = self.clock()

    def call(self, function: Callable, *args, errors: tuple[type[BaseException], ...] = (Exception,), **kwargs):
        """Run `function` through the breaker: raise BreakerOpen when skipped, re-raise `errors`."""
        if not self.allow():
            raise BreakerOpen(self.name)
        started = self.clock()
        try:
            result = function(*args, **kwargs)
        except errors:
            self.record(ok=False, elapsed=self.clock() - started)
            raise
        except BaseException:
            # Not a Redis failure (e.g. a missing key): the call reached Redis and came back.
            self.record(ok=True, elapsed=self.clock() - started)
            raise
        self.record(ok=True, elapsed=self.clock() - started)
        return result

    def reset(self) -> None:
        with self._lock:
            self.state = CLOSED
            self.opened_at = 0.0
            self.attempts = self.failures = self.skipped = 0

    def counters(self) -> dict:
        return {"state": self.state, "attempts": self.attempts, "failures": self.failures, "skipped": self.skipped}


class BreakerOpen(Exception):
    """The breaker skipped the call: Redis failed or was slow less than a window ago."""


_breakers: dict[str, CircuitBreaker] = {}


def breaker(name: str) -> CircuitBreaker:
    """The process's breaker for `name` ("broker", "cache"), with the window from the settings."""
    if name not in _breakers:
        from django.conf import settings

        _breakers[name] = CircuitBreaker(name, open_seconds=settings.NPSAPP_REDIS_BREAKER_SECONDS)
    return _breakers[name]
