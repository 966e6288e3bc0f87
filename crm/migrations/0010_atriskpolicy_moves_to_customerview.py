# The at-risk policy moves to the customer view (customerview.0001), table and rows kept:
# the CRM forgets the model without dropping its table.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0009_customer_list_and_value_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AtRiskPolicy")],
            database_operations=[],
        ),
    ]
