from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomerviewConfig(AppConfig):
    name = "customerview"
    verbose_name = _("Customer view")

    def ready(self) -> None:
        from customerview.panels import CASE_PANEL
        from followups.panels import panel_register

        panel_register(panel=CASE_PANEL)
