from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "conversations"
    verbose_name = _("Conversations with customers")
    # Its part of export, erasure and retention (found by the privacy room: privacy.registry).
    personal_data = "conversations.privacy"

    def ready(self) -> None:
        from conversations.panels import CASE_PANEL
        from followups.panels import panel_register

        panel_register(panel=CASE_PANEL)
