from datetime import timedelta

from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_http_methods

from followups.metrics import followup_report
from followups.models import Ticket
from npsapp import roles
from npsapp.roles import role_required
from surveys import reports, scoring, selectors, services
from surveys.filters import DashboardFilterForm, ResponseFilter, filter_choices
from surveys.forms import ResponseForm
from surveys.models import Invitation


def _get_invitation(token: str) -> Invitation:
    return get_object_or_404(Invitation.objects.select_related("survey__brand", "customer", "response"), token=token)


def _response_of(invitation: Invitation):
    # The reverse one-to-one raises when there is no response; it was joined in, so no query.
    return getattr(invitation, "response", None)


def _activate_customer_language(request, invitation: Invitation) -> str:
    """The page speaks the customer's language when the CRM knows it, else the browser's."""
    language = invitation.customer.language or translation.get_language_from_request(request)
    if not translation.check_for_language(language):
        language = translation.get_language_from_request(request)
    translation.activate(language)
    request.LANGUAGE_CODE = translation.get_language()
    return request.LANGUAGE_CODE


def _answered_page(request, invitation):
    return render(request, "surveys/already_answered.html", {"invitation": invitation, "survey": invitation.survey})


def _expired_page(request, invitation):
    context = {"invitation": invitation, "survey": invitation.survey}
    return render(request, "surveys/expired.html", context, status=410)


@require_http_methods(["GET", "POST"])
def respond(request, token: str):
    """The customer's personal survey page. GET only shows; POST records the answer."""
    invitation = _get_invitation(token)
    language = _activate_customer_language(request, invitation)
    if _response_of(invitation) is not None:
        return _answered_page(request, invitation)
    if invitation.is_expired:
        return _expired_page(request, invitation)

    if request.method == "POST":
        form = ResponseForm(request.POST)
        if form.is_valid():
            try:
                services.response_submit(
                    invitation=invitation,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                    language=language,
                )
            except services.AlreadyAnswered:
                return _answered_page(request, invitation)
            except services.InvitationExpired:
                return _expired_page(request, invitation)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                return HttpResponseRedirect(reverse("surveys:thanks", args=[token]))
        status = 400
    else:
        initial = {}
        preselected = request.GET.get("score", "")
        if preselected.isdigit() and scoring.SCORE_MIN <= int(preselected) <= scoring.SCORE_MAX:
            initial["score"] = int(preselected)
        form = ResponseForm(initial=initial)
        status = 200
    context = {"invitation": invitation, "survey": invitation.survey, "form": form}
    return render(request, "surveys/respond.html", context, status=status)


@require_http_methods(["GET"])
def thanks(request, token: str):
    invitation = _get_invitation(token)
    _activate_customer_language(request, invitation)
    response = _response_of(invitation)
    if response is None:
        return HttpResponseRedirect(reverse("surveys:respond", args=[token]))
    context = {"invitation": invitation, "survey": invitation.survey, "response": response}
    return render(request, "surveys/thanks.html", context)


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
            }
            for bucket in dashboard.trend
        ],
    }


@role_required(roles.CAN_SEE_DASHBOARD)
@require_http_methods(["GET"])
def dashboard(request):
    """The manager's dashboard: every figure follows the filters in the URL."""
    today = timezone.localdate()
    # An empty query string is a valid filter (the defaults), so the form is always bound.
    form = DashboardFilterForm(request.GET, **filter_choices())
    if not form.is_valid():
        context = {"form": form, "dashboard": None}
        return render(request, "surveys/dashboard.html", context, status=400)
    filters = ResponseFilter.from_form(form, today=today)
    data = reports.build_dashboard(filters)
    responses = filters.responses()
    first_day = reports.first_answer_day()
    context = {
        "form": form,
        "filters": filters,
        "dashboard": data,
        "followup": followup_report(
            tickets=Ticket.objects.filter(response__in=responses.values("id")), now=timezone.now()
        ),
        "verbatims": selectors.verbatims(responses),
        "top_themes": selectors.top_themes(responses),
        "chart_data": _chart_data(data),
        "query_string": filters.query_string(),
        "presets": {
            "12m": filters.query_string(start="", end=""),
            "90d": filters.query_string(start=(today - timedelta(days=89)).isoformat(), end=today.isoformat()),
            "all": filters.query_string(start=first_day.isoformat() if first_day else "", end=today.isoformat()),
        },
    }
    return render(request, "surveys/dashboard.html", context)
