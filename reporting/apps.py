from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self):
        from django.db.models.signals import post_delete

        from reporting.themes_rollup import theme_links_removed
        from surveys.models import ResponseTheme

        # A theme link removed (untagged, rules re-applied, theme deleted): its day is recounted.
        post_delete.connect(theme_links_removed, sender=ResponseTheme, dispatch_uid="reporting_theme_links_removed")
