from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = _("Follow-up")
    # Its part of export, erasure and retention (found by the privacy room: privacy.registry).
    personal_data = "followups.privacy"

    def ready(self) -> None:
        from followups import hooks

        # Answers open and update cases through the surveys app's hooks (surveys/signals.py).
        hooks.connect()
