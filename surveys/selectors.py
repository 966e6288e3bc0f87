"""Reads over responses: NPS aggregates in one query each."""

import copy

from django.db import router
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404

from npsapp.compiled import CompiledLookup
from surveys import scoring
from surveys.models import Invitation, Response, ResponseTheme, Survey, correction_digest

PROMOTER_Q = Q(score__gte=9)
PASSIVE_Q = Q(score__gte=7, score__lte=8)
DETRACTOR_Q = Q(score__lte=6)


def _segment_counts():
    return {
        "promoters": Count("id", filter=PROMOTER_Q),
        "passives": Count("id", filter=PASSIVE_Q),
        "detractors": Count("id", filter=DETRACTOR_Q),
    }


def nps_summary(responses: QuerySet[Response] | None = None) -> scoring.NpsResult:
    """Promoters, passives and detractors counted in one query with conditional counts."""
    responses = Response.objects.all() if responses is None else responses
    counts = responses.order_by().aggregate(**_segment_counts())
    return scoring.NpsResult(**counts)


def verbatims(responses: QuerySet[Response], *, limit: int = 20) -> list[Response]:
    """The latest comments, with their survey, customer and themes: three queries."""
    return list(
        responses.exclude(comment="")
        .select_related("survey", "customer")
        .prefetch_related(Prefetch("theme_links", queryset=ResponseTheme.objects.select_related("theme")))
        .order_by("-submitted_at")[:limit]
    )


def top_themes(responses: QuerySet[Response], *, limit: int = 8) -> list[dict]:
    """The themes most often given by these responses' detractors, one query."""
    rows = (
        ResponseTheme.objects.filter(response__in=responses.filter(DETRACTOR_Q).values("id"))
        .values("theme_id", "theme__name", "theme__name_fr")
        .annotate(count=Count("response_id", distinct=True))
        .order_by("-count", "theme__name")[:limit]
    )
    return list(rows)


# The survey pages' surveys, kept in each process: survey id -> (its updated_at, the survey with
# its brand; saving the brand sets its surveys' updated_at). Every answer reads the same few
# surveys; building one (about ninety columns with the translations) and its brand cost more
# than the rest of the link's lookup.
SURVEYS_KEPT = 256
_surveys: dict[int, tuple[object, Survey]] = {}


def surveys_forget() -> None:
    """Drop the surveys this process keeps (tests; nothing else needs it: each read checks)."""
    _surveys.clear()


def _survey_as_of(survey_id: int, version, *, using: str) -> Survey:
    """The survey with its brand as of `version` (its updated_at, read with the link): the
    process's copy when it is that version, else read again. Each caller gets its own copy, so
    what a request caches on it (the team, the calendar) stays in that request."""
    kept = _surveys.get(survey_id)
    if kept is None or kept[0] != version:
        # From the database the stamp came from: a replica's older row would be kept as current.
        survey = Survey.objects.using(using).select_related("brand").get(pk=survey_id)
        if len(_surveys) >= SURVEYS_KEPT:
            _surveys.clear()
        # Kept under the version just read: a save since the link's read makes it newer.
        kept = _surveys[survey_id] = (survey.updated_at, survey)
    return copy.copy(kept[1])


_invitation_lookup = CompiledLookup(
    lambda token: (
        Invitation.objects.select_related("customer", "response")
        .annotate(survey_updated_at=F("survey__updated_at"))
        .filter(token=token)[:1]
    )
)


def invitation_for_token(token: str) -> Invitation:
    """The personal link behind `token`, with what its page and its answer need joined in.

    One lookup by the unique, indexed token whatever the token looks like (Http404 for any
    miss, so neither the time nor the page tells a near miss apart). The survey and its brand
    come from this process's copy when the survey's stamp read with the link says it is current
    (a second query otherwise): a survey or brand saved in any process is seen by the next request.
    """
    using = router.db_for_read(Invitation)
    invitation = _invitation_lookup.first(str(token), using=using)
    if invitation is None:
        raise Http404("No invitation matches the given query.")
    survey = _survey_as_of(invitation.survey_id, invitation.survey_updated_at, using=using)
    invitation.survey = survey
    response = getattr(invitation, "response", None)
    if response is not None and response.survey_id == survey.id:
        response.survey = survey
    return invitation


def anonymous_response_for_key(*, survey, key: str):
    """The anonymous answer whose correction key the respondent's browser holds, or None.

    The key is all that leads to it: the answer names no invitation and no customer.
    """
    if not key:
        return None
    return (
        Response.objects.select_related("survey__brand")
        .filter(survey=survey, invitation=None, correction_digest=correction_digest(key))
        # Always true here; said so the partial index (digests that are set) serves a prepared plan too.
        .exclude(correction_digest="")
        .first()
    )
