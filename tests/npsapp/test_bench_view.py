"""The bare view bench/submit.py measures against exists only when the bench asks for it."""

import importlib

import pytest
from django.test import override_settings
from django.urls import clear_url_caches

import npsapp.urls


def _reload_urls():
    importlib.reload(npsapp.urls)
    clear_url_caches()


@pytest.fixture
def bench_bare_view_on():
    """The URLconf as bench/submit.py's server loads it; the default one is put back afterwards."""
    with override_settings(NPSAPP_BENCH_BARE_VIEW=True):
        _reload_urls()
        yield
    _reload_urls()


def test_the_bare_bench_view_is_off_by_default(client, settings):
    assert settings.NPSAPP_BENCH_BARE_VIEW is False
    assert client.get("/bench/ok/").status_code == 404


@pytest.mark.usefixtures("bench_bare_view_on")
def test_the_bench_turns_on_a_view_that_only_says_ok(client):
    answer = client.get("/bench/ok/")
    assert (answer.status_code, answer.content) == (200, b"ok")
