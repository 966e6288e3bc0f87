import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from npsapp.settings import env_bool, env_int

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("1", True), ("Yes", True), ("off", False), ("0", False)]
)
def test_booleans_parse(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG", not expected) is expected


@pytest.mark.parametrize("raw", ["ture", "enabled", "2"])
def test_a_typo_in_a_boolean_is_an_error_not_false(monkeypatch, raw):
    monkeypatch.setenv("SOME_FLAG", raw)
    with pytest.raises(ImproperlyConfigured):
        env_bool("SOME_FLAG", False)


def test_integers_are_strict(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "4O")
    with pytest.raises(ImproperlyConfigured):
        env_int("SOME_NUMBER", 1)


def _clean_environment() -> dict[str, str]:
    # DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests' switch (tests/browser/conftest.py), not the app's.
    left_out = {"DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {k: v for k, v in os.environ.items() if k not in left_out}


def _manage(*args, **env):
    clean = _clean_environment()
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "npsapp.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION = {
    "SECRET_KEY": "k" * 20 + "-production-secret-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "nps.example.com",
    "DEBUG": "false",
    "HTTPS": "true",
}


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_variables():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _django_setup(**env) -> subprocess.CompletedProcess:
    """What gunicorn, Celery and manage.py all do first: load the settings and the apps."""
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env={**_clean_environment(), "DJANGO_SETTINGS_MODULE": "npsapp.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if "=" in line and not line.lstrip().startswith("#")]
    return {name.strip(): value.strip() for name, value in pairs}


@pytest.mark.slow
@pytest.mark.parametrize("key", [None, "  "])
def test_production_refuses_to_start_without_a_secret_key(key):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    if key is not None:
        env["SECRET_KEY"] = key
    for result in (_django_setup(**env), _manage("check", **env)) if key is None else (_django_setup(**env),):
        assert result.returncode != 0
        assert "started" not in result.stdout
        assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr
        assert "DEBUG=true for development" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("debug", ["false", "true"])
def test_the_placeholder_key_of_env_example_is_refused(debug):
    # A copy of .env.example that was not filled in; with DEBUG on too: it is never a real key.
    placeholder = _env_example()["SECRET_KEY"]
    result = _django_setup(**{**PRODUCTION, "SECRET_KEY": placeholder, "DEBUG": debug})
    assert result.returncode != 0
    assert "SECRET_KEY is still the placeholder of .env.example" in result.stderr


@pytest.mark.slow
def test_development_starts_without_a_key_when_debug_is_on():
    # make run sets DEBUG=true and no key.
    result = _django_setup(DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.slow
def test_production_starts_with_a_key():
    result = _django_setup(**PRODUCTION)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_the_docker_image_build_step_runs_without_a_key(tmp_path):
    # The Dockerfile's RUN step that builds translations and static files, as docker runs it: in
    # a copy of the build context (it writes .mo files and static files there), with no .env, no
    # DEBUG, and no SECRET_KEY other than the one it sets itself.
    context = tmp_path / "app"
    shutil.copytree(
        ROOT,
        context,
        ignore=shutil.ignore_patterns(".git", ".venv", "staticfiles", "test-artifacts", "__pycache__", "*.sqlite3"),
    )
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    [step] = [line[4:] for line in dockerfile.splitlines() if line.startswith("RUN ") and "collectstatic" in line]
    env = _clean_environment()
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("STATIC_ROOT", None)
    result = subprocess.run(
        ["sh", "-c", step.replace("python ", f"{sys.executable} ")],
        cwd=context,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (context / "staticfiles" / "staticfiles.json").exists()
    assert (context / "locale" / "fr" / "LC_MESSAGES" / "django.mo").exists()
