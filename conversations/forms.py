from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conversations import services
from surveys.models import Theme


class ReplyForm(forms.Form):
    """The agent's email to the customer. The template only prefilled the text; it is not sent."""

    # Which template prefilled the text (informational: the text sent is what the agent edited).
    template = forms.IntegerField(required=False, widget=forms.HiddenInput)
    subject = forms.CharField(label=_("Subject"), max_length=services.SUBJECT_MAX_LENGTH)
    body = forms.CharField(
        label=_("Message"),
        max_length=services.BODY_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12}),
    )


class CustomerReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=services.BODY_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class LoopForm(forms.Form):
    """Close the loop: who (a theme over a period) and what (the email in English and French)."""

    theme = forms.ModelChoiceField(
        label=_("Theme"), queryset=Theme.objects.order_by("name"), empty_label=_("Choose a theme")
    )
    period_start = forms.DateField(label=_("Answers from"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("Answers until"), widget=forms.DateInput(attrs={"type": "date"}))
    subject_en = forms.CharField(label=_("Subject (English)"), max_length=services.SUBJECT_MAX_LENGTH)
    body_en = forms.CharField(
        label=_("Message (English)"),
        max_length=services.BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("{first_name} is replaced by the customer's first name."),
    )
    subject_fr = forms.CharField(label=_("Subject (French)"), max_length=services.SUBJECT_MAX_LENGTH)
    body_fr = forms.CharField(
        label=_("Message (French)"),
        max_length=services.BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("{first_name} is replaced by the customer's first name."),
    )
    send_again = forms.BooleanField(
        label=_("Send again to those already told"),
        required=False,
        help_text=_("Customers who already had an email about this theme are left out unless this is ticked."),
    )
    # Set when the preview is shown; posting the same confirmation twice sends once.
    key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    @classmethod
    def initial_period(cls) -> dict:
        today = timezone.localdate()
        return {"period_start": today - timedelta(days=90), "period_end": today}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and start > end:
            self.add_error("period_end", _("The end of the period is before its start."))
        return cleaned
