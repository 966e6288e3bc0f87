from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM")
    # Its part of export, erasure and retention (found by the privacy room: privacy.registry).
    personal_data = "crm.privacy"

    def ready(self) -> None:
        from crm import segments

        # The cached filter choices hear of every customer, purchase and attribute written.
        segments.connect()
