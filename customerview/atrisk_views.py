"""The at-risk list: customers flagged by their behaviour, why, and what to do about it (invite, outreach)."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from crm.models import Customer
from customerview import atrisk, atrisk_selectors
from followups import services as followup_services
from npsapp import roles
from npsapp.roles import role_required
from surveys import consent
from surveys import services as survey_services
from surveys.consent import ContactRefused
from surveys.models import Survey

# Each at-risk row carries its own invite form: 25 a page, as in the inbox, keeps a phone's page short.
AT_RISK_PAGE_SIZE = 25


class SurveyByPublicIdField(forms.ModelChoiceField):
    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as exc:
            # A malformed id is just a survey that does not exist.
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from exc


class AtRiskActionForm(forms.Form):
    """One row's action on the at-risk list: invite the customer to a survey, or open an outreach case."""

    action = forms.ChoiceField(
        choices=[("invite", gettext_lazy("Invite to a survey")), ("outreach", gettext_lazy("Open an outreach case"))]
    )
    customer = forms.UUIDField(error_messages={"invalid": gettext_lazy("That customer does not exist.")})
    survey = SurveyByPublicIdField(
        queryset=Survey.objects.filter(is_active=True),
        to_field_name="public_id",
        error_messages={
            "required": gettext_lazy("Choose a survey."),
            "invalid_choice": gettext_lazy("That survey does not exist or is no longer active."),
        },
    )


def _at_risk_url(reason: str = "", page: str = "") -> str:
    """The at-risk list with its filter and page, from values checked here (never echoed raw)."""
    query = {}
    if reason in dict(atrisk.REASONS):
        query["reason"] = reason
    if page.isdigit():
        query["page"] = page
    url = reverse("customerview:at_risk")
    return f"{url}?{urlencode(query)}" if query else url


def _at_risk_action(request):
    back = _at_risk_url(request.POST.get("reason", ""), request.POST.get("page", ""))
    form = AtRiskActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return HttpResponseRedirect(back)
    data = form.cleaned_data
    customer = Customer.objects.filter(public_id=data["customer"]).first()
    if customer is None:
        messages.error(request, _("That customer does not exist."))
        return HttpResponseRedirect(back)
    if customer.erased_at is not None:
        messages.error(request, _("This customer's personal data was erased: there is nobody to contact."))
        return HttpResponseRedirect(back)
    survey = data["survey"]
    if data["action"] == "invite":
        try:
            invitation = survey_services.invitation_create(survey=survey, customer=customer)
        except ContactRefused as exc:
            # The consent gate: which rule refused them, and nothing created.
            messages.error(
                request,
                _("%(customer)s was not invited (%(rule)s): %(why)s")
                % {"customer": customer, "rule": exc.check.label, "why": exc.check.message},
            )
            return HttpResponseRedirect(back)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(back)
        messages.success(
            request,
            _("Invitation to “%(survey)s” created for %(customer)s. Send them this personal link: %(url)s")
            % {"survey": survey.name, "customer": customer, "url": invitation.url},
        )
        return HttpResponseRedirect(back)
    # The reasons are worked out again here: what the page showed may be out of date.
    reasons = atrisk_selectors.customer_at_risk_reasons(
        customer=customer, policy=atrisk_selectors.at_risk_policy(), viewer=request.user
    )
    if not reasons:
        messages.error(request, _("%(customer)s is no longer flagged at risk.") % {"customer": customer})
        return HttpResponseRedirect(back)
    try:
        ticket = followup_services.ticket_open_outreach(
            customer=customer, survey=survey, reason="\n".join(reason.text for reason in reasons), actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(back)
    messages.success(request, _("Outreach case opened."))
    return HttpResponseRedirect(reverse("followups:ticket", args=[ticket.public_id]))


@role_required(roles.CAN_WORK_CASES)
@require_http_methods(["GET", "POST"])
def at_risk_list(request):
    """Silent detractors: customers the behaviour rules flag, with why, and what to do about it."""
    if request.method == "POST":
        return _at_risk_action(request)
    reason = request.GET.get("reason", "")
    if reason not in dict(atrisk.REASONS):
        reason = ""
    policy = atrisk_selectors.at_risk_policy()
    today = timezone.localdate()
    risks = atrisk_selectors.at_risk_list(viewer=request.user, policy=policy, reason=reason, today=today)
    page = Paginator(risks, AT_RISK_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = atrisk_selectors.at_risk_rows(page.object_list, viewer=request.user, policy=policy, today=today)
    atrisk_selectors.attach_open_outreach(page.object_list, viewer=request.user)
    refusal_counts = atrisk_selectors.attach_contact_refusals(page.object_list)
    context = {
        "refusal_counts": refusal_counts,
        "fatigue_days": consent.fatigue_days(None),
        "flags_computed_since": atrisk_selectors.flags_computed_since(),
        "page": page,
        "reason": reason,
        "reasons": atrisk.REASONS,
        "surveys": list(Survey.objects.filter(is_active=True).order_by("name")),
    }
    return render(request, "customerview/at_risk.html", context)
