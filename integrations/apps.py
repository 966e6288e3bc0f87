from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _subscription_changed(sender, **kwargs) -> None:
    from integrations.events import subscriptions_changed

    subscriptions_changed()


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")
    # Its part of export, erasure and retention (found by the privacy room: privacy.registry).
    personal_data = "integrations.privacy"

    def ready(self) -> None:
        # Whatever saves or deletes a subscription here (admin, shell, tests), the outbox hears of it.
        subscription = self.get_model("WebhookSubscription")
        post_save.connect(_subscription_changed, sender=subscription, dispatch_uid="webhook-subscription-saved")
        post_delete.connect(_subscription_changed, sender=subscription, dispatch_uid="webhook-subscription-deleted")
