from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from followups.selectors import ticket_counts
from npsapp import roles
from npsapp.roles import role_required
from surveys import scoring, selectors, services
from surveys.forms import ResponseForm
from surveys.models import Invitation, Survey


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


@role_required(roles.CAN_SEE_DASHBOARD)
@require_http_methods(["GET"])
def dashboard(request):
    """The manager's dashboard over the last 12 months, optionally for one survey."""
    surveys = list(Survey.objects.order_by("name"))
    survey = None
    survey_param = request.GET.get("survey", "")
    error = ""
    if survey_param:
        survey = next((s for s in surveys if str(s.public_id) == survey_param), None)
        if survey is None:
            error = _("That survey does not exist; showing all surveys.")
    trend = selectors.nps_by_month(selectors.responses_in_period(survey=survey), months=12)
    first_month = trend[0]["month"]
    since = timezone.make_aware(datetime(first_month.year, first_month.month, 1))
    responses = selectors.responses_in_period(start=since, survey=survey)
    summary = selectors.nps_summary(responses)
    distribution = selectors.score_distribution(responses)
    context = {
        "surveys": surveys,
        "survey": survey,
        "error": error,
        "since": since,
        "summary": summary,
        "distribution": distribution,
        "trend": trend,
        "chart_data": {
            "distribution": distribution,
            "trend": [
                {
                    "month": row["month"].isoformat(),
                    "nps": row["result"].score,
                    "n": row["result"].n,
                }
                for row in trend
            ],
        },
        "ticket_counts": ticket_counts(survey=survey),
    }
    return render(request, "surveys/dashboard.html", context)
