from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomerviewConfig(AppConfig):
    name = "customerview"
    verbose_name = _("Customer view")
    # Its part of export, erasure and retention (found by the privacy room: privacy.registry).
    personal_data = "customerview.privacy"

    def ready(self) -> None:
        from customerview.panels import CASE_PANEL
        from followups.panels import panel_register

        panel_register(panel=CASE_PANEL)

        from customerview import atrisk_hooks

        atrisk_hooks.connect()
