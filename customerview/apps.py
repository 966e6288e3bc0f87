from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomerviewConfig(AppConfig):
    name = "customerview"
    verbose_name = _("Customer view")

    def ready(self):
        from customerview import atrisk_hooks

        atrisk_hooks.connect()
