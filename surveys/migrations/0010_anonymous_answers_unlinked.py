from django.db import migrations, models
from django.db.models.functions import TruncDay


def forwards(apps, schema_editor):
    """Every answered link says so; on anonymous surveys that flag becomes the only trace.

    Answers to anonymous surveys lose their invitation (and any customer or email left on
    them), and those surveys' opening times keep only the day, which no longer pins an answer.
    """
    Invitation = apps.get_model("surveys", "Invitation")
    Response = apps.get_model("surveys", "Response")
    Invitation.objects.filter(response__isnull=False).update(answered=True)
    anonymous = Response.objects.filter(survey__is_anonymous=True)
    anonymous.exclude(invitation=None, customer=None, contact_email="").update(
        invitation=None, customer=None, contact_email=""
    )
    Invitation.objects.filter(survey__is_anonymous=True, opened_at__isnull=False).update(
        opened_at=TruncDay("opened_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0009_response_is_resurvey_rollup_protect_revisions"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="answered",
            field=models.BooleanField(default=False, editable=False, verbose_name="answered"),
        ),
        migrations.AddField(
            model_name="response",
            name="correction_digest",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
    ]
