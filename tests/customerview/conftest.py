import pytest

from customerview import atrisk_hooks


@pytest.fixture
def refresh_at_once(monkeypatch):
    """The at-risk hooks refresh as each write is made, not at a commit that a test never reaches.

    (tests/customerview/test_atrisk_hooks.py checks that they wait for the commit.)
    """
    monkeypatch.setattr(atrisk_hooks, "after_commit", lambda callback: callback())
