from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from surveys import embed, ratelimit, scoring, selectors, services, signals
from surveys.forms import PublicResponseForm, ResponseForm
from surveys.models import CORRECTION_WINDOW, Brand, Invitation, Survey

# The language a customer picked on the page: a link (?lang=fr) before typing, a submit
# button of the form (switch_lang=fr) after, so that the typed text comes back with it.
LANGUAGE_PARAM = "lang"
SWITCH_LANGUAGE_PARAM = "switch_lang"
PUBLIC_THANKS_SALT = "surveys.public-thanks"
PUBLIC_THANKS_MAX_AGE = 60 * 60
# Anonymous surveys: the key back to the answer lives only in this cookie, scoped to the link.
ANSWER_COOKIE = "npsapp_answer"
ANSWER_COOKIE_SALT = "surveys.anonymous-answer"


# --- Language --------------------------------------------------------------------------------------


def _supported_language(code) -> str | None:
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(str(code).strip().lower())
    except LookupError:
        return None


def _activate_language(request, *preferred: str) -> str:
    """The customer's pick on the page, else the first known of `preferred`, else the browser's."""
    picked = (
        request.POST.get(SWITCH_LANGUAGE_PARAM) or request.POST.get(LANGUAGE_PARAM) or request.GET.get(LANGUAGE_PARAM)
    )
    for code in (picked, *preferred):
        language = _supported_language(code)
        if language:
            break
    else:
        language = translation.get_language_from_request(request)
    translation.activate(language)
    request.LANGUAGE_CODE = translation.get_language()
    return request.LANGUAGE_CODE


def _language_links(request) -> list[dict]:
    """The switch's entries: each language with the page's query string in that language.

    Most pages have no query string (every answer's thank-you page): their entries depend on the
    language alone and are built once per process. Not to be changed by the caller."""
    current = translation.get_language()
    if request.GET:
        return _language_entries(current, request.GET)
    entries = _plain_language_links.get(current)
    if entries is None:
        entries = _plain_language_links[current] = _language_entries(current, request.GET)
    return entries


_plain_language_links: dict[str, list[dict]] = {}


@receiver(setting_changed)
def _languages_changed(*, setting, **kwargs) -> None:
    if setting == "LANGUAGES":
        _plain_language_links.clear()


def _language_entries(current: str, query_dict) -> list[dict]:
    entries = []
    for code, _label in settings.LANGUAGES:
        query = query_dict.copy()
        query[LANGUAGE_PARAM] = code
        with translation.override(code):
            name = translation.get_language_info(code)["name_local"]
        entries.append({"code": code, "name": name, "query": query.urlencode(), "current": code == current})
    return entries


# --- Shared page pieces ------------------------------------------------------------------------------


def _form_initial_from_post(form_class, data, survey):
    """An unbound form showing what was posted, without errors (language switch, rate limit)."""
    initial = {name: data.get(name, "") for name in ("score", "comment", "csat", "email")}
    initial["criteria"] = data.getlist("criteria")
    return form_class(initial=initial, survey=survey)


def _add_service_errors(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _rate_limited(request, template: str, context: dict):
    context = {**context, "rate_limited": True}
    page = render(request, template, context, status=429)
    page["Retry-After"] = str(ratelimit.WINDOW_SECONDS)
    return page


def _comment_prompt(survey, form) -> str:
    """The open question as the server renders it: the segment's when a score is already chosen
    (preselected from the email's score link, or posted), so it is right without JavaScript."""
    value = form["score"].value() if form is not None else None
    try:
        score = int(value)
    except (TypeError, ValueError):
        return survey.comment_prompt_text
    if not scoring.SCORE_MIN <= score <= scoring.SCORE_MAX:
        return survey.comment_prompt_text
    return survey.prompt_for(scoring.segment_for(score))


def _page_context(request, survey, form=None, **extra) -> dict:
    return {
        "survey": survey,
        "form": form,
        "comment_prompt": _comment_prompt(survey, form),
        "language_links": _language_links(request),
        "switch_param": SWITCH_LANGUAGE_PARAM,
        # The open question's wording per segment, for the form's script: no form, no wording.
        "segment_prompts": survey.segment_prompts if form is not None else {},
        "location_param": embed.LOCATION_PARAM,
        "location_token": getattr(request, "poster_location_token", ""),
        **extra,
    }


# --- The personal link -----------------------------------------------------------------------------


def _response_of(request, invitation: Invitation):
    """The link's answer: joined in for a named survey; on an anonymous one, only through the
    correction key in this browser's cookie (None elsewhere, or once the window is over)."""
    if not invitation.survey.is_anonymous:
        # The reverse one-to-one raises when there is no response; it was joined in, so no query.
        return getattr(invitation, "response", None)
    if not invitation.answered:
        return None
    key = request.get_signed_cookie(
        ANSWER_COOKIE,
        default="",
        salt=ANSWER_COOKIE_SALT + invitation.token,
        max_age=int(CORRECTION_WINDOW.total_seconds()),
    )
    return selectors.anonymous_response_for_key(survey=invitation.survey, key=key)


def _keep_correction_key(page, invitation: Invitation, response) -> None:
    """Hand an anonymous answer's correction key to the respondent's browser, and to nothing else."""
    key = getattr(response, "correction_key", "")
    if not key:
        return
    page.set_signed_cookie(
        ANSWER_COOKIE,
        key,
        salt=ANSWER_COOKIE_SALT + invitation.token,
        max_age=int(CORRECTION_WINDOW.total_seconds()),
        path=reverse("surveys:respond", args=[invitation.token]),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _invitation_language(request, invitation: Invitation, response=None) -> str:
    return _activate_language(
        request,
        response.language if response is not None else "",
        invitation.language,
        invitation.customer.language,
    )


def _answered_page(request, invitation):
    context = _page_context(request, invitation.survey, invitation=invitation)
    return render(request, "surveys/already_answered.html", context)


def _expired_page(request, invitation):
    context = _page_context(request, invitation.survey, invitation=invitation)
    return render(request, "surveys/expired.html", context, status=410)


def _answer_initial(response) -> dict:
    return {
        "score": response.score,
        "comment": response.comment,
        "criteria": response.criteria,
        "csat": response.csat,
    }


@require_http_methods(["GET", "POST"])
def respond(request, token: str):
    """The customer's personal survey page. GET only shows (and notes the first opening); POST answers.

    For CORRECTION_WINDOW after answering, the same link shows the answer again to change it.
    """
    invitation = selectors.invitation_for_token(token)
    survey = invitation.survey
    response = _response_of(request, invitation)
    language = _invitation_language(request, invitation, response)
    if response is not None and not (response.is_correctable and invitation.customer.erased_at is None):
        return _answered_page(request, invitation)
    if response is None and invitation.answered:
        # An anonymous answer opened from another browser, or after its window: nothing leads to it.
        return _answered_page(request, invitation)
    if response is None and invitation.is_expired:
        return _expired_page(request, invitation)
    context = {"invitation": invitation, "response": response}

    if request.method == "POST":
        if SWITCH_LANGUAGE_PARAM in request.POST:
            form = _form_initial_from_post(ResponseForm, request.POST, survey)
            return render(request, "surveys/respond.html", _page_context(request, survey, form, **context))
        form = ResponseForm(request.POST, survey=survey)
        # A link's first valid answer is not counted: the database takes one answer per link,
        # so it cannot be repeated. Corrections and invalid posts are: a burst is refused.
        first_answer = response is None and form.is_valid()
        if not first_answer and not ratelimit.link_post_allowed(token):
            form = _form_initial_from_post(ResponseForm, request.POST, survey)
            return _rate_limited(request, "surveys/respond.html", _page_context(request, survey, form, **context))
        if form.is_valid():
            try:
                if response is None:
                    saved = services.response_submit(invitation=invitation, language=language, **form.answer())
                else:
                    saved = services.response_correct(response=response, language=language, **form.answer())
            except (services.AlreadyAnswered, services.CorrectionClosed):
                return _answered_page(request, invitation)
            except services.InvitationExpired:
                return _expired_page(request, invitation)
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                # The thank-you page is this request's answer, not a redirect to it: the customer's
                # browser makes one request per answer. A reload posts the same answer again,
                # which changes nothing (services.response_correct).
                page = _thanks_page(request, invitation, saved)
                _keep_correction_key(page, invitation, saved)
                return page
        status = 400
    else:
        services.invitation_mark_opened(invitation=invitation)
        initial = _answer_initial(response) if response is not None else {}
        preselected = request.GET.get("score", "")
        if preselected.isdigit() and scoring.SCORE_MIN <= int(preselected) <= scoring.SCORE_MAX:
            initial["score"] = int(preselected)
        form = ResponseForm(initial=initial, survey=survey)
        status = 200
    return render(request, "surveys/respond.html", _page_context(request, survey, form, **context), status=status)


def _contact_promised(survey: Survey, *, contactable: bool) -> bool:
    return contactable and not survey.is_anonymous


@require_http_methods(["GET"])
def thanks(request, token: str):
    invitation = selectors.invitation_for_token(token)
    response = _response_of(request, invitation)
    _invitation_language(request, invitation, response)
    survey = invitation.survey
    if response is None and invitation.answered:
        # Anonymous, seen from a browser without the key: thanks, without the answer.
        context = _page_context(request, survey, invitation=invitation, can_change=False)
        return render(request, "surveys/thanks.html", context)
    if response is None:
        return HttpResponseRedirect(reverse("surveys:respond", args=[token]))
    return _thanks_page(request, invitation, response)


def _thanks_page(request, invitation: Invitation, response):
    """The thank-you page for the link's answer: right after answering, or from its own address."""
    survey = invitation.survey
    context = _page_context(
        request,
        survey,
        invitation=invitation,
        response=response,
        score=response.score,
        segment=response.segment,
        custom_thanks=survey.thanks_for(response.segment),
        is_critical=response.is_critical,
        comment=response.comment,
        contact_promised=_contact_promised(survey, contactable=True),
        deadline_words=signals.deadline_words(survey) if response.segment == "detractor" else "",
        can_change=response.is_correctable,
        change_url=reverse("surveys:respond", args=[invitation.token]),
    )
    return render(request, "surveys/thanks.html", context)


# --- The public feedback page ------------------------------------------------------------------------


def _public_survey(public_id) -> Survey:
    return get_object_or_404(
        Survey.objects.select_related("brand"), public_id=public_id, public_form_enabled=True, is_active=True
    )


def _public_thanks_redirect(survey: Survey, *, score: int | None, contactable: bool):
    # The thank-you page depends on the score; it travels signed in the address, so the page
    # needs no session and a bot's fake answer gets the same page as a real one.
    ticket = signing.dumps({"s": score, "c": contactable}, salt=PUBLIC_THANKS_SALT, compress=True)
    url = reverse("surveys:public_thanks", args=[survey.public_id])
    return HttpResponseRedirect(f"{url}?r={ticket}&{LANGUAGE_PARAM}={translation.get_language()}")


@csrf_exempt  # No cookie in a third-party frame: embed.cross_site_post checks instead.
@require_http_methods(["GET", "POST"])
def public_feedback(request, public_id):
    """A survey's public feedback page: anyone may answer, without an invitation."""
    survey = _public_survey(public_id)
    if request.method == "POST" and embed.cross_site_post(request):
        raise PermissionDenied
    page = _public_feedback_page(request, survey)
    embed.frame_headers(page, survey.embed_origin_list)
    return page


def _public_feedback_page(request, survey):
    language = _activate_language(request)
    # A poster's QR code: the shop's label, signed; a forged or missing one is no location.
    location_token = request.POST.get(embed.LOCATION_PARAM) or request.GET.get(embed.LOCATION_PARAM) or ""
    location = embed.location_from_token(public_id=survey.public_id, token=location_token)
    request.poster_location_token = location_token if location else ""
    if request.method == "POST":
        if SWITCH_LANGUAGE_PARAM in request.POST:
            form = _form_initial_from_post(PublicResponseForm, request.POST, survey)
            return render(request, "surveys/public_form.html", _page_context(request, survey, form))
        if not ratelimit.public_post_allowed(request):
            form = _form_initial_from_post(PublicResponseForm, request.POST, survey)
            return _rate_limited(request, "surveys/public_form.html", _page_context(request, survey, form))
        form = PublicResponseForm(request.POST, survey=survey)
        if form.is_bot:
            # Looks accepted, stores nothing: the robot learns nothing to adapt to.
            score = form.cleaned_data.get("score") if form.is_valid() else None
            return _public_thanks_redirect(survey, score=score, contactable=False)
        if form.is_valid():
            answer = form.answer()
            try:
                services.response_submit_public(survey=survey, language=language, location=location, **answer)
            except services.PublicFormClosed as exc:
                raise Http404 from exc
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                return _public_thanks_redirect(survey, score=answer["score"], contactable=bool(answer["email"]))
        status = 400
    else:
        initial = {}
        preselected = request.GET.get("score", "")
        if preselected.isdigit() and scoring.SCORE_MIN <= int(preselected) <= scoring.SCORE_MAX:
            initial["score"] = int(preselected)
        form = PublicResponseForm(initial=initial, survey=survey)
        status = 200
    return render(request, "surveys/public_form.html", _page_context(request, survey, form), status=status)


@require_http_methods(["GET"])
def public_thanks(request, public_id):
    survey = _public_survey(public_id)
    _activate_language(request)
    try:
        data = signing.loads(request.GET.get("r", ""), salt=PUBLIC_THANKS_SALT, max_age=PUBLIC_THANKS_MAX_AGE)
    except signing.BadSignature:
        data = {}
    if not isinstance(data, dict):
        data = {}
    score = data.get("s")
    if not (isinstance(score, int) and scoring.SCORE_MIN <= score <= scoring.SCORE_MAX):
        score = None
    segment = scoring.segment_for(score) if score is not None else None
    context = _page_context(
        request,
        survey,
        score=score,
        segment=segment,
        custom_thanks=survey.thanks_for(segment) if segment else "",
        is_critical=score is not None and scoring.is_critical(score),
        contact_promised=score is not None and _contact_promised(survey, contactable=bool(data.get("c"))),
        deadline_words=signals.deadline_words(survey) if segment == "detractor" else "",
        can_change=False,
    )
    page = render(request, "surveys/thanks.html", context)
    embed.frame_headers(page, survey.embed_origin_list)
    return page


# --- Brand stylesheet -----------------------------------------------------------------------------------


@require_http_methods(["GET"])
@cache_control(public=True, max_age=24 * 60 * 60)
def brand_css(request, brand_id: int):
    """The brand's colour as CSS variables (the CSP forbids inline styles). Cached: the URL
    carries the colour, so a new colour is a new address."""
    brand = get_object_or_404(Brand, pk=brand_id)
    css = f":root{{--brand:{brand.css_colour};--brand-ink:{brand.ink};--brand-edge:{brand.edge};}}\n"
    return HttpResponse(css, content_type="text/css; charset=utf-8")
