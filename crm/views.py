from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from crm import selectors, timeline
from crm.forms import IMPORT_MAX_BYTES, ImportForm
from crm.importer import ImportFileError, import_customers_csv, template_csv
from crm.models import CustomAttribute
from customerview import atrisk_selectors  # until the customer page moves to the customer view
from npsapp import roles
from npsapp.roles import role_required

# Customers -----------------------------------------------------------------------------

PAGE_SIZE = 50
SEARCH_MAX_LENGTH = 200


@role_required(roles.CAN_WORK_CASES)
@require_http_methods(["GET"])
def customer_list(request):
    """Every customer, searchable by name, email or external id."""
    query = request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    page = Paginator(selectors.customer_search(query=query), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "crm/customer_list.html", {"page": page, "query": query})


@role_required(roles.CAN_WORK_CASES)
@require_http_methods(["GET"])
def customer_detail(request, public_id):
    """One customer: profile, figures, purchases, events, answers, cases and why they may be at risk."""
    customer = selectors.customer_by_public_id(public_id=public_id)
    today = timezone.localdate()
    context = {
        "customer": customer,
        "erased": customer.erased_at is not None,
        "crm": selectors.customer_crm_summary(
            customer=customer, viewer=request.user, today=today, with_earlier_responses=False
        ),
        "attributes": selectors.customer_custom_attributes(customer=customer),
        "reasons": atrisk_selectors.customer_at_risk_reasons(
            customer=customer, policy=atrisk_selectors.at_risk_policy(), viewer=request.user, today=today
        ),
        **_timeline_context(request, customer),
    }
    return render(request, "crm/customer_detail.html", context)


def _timeline_context(request, customer) -> dict:
    """The timeline's page (kinds and cursor from the URL) and the links to its other pages."""
    kinds = timeline.parse_kinds(request.GET.getlist("kind"))
    after = timeline.Cursor.parse(request.GET.get("after"))
    before = None if after else timeline.Cursor.parse(request.GET.get("before"))
    page = timeline.customer_timeline(customer=customer, viewer=request.user, kinds=kinds, before=before, after=after)
    base = reverse("crm:customer", args=[customer.public_id])
    kind_query = [] if kinds == timeline.KIND_CODES else [("kind", kind) for kind in kinds]

    def url(**cursor: str) -> str:
        query = urlencode(kind_query + list(cursor.items()))
        return f"{base}?{query}#timeline" if query else f"{base}#timeline"

    return {
        "timeline": page,
        "timeline_kinds": [(code, label, code in kinds) for code, label in timeline.KINDS],
        "timeline_older_url": url(before=page.next_cursor) if page.next_cursor else "",
        "timeline_newer_url": url(after=page.newer_cursor) if page.newer_cursor else "",
        "timeline_newest_url": "" if page.is_first else url(),
    }


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
