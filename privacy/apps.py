from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        from privacy import receivers
        from privacy.checks import personal_data_check

        receivers.connect()
        checks.register(personal_data_check)
