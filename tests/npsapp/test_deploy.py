"""The production deployment as shipped: docker-compose.yml, .env.example, .dockerignore.

There is no Docker engine in CI: what compose would run is read from its file and run here.
"""

import fnmatch
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def env_example() -> dict[str, str]:
    """.env.example as compose's env_file reads it: NAME=value lines, comments and blanks skipped."""
    variables = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            variables[name.strip()] = value
    return variables


# --- /healthz/ with the production settings ---------------------------------------------------------


@pytest.fixture
def production_like(settings):
    """What .env.example sets that stood in the health check's way."""
    settings.ALLOWED_HOSTS = ["nps.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def test_healthz_answers_any_host_over_plain_http(client, db, production_like):
    reply = client.get("/healthz/", HTTP_HOST="127.0.0.1:8000")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok"}


def test_other_pages_keep_the_host_check_and_the_https_redirect(client, db, production_like):
    assert client.get("/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    assert client.get("/healthz/x", HTTP_HOST="127.0.0.1:8000").status_code == 400
    assert client.post("/healthz/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    redirect = client.get("/accounts/login/", HTTP_HOST="nps.example.com")
    assert (redirect.status_code, redirect["Location"]) == (301, "https://nps.example.com/accounts/login/")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not listen in time")


@pytest.mark.slow
def test_the_compose_healthcheck_passes_against_gunicorn_run_with_env_example(tmp_path):
    # .env.example exactly, but the key the README says to set (the placeholder refuses to start),
    # and a database of the test's own (compose's DATABASE_URL names its postgres container).
    env = {
        "PATH": os.environ.get("PATH", ""),
        **env_example(),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
    }
    web = _compose()["services"]["web"]
    test = web["healthcheck"]["test"]
    assert test[0] == "CMD"
    command = test[1:]
    assert command[0] == "python" and "http://127.0.0.1:8000/healthz/" in command[-1]
    port = _free_port()  # 8000 may be taken on this machine: the same check, on the test's port
    command = [sys.executable, *command[1:-1], command[-1].replace(":8000/", f":{port}/")]

    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "npsapp.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, server)
        check = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert check.returncode == 0, check.stderr + (tmp_path / "gunicorn.log").read_text(errors="replace")


# --- What the image and compose carry ------------------------------------------------------------------


def _dockerignore_excludes(path: str) -> bool:
    """Whether .dockerignore leaves `path` out of the build context (last matching rule wins)."""
    excluded = False
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        rule = line.strip()
        if not rule or rule.startswith("#"):
            continue
        negated = rule.startswith("!")
        pattern = rule.lstrip("!").strip("/")
        if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern.removeprefix("**/")):
            excluded = not negated
    return excluded


@pytest.mark.parametrize("secret_file", [".env", ".env.production", ".env.local"])
def test_env_files_with_secrets_stay_out_of_the_image(secret_file):
    assert _dockerignore_excludes(secret_file)


def test_the_example_env_file_and_the_code_go_into_the_image():
    assert not _dockerignore_excludes(".env.example")
    assert not _dockerignore_excludes("manage.py")
    assert not _dockerignore_excludes("npsapp")


def _interpolated(value: str) -> str:
    """A compose value with ${NAME:-default} resolved to its default (nothing set in the shell)."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_the_web_port_is_published_on_the_loopback_only_by_default():
    # .env.example trusts X-Forwarded-For's last hop: a client reaching gunicorn directly could
    # write any address there. Only the reverse proxy on the same host may connect.
    ports = [_interpolated(str(port)) for port in _compose()["services"]["web"]["ports"]]
    assert ports == ["127.0.0.1:8000:8000"]
    assert env_example()["NPSAPP_CLIENT_IP_HEADER"] == "HTTP_X_FORWARDED_FOR"


def test_no_other_service_is_published():
    services = _compose()["services"]
    assert [name for name, service in services.items() if service.get("ports")] == ["web"]


def test_the_beat_schedule_lives_in_a_named_volume_writable_by_the_app_user():
    compose = _compose()
    beat = compose["services"]["beat"]
    command = beat["command"]
    schedule = Path(command[command.index("-s") + 1])
    assert not schedule.is_relative_to("/tmp")
    mounts = dict(volume.split(":", 1)[::-1] for volume in beat["volumes"])
    volume = mounts[str(schedule.parent)]
    assert volume in compose["volumes"]
    # A new named volume copies the image's directory, owner included: the image makes it the app user's.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(rf"install -d -o npsapp -g npsapp .*{re.escape(str(schedule.parent))}", dockerfile)
    assert dockerfile.index(str(schedule.parent)) < dockerfile.index("USER npsapp")
