"""Secrets in the Standard Webhooks form, `whsec_<base64 key>`.

An existing secret becomes `whsec_` + base64 of its own text: its key is then that text, so the
signatures receivers already check (X-Npsapp-Signature) do not change."""

import base64

from django.db import migrations, models

import integrations.models


def to_standard(apps, schema_editor):
    WebhookSubscription = apps.get_model("integrations", "WebhookSubscription")
    for subscription in WebhookSubscription.objects.exclude(secret__startswith="whsec_"):
        subscription.secret = "whsec_" + base64.b64encode(subscription.secret.encode()).decode()
        subscription.save(update_fields=["secret"])


def to_plain(apps, schema_editor):
    WebhookSubscription = apps.get_model("integrations", "WebhookSubscription")
    for subscription in WebhookSubscription.objects.filter(secret__startswith="whsec_"):
        subscription.secret = base64.b64decode(subscription.secret.removeprefix("whsec_")).decode(errors="replace")
        subscription.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [("integrations", "0005_webhook_event_response_corrected")]

    operations = [
        migrations.AlterField(
            model_name="webhooksubscription",
            name="secret",
            field=models.CharField(
                default=integrations.models.new_webhook_secret, max_length=100, verbose_name="signing secret"
            ),
        ),
        migrations.RunPython(to_standard, to_plain),
    ]
