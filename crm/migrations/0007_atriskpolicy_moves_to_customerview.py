# The at-risk policy moves to the customer view (customerview.0001), table and rows kept:
# the CRM forgets the model without dropping its table.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0006_purchase_and_event_time_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AtRiskPolicy")],
            database_operations=[],
        ),
    ]
