"""The privacy log (PrivacyEvent) now belongs to the privacy room (privacy 0001): state only, the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0007_erasedexternalid"),
        ("privacy", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="PrivacyEvent")],
            database_operations=[],
        ),
    ]
