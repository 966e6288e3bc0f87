"""The theme review page (managers) and the "what to fix first" panel of the dashboard."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.segments import filter_choices
from insights import forms, selectors, services
from insights.drivers import MIN_GROUP
from insights.models import ProposalStatus, ThemeProposal
from npsapp import roles
from npsapp.publish import publish
from npsapp.roles import role_required
from surveys.filters import DashboardFilterForm, ResponseFilter


def _get_open_proposal(public_id) -> ThemeProposal:
    return get_object_or_404(ThemeProposal, public_id=public_id, status=ProposalStatus.OPEN)


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@role_required(roles.CAN_SEE_DASHBOARD)
@require_http_methods(["GET"])
def review(request):
    proposals = list(selectors.proposals_to_review())
    examples = selectors.example_comments(proposals)
    for proposal in proposals:
        proposal.examples = examples.get(proposal.id, [])
        proposal.detractor_pct = round(100 * proposal.detractor_share)
    context = {
        "proposals": proposals,
        "decided": selectors.proposals_decided(),
        "run": selectors.latest_run(),
        "discover_form": forms.DiscoverForm(),
    }
    return render(request, "insights/review.html", context)


@role_required(roles.CAN_SEE_DASHBOARD)
@require_POST
def discover(request):
    form = forms.DiscoverForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("insights:review")
    run = services.discovery_run_create(
        since=form.cleaned_data["since"],
        until=form.cleaned_data["until"],
        survey=form.cleaned_data["survey"],
        requested_by=request.user,
    )
    from insights.tasks import discovery_run_task

    transaction.on_commit(lambda: publish(discovery_run_task, run.id))
    messages.success(request, _("Theme discovery started. Reload the page in a moment to see its proposals."))
    return redirect("insights:review")


@role_required(roles.CAN_SEE_DASHBOARD)
@require_POST
def accept(request, public_id):
    proposal = _get_open_proposal(public_id)
    form = forms.AcceptForm(request.POST)
    form.is_valid()
    try:
        theme = services.proposal_accept(proposal=proposal, actor=request.user, name=form.cleaned_data.get("label", ""))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request, _("“%(name)s” is now a theme. Edit its keywords in Django admin.") % {"name": theme.name}
        )
    return redirect("insights:review")


@role_required(roles.CAN_SEE_DASHBOARD)
@require_POST
def merge(request, public_id):
    proposal = _get_open_proposal(public_id)
    form = forms.MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose another proposal to merge with."))
        return redirect("insights:review")
    into = _get_open_proposal(form.cleaned_data["into"])
    try:
        merged = services.proposal_merge(proposal=proposal, into=into, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Merged into “%(label)s”.") % {"label": merged.label})
    return redirect("insights:review")


@role_required(roles.CAN_SEE_DASHBOARD)
@require_POST
def rename(request, public_id):
    proposal = _get_open_proposal(public_id)
    form = forms.RenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the theme a name."))
        return redirect("insights:review")
    services.proposal_rename(proposal=proposal, label=form.cleaned_data["label"], actor=request.user)
    messages.success(request, _("Renamed."))
    return redirect("insights:review")


@role_required(roles.CAN_SEE_DASHBOARD)
@require_POST
def dismiss(request, public_id):
    proposal = _get_open_proposal(public_id)
    services.proposal_dismiss(proposal=proposal, actor=request.user)
    messages.success(request, _("Dismissed: later runs will not propose it again."))
    return redirect("insights:review")


@role_required(roles.CAN_SEE_DASHBOARD)
@require_http_methods(["GET"])
def drivers(request):
    """What to fix first, for the dashboard's filters: an htmx panel, or a page without JavaScript."""
    form = DashboardFilterForm(request.GET, **filter_choices())
    fragment = request.headers.get("HX-Request") == "true"
    template = "insights/_drivers.html" if fragment else "insights/drivers.html"
    if not form.is_valid():
        return render(request, template, {"form": form, "report": None}, status=400)
    filters = ResponseFilter.from_form(form, today=timezone.localdate())
    report = selectors.driver_report(filters.responses())
    context = {"report": report, "query_string": filters.query_string(), "min_group": MIN_GROUP}
    return render(request, template, context)
