"""A read's PostgreSQL setting lasts for its own transaction, never for the connection (a pooler
hands the connection to someone else next)."""

import pytest
from django.db import connection

from npsapp.sessions_sql import work_mem
from surveys.models import Response


def _work_mem() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_work_mem_holds_inside_the_block_and_is_gone_after_it():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    before = _work_mem()
    assert before != "77MB"
    with work_mem(Response, 77):
        assert connection.in_atomic_block
        assert _work_mem() == "77MB"
    assert _work_mem() == before
    assert not connection.in_atomic_block


def test_other_databases_run_the_block_as_it_is(db):
    if connection.vendor == "postgresql":
        pytest.skip("what SQLite does")
    with work_mem(Response, 77):
        assert Response.objects.count() == 0
