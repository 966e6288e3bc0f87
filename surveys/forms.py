from django import forms
from django.utils.translation import gettext_lazy as _

from surveys import scoring
from surveys.models import COMMENT_MAX_LENGTH

SCORE_CHOICES = [(score, str(score)) for score in range(scoring.SCORE_MIN, scoring.SCORE_MAX + 1)]
CSAT_CHOICES = [(value, str(value)) for value in range(1, 6)]
# The public form's trap for bots: hidden from people (CSS, aria-hidden, no tab stop), a
# field name that form-filling robots like to complete.
HONEYPOT_FIELD = "website"


class ResponseForm(forms.Form):
    """A customer's answer; the criteria and satisfaction fields exist only when the survey asks them."""

    score = forms.TypedChoiceField(
        label=_("Your score"),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose a score from 0 to 10."),
            "invalid_choice": _("Please choose a whole number from 0 to 10."),
        },
    )
    comment = forms.CharField(
        label=_("Tell us why"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": _(
                "Your comment is %(show_value)d characters long; please shorten it to %(limit_value)d. "
                "Your text is kept below."
            )
        },
    )

    def __init__(self, *args, survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.survey = survey
        options = survey.criteria_labels
        if options:
            error_messages = {"invalid_choice": _("Please choose among the options shown.")}
            if survey.criteria_multiple:
                self.fields["criteria"] = forms.MultipleChoiceField(
                    label=survey.criteria_question,
                    choices=options,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                    error_messages=error_messages,
                )
            else:
                self.fields["criteria"] = forms.ChoiceField(
                    label=survey.criteria_question,
                    choices=options,
                    required=False,
                    widget=forms.RadioSelect,
                    error_messages=error_messages,
                )
        if survey.csat_question:
            self.fields["csat"] = forms.TypedChoiceField(
                label=survey.csat_question,
                choices=CSAT_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
                error_messages={"invalid_choice": _("Please choose a whole number from 1 to 5.")},
            )

    def clean_criteria(self):
        value = self.cleaned_data.get("criteria")
        if not value:
            return []
        return value if isinstance(value, list) else [value]

    @property
    def chosen_criteria(self) -> list[str]:
        """The criteria as typed, for re-display after an error (bound or initial)."""
        if "criteria" not in self.fields:
            return []
        value = self["criteria"].value()
        if value in (None, ""):
            return []
        return [str(item) for item in value] if isinstance(value, list | tuple) else [str(value)]

    def answer(self) -> dict:
        """The service's keyword arguments for a valid form."""
        data = self.cleaned_data
        return {
            "score": data["score"],
            "comment": data["comment"],
            "criteria": data.get("criteria") or [],
            "csat": data.get("csat"),
        }


class PublicResponseForm(ResponseForm):
    email = forms.EmailField(
        label=_("Your email address"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Please check this email address, or leave it empty.")},
    )
    website = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, survey, **kwargs):
        super().__init__(*args, survey=survey, **kwargs)
        if survey.is_anonymous:
            # Nothing identifying is stored on an anonymous survey, so none is asked.
            del self.fields["email"]

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())

    def answer(self) -> dict:
        return {**super().answer(), "email": self.cleaned_data.get("email", "")}
