import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    # Schema, data (0003) and the unique constraint (0004) are separate migrations: on
    # PostgreSQL a table whose rows were just updated cannot be altered or indexed in the
    # same transaction ("pending trigger events").

    dependencies = [
        ('integrations', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='webhookdelivery',
            name='next_attempt_at',
            field=models.DateTimeField(blank=True, db_index=True, null=True, verbose_name='next attempt at'),
        ),
        migrations.AddField(
            model_name='webhookdelivery',
            name='public_id',
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name='webhookdelivery',
            name='replay_of',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='replays', to='integrations.webhookdelivery', verbose_name='replay of'),
        ),
    ]
