from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0007_invitation_is_resurvey"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="claimed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
