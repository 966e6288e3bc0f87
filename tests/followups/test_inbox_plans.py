"""The inbox's deadline sort reads an index in order, whatever the status filter (PostgreSQL):
page 1 or page 100 of every case must not sort them all. With sorting disabled, a plan that can
only sort still sorts; these plans must not."""

import pytest
from django.db import connection, transaction

from followups import selectors
from followups.models import Ticket

pytestmark = pytest.mark.django_db


def _plan(queryset) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    "filtered",
    [
        pytest.param(lambda tickets: tickets.filter(status__in=["new", "contacted", "waiting"]), id="open"),
        pytest.param(lambda tickets: tickets.filter(status="resolved"), id="resolved"),
        pytest.param(lambda tickets: tickets, id="any status"),
    ],
)
def test_the_deadline_sort_walks_an_index(filtered):
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL plan")
    page = selectors.inbox_order(filtered(Ticket.objects.all()), "deadline")[2475:2500]
    plan = _plan(page)
    assert "Sort" not in plan, plan
    assert "ticket_open_awaiting_contact" in plan or "ticket_awaiting_contact" in plan, plan
