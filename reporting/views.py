"""The manager's dashboard, and its follow-up performance panel served on its own.

The panel reads every follow-up case of the filtered answers (hundreds of thousands on a large
site), so the dashboard page does not wait for it: the page loads it with htmx, and without
JavaScript a link opens it as a page of its own. Same filters, same URL parameters.
"""

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from crm.segments import filter_choices
from npsapp import roles
from npsapp.replicas import reads_from_replica, replica_lag_minutes
from npsapp.roles import role_required
from reporting import reports
from reporting.followups_rollup import dashboard_followup_report
from surveys import selectors
from surveys.filters import DashboardFilterForm, ResponseFilter


@role_required(roles.CAN_SEE_DASHBOARD)
@require_http_methods(["GET"])
@reads_from_replica
def dashboard_followup(request):
    form = DashboardFilterForm(request.GET, **filter_choices())
    fragment = request.headers.get("HX-Request") == "true"
    template = "reporting/_dashboard_followup.html" if fragment else "reporting/dashboard_followup.html"
    if not form.is_valid():
        return render(request, template, {"form": form, "followup": None}, status=400)
    filters = ResponseFilter.from_form(form, today=timezone.localdate())
    followup = dashboard_followup_report(filters=filters, now=timezone.now())
    context = {"form": form, "filters": filters, "followup": followup, "query_string": filters.query_string()}
    return render(request, template, context)


def _chart_data(dashboard) -> dict:
    return {
        "distribution": dashboard.distribution,
        "trend": [
            {
                "start": bucket.start.isoformat(),
                "nps": bucket.result.score,
                "margin": bucket.result.margin,
                "promoters": bucket.result.pct_promoters,
                "detractors": bucket.result.pct_detractors,
                "n": bucket.result.n,
                "partial": bucket.partial,
                "small": bucket.result.is_small_sample,
            }
            for bucket in dashboard.trend
        ],
    }


@role_required(roles.CAN_SEE_DASHBOARD)
@require_http_methods(["GET"])
@reads_from_replica
def dashboard(request):
    """The manager's dashboard: every figure follows the filters in the URL."""
    today = timezone.localdate()
    # An empty query string is a valid filter (the defaults), so the form is always bound.
    form = DashboardFilterForm(request.GET, **filter_choices())
    if not form.is_valid():
        context = {"form": form, "dashboard": None}
        return render(request, "reporting/dashboard.html", context, status=400)
    filters = ResponseFilter.from_form(form, today=today)
    data = reports.build_dashboard(filters)
    responses = filters.responses()
    first_day = reports.first_answer_day()
    context = {
        "form": form,
        "filters": filters,
        "dashboard": data,
        "replica_lag_minutes": replica_lag_minutes(),
        "verbatims": selectors.verbatims(responses),
        "top_themes": reports.top_themes(filters),
        "chart_data": _chart_data(data),
        "query_string": filters.query_string(),
        "presets": {
            "12m": filters.query_string(start="", end=""),
            "90d": filters.query_string(start=(today - timedelta(days=89)).isoformat(), end=today.isoformat()),
            "all": filters.query_string(start=first_day.isoformat() if first_day else "", end=today.isoformat()),
        },
    }
    return render(request, "reporting/dashboard.html", context)
