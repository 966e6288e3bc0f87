from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriggersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "triggers"
    verbose_name = _("Triggered surveys")
    # Its part of export, erasure and retention (found by the privacy room: privacy.registry).
    personal_data = "triggers.privacy"

    def ready(self) -> None:
        # The CRM accepts, besides its own event kinds, those a trigger rule waits for (the
        # registry keeps the CRM from importing this app).
        from crm.services import rows as crm_rows
        from triggers import hooks
        from triggers.selectors import rule_event_kinds

        if rule_event_kinds not in crm_rows.EVENT_KIND_SOURCES:
            crm_rows.EVENT_KIND_SOURCES.append(rule_event_kinds)
        # Each new survey starts with its recovery re-survey rule (surveys/signals.py).
        hooks.connect()
