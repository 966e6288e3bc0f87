from django import forms
from django.utils.translation import gettext_lazy as _

from surveys import scoring
from surveys.models import COMMENT_MAX_LENGTH

SCORE_CHOICES = [(score, str(score)) for score in range(scoring.SCORE_MIN, scoring.SCORE_MAX + 1)]


class ResponseForm(forms.Form):
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
