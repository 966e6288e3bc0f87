"""The privacy log's table takes its new app's name (crm_privacyevent → privacy_privacyevent).

Its content type follows too, so that permissions given on the log (view) stay given.
"""

from django.db import migrations


def content_type_move(apps, schema_editor, *, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if ContentType.objects.using(db).filter(app_label=new, model="privacyevent").exists():
        return
    ContentType.objects.using(db).filter(app_label=old, model="privacyevent").update(app_label=new)


def forwards(apps, schema_editor):
    content_type_move(apps, schema_editor, old="crm", new="privacy")


def backwards(apps, schema_editor):
    content_type_move(apps, schema_editor, old="privacy", new="crm")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("crm", "0008_privacyevent_moved_to_privacy"),
        ("privacy", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(name="privacyevent", table=None),
        migrations.RunPython(forwards, backwards),
    ]
