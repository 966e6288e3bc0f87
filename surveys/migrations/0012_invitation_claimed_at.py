from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0011_survey_texts_in_each_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="claimed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
