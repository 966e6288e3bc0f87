# The daily roll-up and the digest's deliveries move to the reporting app with their rows: the
# tables are renamed here, and reporting 0001 takes over the models without touching the database.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0017_survey_resurvey_delay_into_trigger_rule"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name="dailynps", table="reporting_dailynps"),
                migrations.AlterModelTable(name="digestdelivery", table="reporting_digestdelivery"),
            ],
            state_operations=[
                migrations.DeleteModel(name="DailyNps"),
                migrations.DeleteModel(name="DigestDelivery"),
            ],
        ),
    ]
