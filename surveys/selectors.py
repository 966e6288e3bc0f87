"""Reads over responses: NPS aggregates in one query each."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from surveys import scoring
from surveys.models import Invitation, Response, ResponseTheme, correction_digest

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


def invitation_for_token(token: str) -> Invitation:
    """The personal link behind `token`, with what its page and its answer need joined in.

    One lookup by the unique, indexed token whatever the token looks like (Http404 for any
    miss, so neither the time nor the page tells a near miss apart).
    """
    invitations = Invitation.objects.select_related("survey__brand", "customer", "response")
    return get_object_or_404(invitations, token=token)


def anonymous_response_for_key(*, survey, key: str):
    """The anonymous answer whose correction key the respondent's browser holds, or None.

    The key is all that leads to it: the answer names no invitation and no customer.
    """
    if not key:
        return None
    return (
        Response.objects.select_related("survey__brand")
        .filter(survey=survey, invitation=None, correction_digest=correction_digest(key))
        .first()
    )
