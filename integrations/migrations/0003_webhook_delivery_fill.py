import uuid

from django.db import migrations, models


def fill(apps, schema_editor):
    WebhookDelivery = apps.get_model("integrations", "WebhookDelivery")
    # A uuid4 default is evaluated once for AddField: each existing row needs its own value.
    for delivery_id in WebhookDelivery.objects.values_list("id", flat=True).iterator():
        WebhookDelivery.objects.filter(id=delivery_id).update(public_id=uuid.uuid4())
    # Deliveries still pending are due now: the retry beat task picks them up.
    WebhookDelivery.objects.filter(status="pending").update(next_attempt_at=models.F("created_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0002_webhook_delivery_schedule'),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
