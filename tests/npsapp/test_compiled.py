"""Statements compiled once per connection (npsapp/compiled.py) run the SQL their queryset would."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from npsapp.cache import FailOpenRedisCacheClient
from npsapp.compiled import INTEGER_PLACEHOLDER, CompiledLookup, CompiledUpdate
from surveys.models import Invitation
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db

_claim = CompiledUpdate(
    lambda pk: Invitation.objects.filter(pk=pk, answered=False), {"answered": True}, placeholder=INTEGER_PLACEHOLDER
)
_by_token = CompiledLookup(lambda token: Invitation.objects.select_related("customer").filter(token=token)[:1])


def test_an_update_changes_the_filtered_row_once_and_reports_it():
    first, second = InvitationFactory(), InvitationFactory()
    assert _claim.run(first.pk, using="default") == 1
    assert _claim.run(first.pk, using="default") == 0  # already claimed: the filter no longer matches
    assert list(Invitation.objects.filter(answered=True).values_list("pk", flat=True)) == [first.pk]
    assert _claim.run(second.pk, using="default") == 1


def test_an_update_is_the_querysets_own_sql_with_the_value_in_place():
    invitation, other = InvitationFactory(), InvitationFactory()
    with CaptureQueriesContext(connection) as orm:
        Invitation.objects.filter(pk=invitation.pk, answered=False).update(answered=True)
    with CaptureQueriesContext(connection) as compiled:
        _claim.run(other.pk, using="default")
    assert compiled[0]["sql"] == orm[0]["sql"].replace(f'"id" = {invitation.pk})', f'"id" = {other.pk})')


def test_a_lookup_builds_the_instance_with_its_joined_rows():
    invitation = InvitationFactory()
    found = _by_token.first(invitation.token, using="default")
    with CaptureQueriesContext(connection) as queries:
        assert found.customer.email == invitation.customer.email
    assert len(queries) == 0
    assert _by_token.first("no-such-token", using="default") is None


def test_the_cache_keeps_one_redis_client_per_server():
    """Django builds a redis.Redis per cache call; it costs more than the GET it sends."""
    client = FailOpenRedisCacheClient(["redis://127.0.0.1:1/0"])
    assert client.get_client() is client.get_client(write=True)
