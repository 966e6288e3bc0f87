import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0018_dailynps_digestdelivery_to_reporting"),
    ]

    operations = [
        migrations.AddField(
            model_name="survey",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now, verbose_name="updated at"),
            preserve_default=False,
        ),
    ]
