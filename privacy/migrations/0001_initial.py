"""The privacy log (PrivacyEvent) moves from the CRM to the privacy room, rows and all.

State only: the model is declared here on its existing table, crm_privacyevent; the CRM
forgets it in crm 0008; privacy 0002 then renames the table after its new app.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("crm", "0007_erasedexternalid"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PrivacyEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        (
                            "action",
                            models.CharField(
                                choices=[
                                    ("export", "Personal data exported"),
                                    ("erase", "Customer erased"),
                                    ("retention", "Old responses anonymised"),
                                    ("import", "Customers imported"),
                                ],
                                max_length=20,
                                verbose_name="action",
                            ),
                        ),
                        ("details", models.JSONField(blank=True, default=dict, verbose_name="details")),
                        (
                            "created_at",
                            models.DateTimeField(default=django.utils.timezone.now, verbose_name="created at"),
                        ),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="actor",
                            ),
                        ),
                        (
                            "customer",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="privacy_events",
                                to="crm.customer",
                                verbose_name="customer",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "privacy event",
                        "verbose_name_plural": "privacy events",
                        "ordering": ["-created_at"],
                        "db_table": "crm_privacyevent",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
