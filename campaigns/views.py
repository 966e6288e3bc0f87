from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from campaigns import selectors, services
from campaigns.choices import CampaignStatus
from campaigns.forms import AudienceForm, CampaignForm
from campaigns.models import Campaign
from crm.segments import filter_choices
from npsapp import roles
from npsapp.roles import role_required
from surveys.invitation_email import unsubscribe_target
from surveys.models import Survey

CAN_MANAGE_CAMPAIGNS = {roles.MANAGER, roles.ADMIN}
LIST_PAGE_SIZE = 25
DETAIL_PAGE_SIZE = 50


def _get_campaign(campaign_id: int) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("survey__brand", "created_by"), id=campaign_id)


@role_required(CAN_MANAGE_CAMPAIGNS)
@require_http_methods(["GET"])
def campaign_list(request):
    page = Paginator(selectors.campaign_list(), LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "campaigns/campaign_list.html", {"page": page})


@role_required(CAN_MANAGE_CAMPAIGNS)
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    """The form: survey, audience (CRM filters) and send time, with the number of matching customers."""
    choices = filter_choices()
    form = CampaignForm(request.POST or None, **choices)
    count = None
    status = 200
    if request.method == "POST":
        valid = form.is_valid()
        survey = form.cleaned_data.get("survey")
        if valid and request.POST.get("action") != "count":
            try:
                campaign = services.campaign_create(
                    name=form.cleaned_data["name"],
                    survey=survey,
                    audience=form.audience,
                    send_at=form.cleaned_data["send_at"],
                    created_by=request.user,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(None if field == "__all__" else field, errors)
            else:
                messages.success(request, _("Campaign scheduled."))
                return HttpResponseRedirect(reverse("campaigns:detail", args=[campaign.id]))
        if not any(name in form.errors for name in form.audience_field_names):
            count = selectors.audience_count(audience=form.audience, survey=survey)
        if form.errors:
            status = 400
    else:
        count = selectors.audience_count(audience={}, survey=None)
    return render(request, "campaigns/campaign_form.html", {"form": form, "count": count}, status=status)


@role_required(CAN_MANAGE_CAMPAIGNS)
@require_http_methods(["GET"])
def audience_count(request):
    """htmx: the live count of the audience the form describes."""
    form = AudienceForm(request.GET, **filter_choices())
    survey = None
    if request.GET.get("survey", "").isdigit():
        survey = Survey.objects.filter(id=request.GET["survey"]).first()
    count = selectors.audience_count(audience=form.audience, survey=survey) if form.is_valid() else None
    return render(request, "campaigns/_audience_count.html", {"count": count})


@role_required(CAN_MANAGE_CAMPAIGNS)
@require_http_methods(["GET"])
def campaign_detail(request, campaign_id: int):
    campaign = _get_campaign(campaign_id)
    invitations_page, skipped_page = request.GET.get("page", ""), request.GET.get("skipped_page", "")
    context = {
        "campaign": campaign,
        "audience": selectors.audience_description(campaign.audience),
        # Each list's page links keep the other list's page (digits only, never echoed raw).
        "invitations_keep": f"page={invitations_page}" if invitations_page.isdigit() else "",
        "skips_keep": f"skipped_page={skipped_page}" if skipped_page.isdigit() else "",
        "counts": selectors.campaign_counts(campaign=campaign),
        "failures": selectors.campaign_failures(campaign=campaign),
        "invitations": Paginator(selectors.campaign_invitations(campaign=campaign), DETAIL_PAGE_SIZE).get_page(
            request.GET.get("page")
        ),
        "skips": Paginator(selectors.campaign_skips(campaign=campaign), DETAIL_PAGE_SIZE).get_page(
            request.GET.get("skipped_page")
        ),
        "can_cancel": campaign.status == CampaignStatus.SCHEDULED,
    }
    return render(request, "campaigns/campaign_detail.html", context)


@role_required(CAN_MANAGE_CAMPAIGNS)
@require_POST
def campaign_cancel(request, campaign_id: int):
    campaign = _get_campaign(campaign_id)
    try:
        services.campaign_cancel(campaign=campaign)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Campaign cancelled: no email will be sent."))
    return HttpResponseRedirect(reverse("campaigns:detail", args=[campaign.id]))


# Public: the unsubscribe link of every survey email ---------------------------------------------


# Mail clients POST the one-click unsubscribe (RFC 8058) without a CSRF token; the signed
# token in the address is what authorises it, and unsubscribing is all it can do.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, signed: str):
    """GET shows a confirmation page (mail scanners open links); POST unsubscribes."""
    target = unsubscribe_target(signed)
    if target is None:
        return render(request, "campaigns/unsubscribe_invalid.html", status=404)
    known = {code for code, _name in settings.LANGUAGES}
    translation.activate(target.language if target.language in known else settings.LANGUAGE_CODE)
    request.LANGUAGE_CODE = translation.get_language()
    customer = target.customer
    context = {"survey": target.survey, "signed": signed}
    if request.method == "POST":
        services.customer_unsubscribe_from_surveys(customer=customer)
        return render(request, "campaigns/unsubscribe_done.html", context)
    context["already"] = customer.surveys_opted_out_at is not None
    return render(request, "campaigns/unsubscribe.html", context)
