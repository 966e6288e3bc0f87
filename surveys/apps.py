from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")
    # Its part of export, erasure and retention (found by the privacy room: privacy.registry).
    personal_data = "surveys.privacy"
