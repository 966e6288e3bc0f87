import uuid

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0003_webhook_delivery_fill'),
    ]

    operations = [
        migrations.AlterField(
            model_name='webhookdelivery',
            name='public_id',
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
