import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0017_survey_resurvey_delay_into_trigger_rule"),
    ]

    operations = [
        migrations.AddField(
            model_name="survey",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now, verbose_name="updated at"),
            preserve_default=False,
        ),
    ]
