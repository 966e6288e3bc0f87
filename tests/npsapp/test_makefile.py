"""What `make run` and `make test` would do, read with `make -n` (nothing is run or installed)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")


def _plan(tmp_path, *args, **env) -> str:
    venv = tmp_path / "venv"  # a virtualenv that does not exist: every install step shows
    clean = {"PATH": "/usr/bin:/bin", **env}
    result = subprocess.run(
        ["make", "-n", *args, f"VENV={venv}"], cwd=ROOT, env=clean, capture_output=True, text=True, check=True
    )
    return result.stdout


def test_run_installs_the_app_requirements_only_and_serves_with_the_schedule(tmp_path):
    plan = _plan(tmp_path, "run")
    assert "pip install --quiet -r requirements.txt" in plan
    assert "requirements-dev.txt" not in plan
    assert "manage.py demo_links" in plan
    assert "manage.py run_embedded 127.0.0.1:8000" in plan


def test_test_installs_the_development_requirements_too(tmp_path):
    plan = _plan(tmp_path, "test")
    assert "-r requirements.txt" in plan and "-r requirements-dev.txt" in plan


def test_installs_are_skipped_once_their_stamp_is_newer_than_the_requirements(tmp_path):
    stamps = tmp_path / "venv" / "bin"
    stamps.mkdir(parents=True)
    (stamps / ".installed-app").touch()
    assert "pip install" not in _plan(tmp_path, "run")
    assert "requirements-dev.txt" in _plan(tmp_path, "test")
    (stamps / ".installed-dev").touch()
    assert "pip install" not in _plan(tmp_path, "test")


@pytest.mark.parametrize(
    ("args", "env", "site_url"),
    [
        (["PORT=8100"], {}, "http://127.0.0.1:8100"),
        (["HOST=0.0.0.0", "PORT=8100"], {}, "http://127.0.0.1:8100"),
        (["HOST=localhost"], {}, "http://localhost:8000"),
        (["PORT=8100"], {"SITE_URL": "https://nps.example.com"}, "https://nps.example.com"),
    ],
)
def test_the_links_follow_host_and_port_unless_site_url_is_set(tmp_path, args, env, site_url):
    plan = _plan(tmp_path, "run", *args, **env)
    lines = [line for line in plan.splitlines() if "demo_links" in line or "run_embedded" in line]
    assert len(lines) == 2
    assert all(f"SITE_URL={site_url} " in line for line in lines)
