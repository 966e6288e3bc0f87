"""The case page's and the inbox's action forms. Each one's cleaned data are its service's keywords.

Every form on a case carries the version of the case it was rendered with: a service refuses
a change made from a form that a colleague's change has made stale meanwhile.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from followups import selectors
from followups.choices import DONE_STATUSES, Outcome, TicketStatus
from followups.services import NOTE_MAX_LENGTH
from surveys.models import Theme

REOPEN = "reopen"


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _person(obj)


class CaseForm(forms.Form):
    """A form on one case; `version` is the case's version when the page was rendered."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, ticket, user, **kwargs):
        self.ticket = ticket
        self.user = user
        kwargs.setdefault("initial", {})["version"] = ticket.version
        super().__init__(*args, **kwargs)

    def service_kwargs(self) -> dict:
        """The service's keywords; a form posted without a version is not checked."""
        return {"expected_version": self.cleaned_data.get("version")}


class ClaimForm(CaseForm):
    pass


class AssignForm(CaseForm):
    assignee = PersonChoiceField(
        label=_("Assign to"),
        queryset=None,
        required=False,
        empty_label=_("Nobody (unassigned)"),
        error_messages={"invalid_choice": _("That person cannot work this team's cases. Choose someone listed.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = selectors.assignable_agents(team=self.ticket.team)
        self.fields["assignee"].initial = self.ticket.assignee_id

    def service_kwargs(self) -> dict:
        return super().service_kwargs() | {"assignee": self.cleaned_data["assignee"]}


class NoteForm(CaseForm):
    body = forms.CharField(
        label=_("Internal note (never sent to the customer)"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write something before adding a note.")},
    )

    def service_kwargs(self) -> dict:
        # A note changes nothing on the case: it cannot be stale.
        return {"body": self.cleaned_data["body"]}


class PhoneCallForm(CaseForm):
    """A phone call logged as a contact (the first one stops the first-contact clock)."""

    body = forms.CharField(
        label=_("What was said on the phone"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say what was said on the call before logging it.")},
    )

    def service_kwargs(self) -> dict:
        return super().service_kwargs() | {"channel": "phone", "body": self.cleaned_data["body"]}


class StatusForm(CaseForm):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[
            ("", "—"),
            (TicketStatus.WAITING, _("Waiting on the customer")),
            (TicketStatus.RESOLVED, _("Resolved (choose the outcome)")),
            (TicketStatus.CLOSED, _("Closed (choose the outcome if not resolved)")),
            (REOPEN, _("Reopen")),
        ],
        error_messages={"required": _("Choose the new status.")},
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", "—"), *Outcome.choices], help_text=_("When resolving.")
    )
    body = forms.CharField(
        label=_("Note about this change"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notify_customer = forms.BooleanField(label=_("Email the customer about this change"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.ticket.first_contacted_at is None:
            # Waiting on the customer comes after a first contact (the service refuses it anyway).
            field = self.fields["status"]
            field.choices = [choice for choice in field.choices if choice[0] != TicketStatus.WAITING]

    def clean(self):
        data = super().clean()
        status = data.get("status")
        # Resolving, or closing a case never resolved, says how it ended.
        needs_outcome = status == TicketStatus.RESOLVED or (
            status == TicketStatus.CLOSED and self.ticket.resolved_at is None
        )
        if needs_outcome and not data.get("outcome"):
            self.add_error("outcome", _("Choose the outcome of this case."))
        if status == REOPEN and self.ticket.is_open:
            self.add_error("status", _("This case is still open: there is nothing to reopen."))
        return data

    def service_kwargs(self) -> dict:
        status = self.cleaned_data["status"]
        if status == REOPEN:
            # The service takes a done case back to where it was (contacted, or new if never reached).
            status = TicketStatus.CONTACTED
        outcome = self.cleaned_data["outcome"] if status in DONE_STATUSES else ""
        return super().service_kwargs() | {"status": status, "outcome": outcome, "body": self.cleaned_data["body"]}


class ThemeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.label


class ThemeForm(CaseForm):
    theme = ThemeChoiceField(
        label=_("Theme"),
        queryset=Theme.objects.filter(is_active=True),
        empty_label="—",
        error_messages={
            "required": _("Choose a theme."),
            "invalid_choice": _("That theme does not exist or is no longer active. Reload the page and try again."),
        },
    )

    def service_kwargs(self) -> dict:
        return {"theme": self.cleaned_data["theme"]}


class BulkForm(forms.Form):
    """One change applied to the cases ticked in the inbox."""

    NO_CHANGE = ""
    ME = "me"
    NOBODY = "nobody"

    tickets = forms.ModelMultipleChoiceField(
        queryset=None,
        to_field_name="public_id",
        required=False,
        error_messages={"invalid_choice": _("One of the selected cases is no longer visible to you.")},
    )
    assignee = forms.ChoiceField(label=_("Assign to"), required=False)
    status = forms.ChoiceField(
        label=_("Change status to"),
        required=False,
        choices=[
            ("", _("No change")),
            (TicketStatus.WAITING, _("Waiting on the customer")),
            (TicketStatus.RESOLVED, _("Resolved (choose the outcome)")),
            (TicketStatus.CLOSED, _("Closed")),
        ],
    )
    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=[("", "—"), *Outcome.choices])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["tickets"].queryset = selectors.tickets_visible_to(user)
        choices = [(self.NO_CHANGE, _("No change")), (self.ME, _("Me"))]
        if selectors.sees_every_team(user):
            # Managers hand cases to anyone who works them.
            self.people = {str(u.pk): u for u in selectors.assignable_agents(team=None)}
            choices += [(pk, _person(u)) for pk, u in self.people.items() if u.pk != user.pk]
            choices.append((self.NOBODY, _("Nobody (unassign)")))
        self.fields["assignee"].choices = choices

    def clean(self):
        data = super().clean()
        if data.get("status") == TicketStatus.RESOLVED and not data.get("outcome"):
            self.add_error("outcome", _("Choose the outcome of the cases you resolve."))
        if not data.get("assignee") and not data.get("status") and not self.errors:
            raise forms.ValidationError(_("Choose an assignee or a status to apply."), code="nothing")
        return data

    def service_kwargs(self) -> dict:
        kwargs = {}
        assignee = self.cleaned_data["assignee"]
        if assignee == self.ME:
            kwargs["assignee"] = self.user
        elif assignee == self.NOBODY:
            kwargs["assignee"] = None
        elif assignee:
            kwargs["assignee"] = self.people[assignee]
        if self.cleaned_data["status"]:
            kwargs["status"] = self.cleaned_data["status"]
            kwargs["outcome"] = self.cleaned_data["outcome"] if kwargs["status"] in DONE_STATUSES else ""
        return kwargs
