from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from crm import selectors
from crm.forms import IMPORT_MAX_BYTES, ImportForm
from crm.importer import ImportFileError, import_customers_csv, template_csv
from crm.models import CustomAttribute
from npsapp import roles
from npsapp.pagination import LookaheadPaginator
from npsapp.roles import role_required

# Customers and at-risk customers -------------------------------------------------------

PAGE_SIZE = 50
# Each at-risk row carries its own invite form: 25 a page, as in the inbox, keeps a phone's page short.
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
