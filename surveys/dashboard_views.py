"""The dashboard's follow-up performance panel, served on its own.

It reads every follow-up case of the filtered answers (hundreds of thousands on a large
site), so the dashboard page does not wait for it: the page loads it with htmx, and without
JavaScript a link opens it as a page of its own. Same filters, same URL parameters.
"""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from npsapp import roles
from npsapp.replicas import reads_from_replica
from npsapp.roles import role_required
from reporting.followups_rollup import dashboard_followup_report
from surveys.filters import DashboardFilterForm, ResponseFilter, filter_choices


@role_required(roles.CAN_SEE_DASHBOARD)
@require_http_methods(["GET"])
@reads_from_replica
def dashboard_followup(request):
    form = DashboardFilterForm(request.GET, **filter_choices())
    fragment = request.headers.get("HX-Request") == "true"
    template = "surveys/_dashboard_followup.html" if fragment else "surveys/dashboard_followup.html"
    if not form.is_valid():
        return render(request, template, {"form": form, "followup": None}, status=400)
    filters = ResponseFilter.from_form(form, today=timezone.localdate())
    followup = dashboard_followup_report(filters=filters, now=timezone.now())
    context = {"form": form, "filters": filters, "followup": followup, "query_string": filters.query_string()}
    return render(request, template, context)
