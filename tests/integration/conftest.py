"""The real stack: PostgreSQL, Redis, a Celery worker and beat, and gunicorn, as processes.

These tests need DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis). Without them they
skip, except under CI=true, where a missing service is a failure.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
from django.db import connection

from tests.pages import THANKS_MARK

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _service_up(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def _missing_stack() -> str:
    database_url = os.environ.get("DATABASE_URL", "")
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        return "DATABASE_URL does not point at PostgreSQL"
    if not broker_url.startswith("redis://"):
        return "CELERY_BROKER_URL does not point at Redis"
    if not _service_up(database_url, 5432):
        return f"PostgreSQL is not reachable at {urlsplit(database_url).netloc}"
    if not _service_up(broker_url, 6379):
        return f"Redis is not reachable at {urlsplit(broker_url).netloc}"
    return ""


@pytest.fixture(scope="session", autouse=True)
def _require_real_stack():
    missing = _missing_stack()
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the real-stack tests must run in CI: {missing}", pytrace=False)
        pytest.skip(f"real stack not available: {missing}")


ARTIFACTS = ROOT / "test-artifacts"


def record_timing(line: str) -> None:
    """Keep measured timings where CI prints them (test-artifacts/real-stack-timings.txt)."""
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "real-stack-timings.txt", "a") as timings:
        timings.write(line + "\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port() -> int:
    """A port nothing listens on: a broker that is down."""
    return free_port()


def _database_url_for_test_db() -> str:
    """DATABASE_URL rewritten to the test database pytest-django created."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


class Stack:
    """Child processes sharing the test database; stopped at the end."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.env = {
            # Not the browser tests' switch (tests/browser/conftest.py): the servers run as deployed.
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": _database_url_for_test_db(),
            "DB_CONN_MAX_AGE": "0",
            "NPSAPP_BEAT_INTERVAL_SECONDS": "1",
            "NPSAPP_RECONCILE_AFTER_SECONDS": "2",
            "AXES_ENABLED": "false",
            "PYTHONUNBUFFERED": "1",
            # Every email the children send is a file in this directory (tests/integration/mailbox.py).
            "NPSAPP_TEST_EMAIL_DIR": str(self.mailbox),
        }

    @property
    def mailbox(self) -> Path:
        return self.tmp_path / "mailbox"

    def start(self, name: str, args: list[str], **env) -> subprocess.Popen:
        """Start a child in its own process group, so kill() reaches its children too."""
        log = open(self.tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append((name, process))
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL a child and its own children (a Celery worker's pool, gunicorn's workers)."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=15)

    def redis(self, name: str = "redis", port: int | None = None) -> "OwnRedis":
        """A redis-server of this test's own, on a free port: one the test may pause and kill."""
        server = shutil.which("redis-server")
        if server is None:
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail("redis-server is needed for the fault tests", pytrace=False)
            pytest.skip("redis-server is not installed")
        port = port or free_port()
        process = self.start(
            name,
            [
                server,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )
        wait_for(lambda: _redis_ping(port), timeout=15, what=f"{name} to answer")
        return OwnRedis(self, name, port, process)

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")

    def worker(self, name: str = "worker", *, concurrency: int = 2, **env):
        return self.start(
            name,
            [
                str(BIN / "celery"),
                "-A",
                "npsapp",
                "worker",
                f"--concurrency={concurrency}",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"test-{name}-{os.getpid()}@%h",
            ],
            **env,
        )

    def beat(self, name: str = "beat", **env):
        schedule = self.tmp_path / f"{name}-schedule"
        return self.start(
            name, [str(BIN / "celery"), "-A", "npsapp", "beat", "--loglevel=INFO", "-s", str(schedule)], **env
        )

    def web(self, name: str, *, workers: int = 2, **env) -> str:
        port = free_port()
        self.start(
            name,
            [
                str(BIN / "gunicorn"),
                "npsapp.wsgi:application",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(workers),
                "--timeout",
                "30",
            ],
            **env,
        )
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _http_ok(base + "/healthz/"), timeout=30, what=f"{name} to answer")
        return base

    def wait_for_log(self, name: str, needle: str, timeout: float = 60):
        wait_for(lambda: needle in self.log(name), timeout=timeout, what=f"{needle!r} in {name}'s log")

    def stop(self):
        """Kill every child with its own children at once: a graceful stop of gunicorn and Celery
        takes seconds per test, and the tests have checked what they wanted by now."""
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                self.kill(process)


class OwnRedis:
    """A test's own redis-server: pause (SIGSTOP: it hangs), resume, kill, and start it again."""

    def __init__(self, stack: Stack, name: str, port: int, process: subprocess.Popen):
        self.stack, self.name, self.port, self.process = stack, name, port, process

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def pause(self):
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=15)

    def restart(self):
        self.process = self.stack.redis(f"{self.name}-again", port=self.port).process


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_for(condition, *, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# A survey POST whose reply is the thank-you page: the answer (or its correction) was taken.
THANKED = "thanked"


def answered(status: int, html: str) -> int | str:
    """THANKED for the thank-you page, else the reply's status (200 is then "already answered")."""
    return THANKED if status == 200 and THANKS_MARK in html else status


class Browser:
    """A cookie-keeping HTTP client that answers a survey like a customer's browser does."""

    def __init__(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())

    def get(self, url: str):
        with self.opener.open(url, timeout=10) as reply:
            return reply.status, reply.read().decode()

    def submit_survey(self, url: str, *, score: int, comment: str) -> tuple[int, float]:
        """GET the form, POST the answer; return the POST's status and its duration in seconds."""
        _status, html = self.get(url)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        body = urlencode({"csrfmiddlewaretoken": token, "score": score, "comment": comment}).encode()
        request = urllib.request.Request(url, data=body, headers={"Referer": url})
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=10) as reply:
                status = answered(reply.status, reply.read().decode())
        except urllib.error.HTTPError as exc:
            status = exc.code
        return status, time.perf_counter() - started


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def stack(transactional_db, tmp_path):
    if not shutil.which(str(BIN / "celery")):
        pytest.fail("celery is not installed in the virtualenv")
    running = Stack(tmp_path)
    yield running
    running.stop()


@pytest.fixture
def browser():
    return Browser()
