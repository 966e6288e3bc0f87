from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from crm import atrisk, selectors
from crm.forms import IMPORT_MAX_BYTES, ImportForm
from crm.importer import ImportFileError, import_customers_csv, template_csv
from crm.models import CustomAttribute, Customer
from followups import services as followup_services
from npsapp import roles
from npsapp.pagination import LookaheadPaginator
from npsapp.roles import role_required
from surveys import consent
from surveys import services as survey_services
from surveys.consent import ContactRefused
from surveys.models import Survey

# Customers and at-risk customers -------------------------------------------------------

PAGE_SIZE = 50
# Each at-risk row carries its own invite form: 25 a page, as in the inbox, keeps a phone's page short.
AT_RISK_PAGE_SIZE = 25
SEARCH_MAX_LENGTH = 200


@role_required(roles.CAN_WORK_CASES)
@require_http_methods(["GET"])
def customer_list(request):
    """Every customer, searchable by name, email or external id.

    A search counts what it found. The whole list is not counted (that count grows with the
    customers and cost more than the page): a page reads one row more to know whether another
    follows, and the caption gives the exact number when it is known (a list that fits on its
    pages read so far, or a small table) and PostgreSQL's estimate, said to be one, otherwise.
    """
    query = request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    if query:
        page = Paginator(selectors.customer_search(query=query), PAGE_SIZE).get_page(request.GET.get("page"))
        total = selectors.CustomerCount(page.paginator.count, exact=True)
    else:
        page = LookaheadPaginator(selectors.CustomersByName(), PAGE_SIZE).get_page(request.GET.get("page"))
        known = page.known_count
        total = selectors.customer_count() if known is None else selectors.CustomerCount(known, exact=True)
    return render(request, "crm/customer_list.html", {"page": page, "query": query, "total": total})


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
    url = reverse("crm:at_risk")
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
    reasons = selectors.customer_at_risk_reasons(
        customer=customer, policy=selectors.at_risk_policy(), viewer=request.user
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
    rows = selectors.at_risk_customers(policy=selectors.at_risk_policy(), viewer=request.user, reason=reason)
    page = Paginator(rows, AT_RISK_PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.attach_open_outreach(page.object_list, viewer=request.user)
    refusal_counts = selectors.attach_contact_refusals(page.object_list)
    context = {
        "refusal_counts": refusal_counts,
        "fatigue_days": consent.fatigue_days(None),
        "page": page,
        "reason": reason,
        "reasons": atrisk.REASONS,
        "surveys": list(Survey.objects.filter(is_active=True).order_by("name")),
    }
    return render(request, "crm/at_risk.html", context)


# Customer import (admins) ----------------------------------------------------------------

IMPORT_ERRORS_SHOWN = 1000


# The multipart framing around a file at the limit: boundaries, part headers, the other fields.
IMPORT_FRAMING_BYTES = 64 * 1024


@role_required({roles.ADMIN})
@require_http_methods(["GET", "POST"])
@csrf_exempt  # the CSRF check reads the body: it runs after the size check, in _customer_import
def customer_import(request):
    """Refuse an upload too large from its Content-Length, before its body is read (and written to disk)."""
    if request.method == "POST":
        try:
            announced = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            announced = 0
        if announced > IMPORT_MAX_BYTES + IMPORT_FRAMING_BYTES:
            form = ImportForm.refused_as_too_large(announced)
            # Nothing of the body is read: the server closes the connection after this reply.
            response = render(request, "crm/import.html", _import_context(form), status=413)
            response["Connection"] = "close"
            return response
    return _customer_import(request)


def _import_context(form, report=None, *, dry_run=False) -> dict:
    return {
        "form": form,
        "report": report,
        "dry_run": dry_run,
        "shown_errors": report.errors[:IMPORT_ERRORS_SHOWN] if report else [],
        "hidden_errors": max(report.invalid - IMPORT_ERRORS_SHOWN, 0) if report else 0,
        "attribute_keys": list(CustomAttribute.objects.order_by("key").values_list("key", flat=True)),
        "max_bytes": IMPORT_MAX_BYTES,
    }


@csrf_protect
def _customer_import(request):
    """Upload a customer CSV (crm/importer.py); the answer is the report: counts and each refused line."""
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        upload.seek(0)
        try:
            report = import_customers_csv(
                upload.file,
                actor=request.user,
                dry_run=form.cleaned_data["dry_run"],
                source="upload",
                filename=upload.name,
            )
        except ImportFileError as exc:
            for message in exc.messages:
                form.add_error("file", message)
    dry_run = request.method == "POST" and form.cleaned_data.get("dry_run", False)
    context = _import_context(form, report, dry_run=dry_run)
    return render(request, "crm/import.html", context, status=400 if form.errors else 200)


@role_required({roles.ADMIN})
@require_http_methods(["GET"])
def import_template(request):
    """A CSV with every column the import reads (declared custom attributes included) and one example line."""
    attributes = [(a.key, a.type, a.choice_list) for a in CustomAttribute.objects.order_by("key")]
    # The byte-order mark makes spreadsheets open it as UTF-8; the import accepts it.
    response = HttpResponse("\ufeff" + template_csv(attributes), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="customers-template.csv"'
    return response
