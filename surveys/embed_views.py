"""The public page outside the app: the embed script, the QR codes and the shop poster."""

import io
import json

import segno
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from npsapp import roles
from npsapp.roles import role_required
from surveys import embed
from surveys.models import Survey
from surveys.views import LANGUAGE_PARAM, _activate_language, _public_survey


def public_url(survey: Survey, *, location_token: str = "") -> str:
    """The address a QR code holds: the configured site, not whatever host served the request."""
    url = settings.SITE_URL + reverse("surveys:public_feedback", args=[survey.public_id])
    if location_token:
        url += f"?{embed.LOCATION_PARAM}={location_token}"
    return url


@require_http_methods(["GET"])
@cache_control(public=True, max_age=60 * 60)
@vary_on_headers("Accept-Language")
def embed_script(request, public_id):
    """The script tag's code: a "Feedback" button opening the public page in a dialog."""
    survey = get_object_or_404(
        Survey.objects.select_related("brand"), public_id=public_id, public_form_enabled=True, is_active=True
    )
    if not survey.embed_origin_list:
        raise Http404
    language = _activate_language(request)
    page = request.build_absolute_uri(reverse("surveys:public_feedback", args=[survey.public_id]))
    config = {
        "id": str(survey.public_id),
        "url": f"{page}?{LANGUAGE_PARAM}={language}",
        "origin": request.build_absolute_uri("/").rstrip("/"),
        "label": _("Feedback"),
        "title": _("Your feedback to %(brand)s") % {"brand": survey.brand.name},
        "close": _("Close"),
        "colour": survey.brand.css_colour,
        "ink": survey.brand.ink,
    }
    # JSON in a script: "<" escaped so that no value can close a surrounding tag.
    text = render_to_string("surveys/embed.js", {"config": json.dumps(config).replace("<", "\\u003c")})
    return HttpResponse(text, content_type="text/javascript; charset=utf-8")


def _qr(request, public_id):
    survey = _public_survey(public_id)
    token = request.GET.get(embed.LOCATION_PARAM, "")
    if token and not embed.location_from_token(public_id=survey.public_id, token=token):
        raise Http404  # Only labels the poster page signed are ever printed.
    return segno.make(public_url(survey, location_token=token), error="m")


@require_http_methods(["GET"])
@cache_control(public=True, max_age=24 * 60 * 60)
def qr_svg(request, public_id):
    out = io.BytesIO()
    _qr(request, public_id).save(out, kind="svg", scale=8, border=4, xmldecl=False)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")


@require_http_methods(["GET"])
@cache_control(public=True, max_age=24 * 60 * 60)
def qr_png(request, public_id):
    out = io.BytesIO()
    _qr(request, public_id).save(out, kind="png", scale=8, border=4)
    return HttpResponse(out.getvalue(), content_type="image/png")


@require_http_methods(["GET"])
@role_required(roles.CAN_SEE_DASHBOARD)
def poster(request, public_id):
    """A printable A5 poster for one shop: the brand, the question and a code that files the
    answers under the shop's label. Staff only: it is what signs a label."""
    survey = _public_survey(public_id)
    _activate_language(request)
    location = request.GET.get("location", "").strip()[: embed.LOCATION_MAX_LENGTH]
    token = embed.location_sign(public_id=survey.public_id, location=location) if location else ""
    context = {
        "survey": survey,
        "location": location,
        "location_token": token,
        "location_param": embed.LOCATION_PARAM,
        "location_max_length": embed.LOCATION_MAX_LENGTH,
        "public_url": public_url(survey, location_token=token),
        "short_url": public_url(survey),
        "languages": [(code, translation.get_language_info(code)["name_local"]) for code, _n in settings.LANGUAGES],
    }
    return render(request, "surveys/poster.html", context)
