"""Django's PostgreSQL backend, with a request's connection check that costs no round trip on a busy connection.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` on a reused connection before each request's
first query: one more round trip to PostgreSQL on every request (measured: a tenth of a survey
answer's CPU, web and database together). A connection the previous request used less than
BUSY_SECONDS ago is checked by polling its socket instead: an idle connection has nothing to
read, so readable means the server closed it (a restart, pg_terminate_backend, which sends its
error first) or sent something unasked, and only then is Django's `SELECT 1` run to tell which.
A connection idle for longer gets Django's `SELECT 1` as before: a peer that vanished without a
word (a failover that moved the server's address, a proxy that forgot the connection) only shows
when written to, and idle connections are where that happens.
"""

import select
import time

from django.db.backends.postgresql import base

# A connection used this recently is only polled; one idle longer is asked `SELECT 1`.
BUSY_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    _checked_at = None  # time.monotonic() of the last request's check of this connection

    def connect(self):
        super().connect()
        self._checked_at = time.monotonic()

    def close_if_health_check_failed(self):
        if self.pool or self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        now = time.monotonic()
        busy = self._checked_at is not None and now - self._checked_at < BUSY_SECONDS
        if (not busy or self._server_spoke()) and not self.is_usable():
            self.close()
        else:
            self._checked_at = now
        self.health_check_done = True

    def _server_spoke(self) -> bool:
        """Whether the idle connection's socket has something to read, or is gone."""
        try:
            poller = select.poll()
            poller.register(self.connection.fileno(), select.POLLIN | select.POLLPRI)
            return bool(poller.poll(0))
        except (OSError, ValueError, base.Database.Error):
            return True
