"""`manage.py run_embedded` (what `make run` starts): the schedule without a broker, links on its own port."""

import io

import pytest

from npsapp.management.commands import run_embedded


@pytest.fixture
def started(monkeypatch):
    calls = []
    monkeypatch.setattr(run_embedded.scheduler, "start_in_thread", lambda: calls.append("started"))
    monkeypatch.delenv("SITE_URL", raising=False)
    return calls


def _bound(addr: str, port: int, *, ipv6: bool = False, no_schedule: bool = False) -> run_embedded.Command:
    command = run_embedded.Command(stdout=io.StringIO())
    command.addr, command.port, command._raw_ipv6, command.use_ipv6 = addr, str(port), ipv6, ipv6
    command.protocol = "http"
    command.run_schedule = not no_schedule
    command.on_bind(port)
    return command


def test_without_a_broker_the_serving_process_starts_the_schedule(settings, started):
    settings.CELERY_BROKER_URL = ""
    command = _bound("127.0.0.1", 8100)
    assert started == ["started"]
    assert "runs the periodic tasks" in command.stdout.getvalue()


def test_with_a_broker_celery_beat_runs_it_not_the_server(settings, started):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/9"
    command = _bound("127.0.0.1", 8100)
    assert started == []
    assert "Celery beat runs the periodic tasks" in command.stdout.getvalue()


def test_no_schedule_leaves_it_off(settings, started):
    settings.CELERY_BROKER_URL = ""
    _bound("127.0.0.1", 8100, no_schedule=True)
    assert started == []


@pytest.mark.parametrize(
    ("addr", "ipv6", "site_url"),
    [
        ("127.0.0.1", False, "http://127.0.0.1:8100"),
        ("0.0.0.0", False, "http://127.0.0.1:8100"),  # noqa: S104
        ("::1", True, "http://[::1]:8100"),
        ("localhost", False, "http://localhost:8100"),
    ],
)
def test_email_links_follow_the_port_when_site_url_is_not_set(settings, started, addr, ipv6, site_url):
    settings.SITE_URL = "http://127.0.0.1:8000"
    _bound(addr, 8100, ipv6=ipv6)
    assert settings.SITE_URL == site_url


def test_a_site_url_that_is_set_is_kept(settings, started, monkeypatch):
    monkeypatch.setenv("SITE_URL", "https://nps.example.com")
    settings.SITE_URL = "https://nps.example.com"
    _bound("127.0.0.1", 8100)
    assert settings.SITE_URL == "https://nps.example.com"
