from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _destination_changed(sender, **kwargs) -> None:
    from integrations.events import subscriptions_changed

    subscriptions_changed()


class ChatAlertsConfig(AppConfig):
    name = "chatalerts"
    verbose_name = _("Chat alerts")

    def ready(self) -> None:
        from chatalerts import alerts
        from integrations import events

        # The outbox asks this app which chat destinations want a case event (same transaction).
        events.source_register(alerts.deliveries_for)
        # Saving a destination signals as its own model, not as a webhook subscription.
        destination = self.get_model("ChatDestination")
        post_save.connect(_destination_changed, sender=destination, dispatch_uid="chat-destination-saved")
        post_delete.connect(_destination_changed, sender=destination, dispatch_uid="chat-destination-deleted")
