"""The doorbell (npsapp/doorbell.py): items queued in Redis, one drain message while none waits.

These run against the machine's Redis (a database of their own, a queue name per test), as the
real stack does; without one they are skipped."""

import logging
import socket
import uuid
from types import SimpleNamespace

import pytest
import redis

from npsapp import breaker as breakers
from npsapp import doorbell as doorbells
from npsapp.doorbell import Doorbell

REDIS_URL = "redis://127.0.0.1:6379/12"


def _redis_up() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return False


class FakeTask:
    """The drain task: its app's broker settings, and the messages published for it."""

    name = "tests.drain"

    def __init__(self, broker_url: str = REDIS_URL, *, eager: bool = False):
        conf = {
            "broker_url": broker_url,
            "broker_transport_options": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        self.app = SimpleNamespace(conf=SimpleNamespace(task_always_eager=eager, **conf))
        self.published = 0

    def apply_async(self, args, retry):
        self.published += 1


@pytest.fixture(autouse=True)
def _fresh_breakers():
    breakers._breakers.clear()
    yield
    breakers._breakers.clear()


@pytest.fixture
def bell():
    if not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    task, handled = FakeTask(), []
    made = Doorbell(f"test-{uuid.uuid4().hex}", task=lambda: task, handle=handled.append)
    made.task, made.handled = task, handled
    yield made
    made.clear()


def test_items_queued_while_a_drain_is_due_publish_one_message(bell):
    assert all(bell.push(f"{n}:0") for n in range(5))
    assert bell.task.published == 1
    assert bell.drain(batch=2) == 5
    assert bell.handled == [["0:0", "1:0"], ["2:0", "3:0"], ["4:0"]]
    assert bell.queued() == 0
    # The drain silenced the bell: the next item rings again.
    bell.push("5:1")
    assert bell.task.published == 2


def test_an_item_queued_while_the_drain_runs_is_not_left_waiting(bell):
    def handle(items):
        bell.handled.append(items)
        if items == ["first"]:
            bell.push("during")  # after the drain silenced the bell: it rings

    bell._handle = handle
    bell.push("first")
    assert bell.task.published == 1
    assert bell.drain(batch=1) == 2
    assert bell.handled == [["first"], ["during"]]
    assert bell.task.published == 2  # a drain for it is on its way, though this one took it


def test_a_drain_hands_on_after_its_limit(bell):
    for n in range(5):
        bell.push(str(n))
    assert bell.drain(batch=2, limit=3) == 4
    assert bell.queued() == 1
    assert bell.task.published == 2  # rung again for what is left


def test_with_redis_down_items_are_dropped_with_one_attempt_per_window(caplog):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    task = FakeTask(f"redis://127.0.0.1:{closed}/0")
    bell = Doorbell(f"down-{uuid.uuid4().hex}", task=lambda: task, handle=lambda items: None)
    with caplog.at_level(logging.INFO, logger="npsapp.doorbell"):
        assert [bell.push(str(n)) for n in range(10)] == [False] * 10
    assert breakers.breaker("broker").counters()["attempts"] == 1
    assert task.published == 0
    assert caplog.text.count("could not queue") == 1
    assert caplog.text.count("broker breaker open") == 9
    doorbells._clients.clear()


def test_embedded_mode_handles_each_item_at_once():
    task, handled = FakeTask("redis://127.0.0.1:1/0", eager=True), []
    bell = Doorbell("embedded", task=lambda: task, handle=handled.append)
    assert bell.push("7:0")
    assert handled == [["7:0"]]
    assert task.published == 0
    assert bell.drain() == 0  # the embedded scheduler's drain finds nothing, and no Redis to ask


def test_a_batch_whose_drain_failed_is_queued_again_once_its_lease_is_over(bell):
    def failing(items):
        raise RuntimeError("database gone")

    for n in range(3):
        bell.push(str(n))
    bell._handle = failing
    with pytest.raises(RuntimeError):
        bell.drain(batch=2)
    assert bell.queued() == 1  # "0" and "1" are claimed by the drain that failed
    bell._handle = bell.handled.append
    assert bell.drain(batch=10) == 1  # its lease still runs: the claim is left alone
    client = doorbells._redis(bell.task.app)
    for lease in client.scan_iter(match=f"{bell.key}:claim:*:lease"):
        client.delete(lease)  # as if the lease had run out
    assert bell.drain(batch=10) == 2
    assert bell.handled == [["2"], ["0", "1"]]
    assert list(client.scan_iter(match=f"{bell.key}:claim:*")) == []


def test_in_embedded_mode_a_failing_handler_does_not_fail_the_request(caplog):
    def failing(items):
        raise RuntimeError("database gone")

    task = FakeTask("redis://127.0.0.1:1/0", eager=True)
    bell = Doorbell("embedded-failing", task=lambda: task, handle=failing)
    assert bell.push("7:0") is False
    assert "handling 7:0 failed" in caplog.text
