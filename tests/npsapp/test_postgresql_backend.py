"""The connection check before a request's first query (npsapp/postgresql/base.py): on a
connection used within the last second, a poll of the socket, and Django's `SELECT 1` only when
the server has said something; on one idle longer, Django's `SELECT 1`."""

import time
from unittest import mock

import pytest
from django.db import connection, connections

from npsapp.postgresql import base as backend

pytestmark = pytest.mark.django_db


@pytest.fixture
def other():
    """A second connection to the test database, outside the test's transaction."""
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL backend")
    made = connections.create_connection("default")
    made.ensure_connection()
    assert made.health_check_enabled
    yield made
    made.close()


def test_a_healthy_connection_is_kept_without_a_round_trip(other):
    kept = other.connection
    other.health_check_done = False
    with mock.patch.object(type(other), "is_usable", side_effect=AssertionError("a round trip")):
        other.close_if_health_check_failed()
    assert other.connection is kept and other.health_check_done


def test_a_connection_idle_for_longer_is_asked_select_1(other):
    other._checked_at = time.monotonic() - backend.BUSY_SECONDS - 0.1
    other.health_check_done = False
    with mock.patch.object(type(other), "is_usable", return_value=True) as asked:
        other.close_if_health_check_failed()
    assert asked.called and other.connection is not None


def test_a_connection_the_server_closed_is_replaced_before_the_request_uses_it(other):
    pid = other.connection.get_backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while not other._server_spoke() and time.monotonic() < deadline:
        time.sleep(0.05)
    other.health_check_done = False
    other.close_if_health_check_failed()
    assert other.connection is None
    with other.cursor() as cursor:  # a new connection, so the request's first query works
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
