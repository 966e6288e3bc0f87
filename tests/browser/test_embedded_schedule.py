"""`make run` does the whole job: a campaign the manager creates in the demo leaves on its own.

The app is started as `make run` starts it (migrate, demo data, demo links, `run_embedded`
with the autoreloader, SITE_URL from the port, no broker) in a subprocess, on a free port and a temporary SQLite
database. Nothing but the browser touches it: the invitations must become "sent" through the
beat schedule running inside the server.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# The beat's one-minute interval, shortened so the test waits seconds; the schedule is the same dict.
BEAT_SECONDS = 3
START_TIMEOUT = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, deadline: float, server: subprocess.Popen) -> None:
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server stopped with code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {START_TIMEOUT} s")


@pytest.fixture
def embedded_app(tmp_path):
    """The app as `make run` starts it, with no broker: yields (base URL, path of its console output)."""
    left_out = {"DATABASE_URL", "CELERY_BROKER_URL", "SITE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in left_out}
    env |= {
        "DEBUG": "true",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "NPSAPP_BEAT_INTERVAL_SECONDS": str(BEAT_SECONDS),
        "PYTHONUNBUFFERED": "1",
    }
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env["SITE_URL"] = base  # as the Makefile sets it from HOST and PORT
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v", "0"], ["load_demo_data", "--skip-if-loaded"], ["demo_links"]):
        done = subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    assert f"{base}/s/" in done.stdout.decode()  # the survey links printed on start lead to this server
    console = tmp_path / "console.txt"
    with console.open("w") as out:
        # Its own process group: the autoreloader's parent and its serving child stop together.
        server = subprocess.Popen(
            [*manage, "run_embedded", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(f"{base}/accounts/login/", time.monotonic() + START_TIMEOUT, server)
        yield base, console
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_a_campaign_created_in_the_demo_is_sent_by_the_embedded_schedule(browser, embedded_app, screenshot):
    base, console = embedded_app
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", base_url=base)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("manager")
        page.get_by_label("Password").fill("demo")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))

        page.goto("/campaigns/new/")
        page.get_by_label("Name").fill("First campaign")
        page.get_by_label("Survey").select_option(label="Post-purchase survey")
        # The send time the form offers is now.
        page.get_by_role("button", name="Schedule the campaign").click()
        page.wait_for_url(re.compile(r"/campaigns/\d+/$"))
        screenshot(page, "scheduled")

        # No manual step: the beat schedule, running in the server, sends it.
        deadline = time.monotonic() + 60
        while "Sent" not in page.locator("h1").inner_text() and time.monotonic() < deadline:
            time.sleep(1)
            page.reload()
        assert "Sent" in page.locator("h1").inner_text()
        sent = int(page.locator(".nps-kpi", has_text="Sent").locator(".nps-kpi__figure").inner_text())
        assert sent > 10
        assert page.get_by_role("cell", name="Sent", exact=True).count() > 0

        # Printed to the console once each (one scheduler, however many processes the reloader runs),
        # with links to this server's port.
        output = console.read_text()
        subjects = re.findall(r"^Subject: (?:Your opinion of|Votre avis sur) Maison Dupont$", output, re.M)
        assert len(subjects) >= sent
        assert f"{base}/s/" in output
        assert output.count("No broker: this server runs the periodic tasks") == 1
    finally:
        context.close()
