from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class StaffSettingsForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the emails sent to you"),
        choices=settings.LANGUAGES,
        help_text=_("Deadline warnings, missed deadlines, customer replies and the weekly digest."),
    )
