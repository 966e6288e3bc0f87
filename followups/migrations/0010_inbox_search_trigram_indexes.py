"""Trigram indexes for the inbox search, on PostgreSQL.

The inbox finds cases by any word of the customer's name or email or of their comment
(`icontains`, which PostgreSQL runs as `UPPER(column::text) LIKE UPPER('%word%')`). Without
an index every search reads every customer and every answer; a trigram GIN index on the same
expressions answers it directly. pg_trgm is a trusted extension: the database owner may
create it. Where it cannot be created the search still works, only slower; SQLite gets nothing.
"""

import logging

from django.db import migrations, transaction

logger = logging.getLogger(__name__)

EXPRESSIONS = {
    "crm_customer_search_trgm": ("crm_customer", ["first_name", "last_name", "email"]),
    "surveys_response_comment_trgm": ("surveys_response", ["comment"]),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # noqa: BLE001 - no privilege: the search works without the indexes
        logger.warning("pg_trgm could not be created: the inbox search will scan", exc_info=True)
        return
    for name, (table, columns) in EXPRESSIONS.items():
        parts = ", ".join(f"(UPPER({column}::text)) gin_trgm_ops" for column in columns)
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({parts})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in EXPRESSIONS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0009_loop_message_event"),
        ("crm", "0003_customer_surveys_opted_out_at_customer_total_spend"),
        ("surveys", "0006_rollup_cursor_revisions"),
    ]

    operations = [migrations.RunPython(create, drop)]
