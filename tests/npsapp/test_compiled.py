"""Statements compiled once per connection (npsapp/compiled.py) run the SQL their queryset would."""

import logging

import pytest
from django.db import connection, transaction
from django.db.models import Value
from django.test.utils import CaptureQueriesContext

from npsapp import compiled
from npsapp.cache import FailOpenRedisCacheClient
from npsapp.compiled import INTEGER_PLACEHOLDER, CompiledLookup, CompiledUpdate
from surveys import selectors
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


# --- Prepared in the server's session (PostgreSQL reached directly) ----------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statements are prepared on PostgreSQL only"
)


def _deallocate_all() -> None:
    """Drop the session's prepared statements, and this process's record of them."""
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    compiled._prepared.pop(connection.connection, None)


def _prepared_in_session() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'npsapp_%%'")
        return [row[0] for row in cursor.fetchall()]


def _lookup() -> CompiledLookup:
    """A lookup of its own: each test starts with nothing prepared for it."""
    return CompiledLookup(
        lambda token: Invitation.objects.select_related("customer").filter(token=token, answered=False)[:1]
    )


@pytest.fixture
def prepared(transactional_db):
    """A lookup of its own, prepared once in a session that had nothing prepared, and its invitation."""
    lookup, invitation = _lookup(), InvitationFactory()
    _deallocate_all()
    assert lookup.first(invitation.token, using="default").pk == invitation.pk
    yield lookup, invitation
    _deallocate_all()  # the next tests' connection prepares again


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_lookup_outside_a_transaction_is_prepared_once_and_executed_after():
    lookup, first, second = _lookup(), InvitationFactory(), InvitationFactory()
    _deallocate_all()
    with CaptureQueriesContext(connection) as queries:
        assert lookup.first(first.token, using="default").customer.email == first.customer.email
        assert lookup.first(second.token, using="default").pk == second.pk
        assert lookup.first("no-such-token", using="default") is None
    assert [query["sql"].split("(")[0] for query in queries] == [queries[0]["sql"].split("(")[0]] * 3
    assert queries[0]["sql"].startswith("EXECUTE npsapp_")
    [statement] = _prepared_in_session()
    assert '"surveys_invitation"."token" = $1' in statement and 'NOT "surveys_invitation"."answered"' in statement


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_session_that_lost_its_statement_runs_the_plain_sql_and_stops_preparing(prepared, caplog):
    """What a transaction pooler does to a prepared statement: the next session lacks it."""
    lookup, invitation = prepared
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler's other session would: the record stays
    with caplog.at_level(logging.WARNING, logger="npsapp.compiled"):
        assert lookup.first(invitation.token, using="default").pk == invitation.pk
    assert "transaction pooler" in caplog.text
    with CaptureQueriesContext(connection) as queries:
        assert lookup.first(invitation.token, using="default").pk == invitation.pk
    assert queries[0]["sql"].startswith("SELECT")
    assert _prepared_in_session() == []


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_nothing_is_prepared_inside_a_transaction_nor_behind_a_transaction_pooler(monkeypatch):
    invitation = InvitationFactory()
    _deallocate_all()
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert _lookup().first(invitation.token, using="default").pk == invitation.pk
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)  # DATABASE_TRANSACTION_POOLING
    with CaptureQueriesContext(connection) as pooled:
        assert _lookup().first(invitation.token, using="default").pk == invitation.pk
    assert [query["sql"][:6] for query in [*queries, *pooled]] == ["SELECT", "SELECT"]
    assert _prepared_in_session() == []


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_nothing_is_prepared_for_a_connection_per_request_nor_with_a_parameter_of_its_own(monkeypatch):
    invitation = InvitationFactory()
    _deallocate_all()
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    assert _lookup().first(invitation.token, using="default").pk == invitation.pk
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    # PostgreSQL would type a prepared constant of the select list as text.
    with_constant = CompiledLookup(lambda token: Invitation.objects.annotate(one=Value(1)).filter(token=token)[:1])
    assert with_constant.first(invitation.token, using="default").one == 1
    assert _prepared_in_session() == []


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_personal_links_lookup_is_prepared_and_answers_as_before():
    invitation = InvitationFactory()
    _deallocate_all()
    for _ in range(2):
        found = selectors.invitation_for_token(invitation.token)
        assert (found.pk, found.customer.email, found.survey.pk) == (
            invitation.pk,
            invitation.customer.email,
            invitation.survey_id,
        )
        assert getattr(found, "response", None) is None
    [statement] = _prepared_in_session()
    assert '"surveys_invitation"."token" = $1' in statement


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_session_that_kept_the_statement_from_before_uses_it(prepared):
    """A pooler in session mode may hand over a server session that already has it."""
    lookup, invitation = prepared
    compiled._prepared.pop(connection.connection)  # this process forgets; the session does not
    assert lookup.first(invitation.token, using="default").pk == invitation.pk
    assert len(_prepared_in_session()) == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_column_changed_by_a_migration_meanwhile_runs_the_plain_sql_then_prepares_anew(prepared):
    """A deploy migrates while the old processes still serve: a returned column's type changes."""
    lookup, invitation = prepared
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = 'crm_customer'::regclass AND attname = 'city'"
        )
        [city_type] = cursor.fetchone()
        cursor.execute("ALTER TABLE crm_customer ALTER COLUMN city TYPE text")
    try:
        with CaptureQueriesContext(connection) as queries:
            assert lookup.first(invitation.token, using="default").customer.email == invitation.customer.email
        assert queries[-1]["sql"].startswith("SELECT")
        assert _prepared_in_session() == []
        assert lookup.first(invitation.token, using="default").pk == invitation.pk
        assert len(_prepared_in_session()) == 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE crm_customer ALTER COLUMN city TYPE {city_type}")
