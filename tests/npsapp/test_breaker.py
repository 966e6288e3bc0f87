"""The per-process circuit breaker around Redis: publishing and the cache never make a customer wait twice."""

import socket
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse

from npsapp import breaker as breakers
from npsapp.breaker import BreakerOpen, CircuitBreaker
from npsapp.publish import publish
from surveys import ratelimit
from surveys.models import Response
from surveys.services import response_submit
from tests.pages import thanked


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _fresh_breakers():
    breakers._breakers.clear()
    yield
    breakers._breakers.clear()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- The breaker itself, on a fake clock -----------------------------------------------------------


def test_one_failure_opens_the_breaker_for_its_window_then_one_call_tries_again():
    clock = FakeClock()
    breaker = CircuitBreaker("broker", open_seconds=30, clock=clock)
    assert breaker.allow()
    breaker.record(ok=False, elapsed=0.01)
    assert [breaker.allow() for _ in range(5)] == [False] * 5
    clock.now += 29.9
    assert not breaker.allow()
    clock.now += 0.1
    # The window is over: one call tries, the others still skip while it runs.
    assert breaker.allow()
    assert not breaker.allow()
    breaker.record(ok=True, elapsed=0.01)
    assert [breaker.allow() for _ in range(3)] == [True] * 3
    assert breaker.counters() == {"state": "closed", "attempts": 5, "failures": 1, "skipped": 7}


def test_a_slow_success_opens_it_too_and_a_failed_trial_keeps_it_open_another_window():
    clock = FakeClock()
    breaker = CircuitBreaker("cache", open_seconds=30, slow_seconds=0.5, clock=clock)
    assert breaker.allow()
    breaker.record(ok=True, elapsed=0.6)
    assert not breaker.allow()
    clock.now += 30
    assert breaker.allow()
    breaker.record(ok=False, elapsed=2.0)
    clock.now += 29
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()
    assert breaker.failures == 2


def test_call_raises_breaker_open_without_calling_while_open():
    clock = FakeClock()
    breaker = CircuitBreaker("cache", open_seconds=30, clock=clock)
    calls = []

    def down():
        calls.append(1)
        raise ConnectionError("refused")

    with pytest.raises(ConnectionError):
        breaker.call(down, errors=(ConnectionError,))
    for _ in range(3):
        with pytest.raises(BreakerOpen):
            breaker.call(down, errors=(ConnectionError,))
    assert len(calls) == 1


def test_an_error_that_is_not_an_outage_does_not_open_it():
    breaker = CircuitBreaker("cache", clock=FakeClock())

    def missing_key():
        raise ValueError("Key not found")

    with pytest.raises(ValueError):
        breaker.call(missing_key, errors=(ConnectionError,))
    assert breaker.allow()


# --- Publishing --------------------------------------------------------------------------------------


class FakeTask:
    """A task whose broker is down: counts the publish attempts that reached it."""

    name = "fake.task"

    def __init__(self, *, eager=False, error: Exception | None = None, broker_down=True):
        self.app = SimpleNamespace(conf=SimpleNamespace(task_always_eager=eager))
        self.error = error or (ConnectionError("broker down") if broker_down else None)
        self.attempts = 0

    def apply_async(self, args, retry):
        self.attempts += 1
        if self.error is not None:
            raise self.error


def test_after_one_failed_publish_the_next_ones_do_not_touch_the_broker():
    task = FakeTask()
    assert [publish(task, n) for n in range(20)] == [False] * 20
    assert task.attempts == 1
    assert breakers.breaker("broker").counters()["skipped"] == 19


def test_the_broker_is_tried_again_once_the_window_is_over(settings):
    task = FakeTask()
    clock = FakeClock()
    breakers._breakers["broker"] = CircuitBreaker("broker", open_seconds=30, clock=clock)
    publish(task, 1)
    publish(task, 2)
    clock.now += 31
    task.error = None
    assert publish(task, 3) is True
    assert publish(task, 4) is True
    assert task.attempts == 3


def test_embedded_mode_always_runs_the_task():
    task = FakeTask(eager=True, broker_down=False)
    breakers.breaker("broker").record(ok=False, elapsed=0)
    assert publish(task, 1) is True
    assert task.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_answers_are_all_stored_while_the_broker_fails_with_one_attempt(invitation, monkeypatch):
    """Detractor answers through the service: every answer stored, one publish attempt in all."""
    from followups import tasks as followup_tasks
    from tests.factories import CustomerFactory

    task = FakeTask()
    monkeypatch.setattr(followup_tasks, "ticket_open_for_response_task", task)
    invitations = [invitation] + [
        type(invitation).objects.create(survey=invitation.survey, customer=CustomerFactory()) for _ in range(9)
    ]
    for each in invitations:
        response_submit(invitation=each, score=2, comment="Broken")
    assert Response.objects.count() == 10
    assert task.attempts == 1


# --- The cache fails open ------------------------------------------------------------------------


def _unreachable_cache():
    return {
        "default": {
            "BACKEND": "npsapp.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
        "fragments": settings.CACHES["fragments"],
    }


def test_an_unreachable_cache_is_an_empty_one_tried_once_per_window():
    with override_settings(CACHES=_unreachable_cache()):
        cache = caches["default"]
        try:
            assert cache.get("anything", "default") == "default"
            assert cache.add("counter", 1) is True
            with pytest.raises(ValueError):
                cache.incr("counter")
            assert cache.get_many(["a", "b"]) == {}
            cache.set("x", 1)
            for _ in range(10):
                assert ratelimit.allow(scope="link", identity="token", limit=1) is True
        finally:
            cache.close()
    assert breakers.breaker("cache").counters()["attempts"] == 1


@pytest.mark.django_db
def test_a_correction_goes_through_while_the_cache_is_down(client, invitation):
    """The link's rate limit reads the cache on a correction: it lets the answer in."""
    url = reverse("surveys:respond", args=[invitation.token])
    assert thanked(client.post(url, {"score": "3", "comment": "Late"}))
    with override_settings(CACHES=_unreachable_cache()):
        for score in (4, 5, 6):
            assert thanked(client.post(url, {"score": str(score), "comment": "Still late"}))
        caches["default"].close()
    assert Response.objects.get().score == 6
    assert breakers.breaker("cache").counters()["attempts"] == 1


@pytest.mark.django_db
def test_the_api_throttle_lets_requests_through_while_the_cache_is_down(admin_user):
    """The API's rate limit keeps its request history in the cache: with Redis gone it is empty, not an error."""
    from rest_framework.test import APIClient

    from integrations.choices import TokenScope
    from integrations.services import api_token_create

    key = api_token_create(name="CRM sync", scope=TokenScope.READ, created_by=admin_user)[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    with override_settings(CACHES=_unreachable_cache()):
        try:
            assert [client.get("/api/v1/nps/").status_code for _ in range(3)] == [200] * 3
        finally:
            caches["default"].close()
    assert breakers.breaker("cache").counters()["attempts"] == 1
