"""The inbox's deadline sort over every case (ticket_awaiting_contact).

The open cases had their index (ticket_open_awaiting_contact); the resolved ones, and any status,
were sorted whole to show 25 (bench/inbox.py: 212-272 ms at 100,000 cases, 47-66 ms with this
index). The build holds writes to the cases for its duration, under a second for 200,000 cases.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0014_field_labels_translated"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                models.Case(
                    models.When(first_contacted_at__isnull=True, then=models.Value(0)),
                    default=models.Value(1),
                    output_field=models.IntegerField(),
                ),
                models.F("first_contact_due_at"),
                models.F("id"),
                name="ticket_awaiting_contact",
            ),
        ),
    ]
