"""Erased customers' external ids (as keyed digests) get a table of their own in the CRM.

They were read from the privacy log (PrivacyEvent.details["external_id_digest"]), which moves
to the privacy room above the CRM; the digests recorded there so far are copied here.
"""

import django.utils.timezone
from django.db import migrations, models


def copy_digests(apps, schema_editor):
    PrivacyEvent = apps.get_model("crm", "PrivacyEvent")
    ErasedExternalId = apps.get_model("crm", "ErasedExternalId")
    digests = {}
    for details, created_at in PrivacyEvent.objects.filter(action="erase").order_by("created_at").values_list(
        "details", "created_at"
    ):
        digest = (details or {}).get("external_id_digest")
        if digest:
            digests.setdefault(digest, created_at)
    ErasedExternalId.objects.bulk_create(
        [ErasedExternalId(digest=digest, erased_at=at) for digest, at in digests.items()],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0006_purchase_and_event_time_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ErasedExternalId",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("digest", models.CharField(max_length=64, unique=True, verbose_name="digest")),
                (
                    "erased_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="erased at"),
                ),
            ],
            options={
                "verbose_name": "erased external id",
                "verbose_name_plural": "erased external ids",
            },
        ),
        migrations.RunPython(copy_digests, migrations.RunPython.noop),
    ]
