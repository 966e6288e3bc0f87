from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey


class RenameForm(forms.Form):
    label = forms.CharField(label=_("New name"), max_length=100)


class AcceptForm(forms.Form):
    label = forms.CharField(label=_("Theme name"), max_length=100, required=False)


class MergeForm(forms.Form):
    into = forms.UUIDField(label=_("Merge with"))


class DiscoverForm(forms.Form):
    survey = forms.ModelChoiceField(
        label=_("Survey"), queryset=Survey.objects.order_by("name"), required=False, empty_label=_("All surveys")
    )
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("The start of the period is after its end."))
        return data
