from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from campaigns.selectors import AUDIENCE_FIELDS
from crm.segments import ATTRIBUTE_FIELD_PREFIX, CustomerFilterForm
from surveys.models import Survey

DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class SurveyField(forms.ModelChoiceField):
    def label_from_instance(self, survey):
        return survey.name if survey.is_active else _("%(name)s (inactive)") % {"name": survey.name}


class AudienceForm(CustomerFilterForm):
    """The CRM filters that choose a campaign's customers; every field empty means every customer."""

    newsletter = forms.ChoiceField(
        label=_("Newsletter"),
        choices=[("", _("All")), ("yes", _("Subscribed")), ("no", _("Not subscribed"))],
        required=False,
    )

    @property
    def profile_fields(self) -> list:
        return [self[name] for name in AUDIENCE_FIELDS]

    @property
    def audience_field_names(self) -> list[str]:
        return [*AUDIENCE_FIELDS, *(f"{ATTRIBUTE_FIELD_PREFIX}{key}" for key in self.attribute_keys)]

    @property
    def audience(self) -> dict:
        """The chosen filters (empty ones left out), as the campaign keeps them."""
        return {name: self.cleaned_data[name] for name in self.audience_field_names if self.cleaned_data.get(name)}


class CampaignForm(AudienceForm):
    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("For you: customers do not see it."))
    survey = SurveyField(
        label=_("Survey"),
        queryset=Survey.objects.select_related("brand").order_by("name"),
        empty_label=_("Choose a survey"),
        error_messages={"required": _("Choose the survey to send.")},
    )
    send_at = forms.DateTimeField(
        label=_("Send at"),
        input_formats=[DATETIME_LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL_FORMAT),
        help_text=format_lazy(
            _("Time zone: {zone}. Now or later: the emails leave within a minute of this time."),
            zone=settings.TIME_ZONE,
        ),
        error_messages={"required": _("Choose when to send."), "invalid": _("Enter a date and time.")},
    )

    field_order = ["name", "survey", "send_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Django marks the widget aria-invalid itself when the field has an error.
        self.fields["send_at"].widget.attrs["class"] = "form-control form-control-sm"
        if not self.is_bound:
            self.initial.setdefault("send_at", timezone.localtime().replace(second=0, microsecond=0))
