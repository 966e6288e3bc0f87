"""Indexes for the two lists where people wait on customers.

- customer_by_name (last name, first name, id): the customer list's order, so a page is read off
  the index instead of sorting every customer.
- customer_by_value (total spend descending, customer since): the inbox's value sort walks the
  customers in this order and reads their cases until a page is full.
- the spend's own index goes: customer_by_value leads with it, and each index is one more write
  when an import refreshes every customer's spend.
- crm_customer_external_id_trgm, on PostgreSQL: the customer list's search also looks in the
  external id (`icontains`, run as `UPPER(external_id::text) LIKE UPPER('%word%')`). With the
  trigram index of the names and email (followups migration 0010) every branch of the search's OR
  has an index, so PostgreSQL combines them instead of reading every customer. Where pg_trgm
  cannot be created the search works, only slower; SQLite gets nothing.
"""

import logging

from django.conf import settings
from django.db import migrations, models, transaction

logger = logging.getLogger(__name__)

TRIGRAM_INDEX = "crm_customer_external_id_trgm"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # noqa: BLE001 - no privilege: the search works without the index
        logger.warning("pg_trgm could not be created: the customer search will scan", exc_info=True)
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON crm_customer USING gin ((UPPER(external_id::text)) gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0008_privacyevent_moved_to_privacy"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["last_name", "first_name", "id"], name="customer_by_name"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["-total_spend", "customer_since"], name="customer_by_value"),
        ),
        # customer_by_value leads with the spend: the spend's own index only cost writes.
        migrations.AlterField(
            model_name="customer",
            name="total_spend",
            field=models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name="total spend"),
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]
