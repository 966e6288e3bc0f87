import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from integrations.choices import TokenScope
from integrations.services import api_token_create


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Request counts live in the cache: each test starts with a full budget."""
    cache.clear()
    yield
    cache.clear()


def _client(key: str | None) -> APIClient:
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def write_key(admin_user) -> str:
    return api_token_create(name="CRM sync", scope=TokenScope.WRITE, created_by=admin_user)[1]


@pytest.fixture
def read_key(admin_user) -> str:
    return api_token_create(name="BI export", scope=TokenScope.READ, created_by=admin_user)[1]


@pytest.fixture
def api(write_key) -> APIClient:
    """A client sending a write token created by an admin."""
    return _client(write_key)


@pytest.fixture
def read_api(read_key) -> APIClient:
    return _client(read_key)


@pytest.fixture
def anonymous_api() -> APIClient:
    return _client(None)
