from django import forms
from django.utils.translation import gettext_lazy as _

from followups.choices import ContactChannel, Outcome
from followups.services import NOTE_MAX_LENGTH
from surveys.models import Theme


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note (never sent to the customer)"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write something before adding a note.")},
    )


class ContactForm(forms.Form):
    channel = forms.ChoiceField(label=_("How"), choices=ContactChannel.choices, initial=ContactChannel.EMAIL)
    body = forms.CharField(
        label=_("What was said"), required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", "—")] + list(Outcome.choices),
        error_messages={"required": _("Choose the outcome of this case.")},
    )
    body = forms.CharField(
        label=_("Closing note"), required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class ThemeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.label


class ThemeForm(forms.Form):
    theme = ThemeChoiceField(
        label=_("Theme"),
        queryset=Theme.objects.filter(is_active=True),
        empty_label="—",
        error_messages={
            "required": _("Choose a theme."),
            "invalid_choice": _("That theme does not exist or is no longer active. Reload the page and try again."),
        },
    )
