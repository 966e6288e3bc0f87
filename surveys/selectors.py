"""Reads over responses: NPS aggregates in one query each."""

from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from surveys import scoring
from surveys.models import Response, ResponseTheme

PROMOTER_Q = Q(score__gte=9)
PASSIVE_Q = Q(score__gte=7, score__lte=8)
DETRACTOR_Q = Q(score__lte=6)


def _segment_counts():
    return {
        "promoters": Count("id", filter=PROMOTER_Q),
        "passives": Count("id", filter=PASSIVE_Q),
        "detractors": Count("id", filter=DETRACTOR_Q),
    }


def responses_in_period(*, start=None, end=None, survey=None) -> QuerySet[Response]:
    responses = Response.objects.all()
    if start is not None:
        responses = responses.filter(submitted_at__gte=start)
    if end is not None:
        responses = responses.filter(submitted_at__lt=end)
    if survey is not None:
        responses = responses.filter(survey=survey)
    return responses


def nps_summary(responses: QuerySet[Response] | None = None) -> scoring.NpsResult:
    """Promoters, passives and detractors counted in one query with conditional counts."""
    responses = Response.objects.all() if responses is None else responses
    counts = responses.order_by().aggregate(**_segment_counts())
    return scoring.NpsResult(**counts)


def score_distribution(responses: QuerySet[Response]) -> list[dict]:
    """How many answers each score 0–10 got, zeros included."""
    counts = dict(responses.order_by().values_list("score").annotate(n=Count("id")).values_list("score", "n"))
    return [
        {"score": score, "count": counts.get(score, 0), "segment": scoring.segment_for(score).value}
        for score in range(scoring.SCORE_MIN, scoring.SCORE_MAX + 1)
    ]


def _month_start(day: date, months_back: int) -> date:
    index = day.year * 12 + (day.month - 1) - months_back
    return date(index // 12, index % 12 + 1, 1)


def nps_by_month(responses: QuerySet[Response], *, months: int = 12, today: date | None = None) -> list[dict]:
    """The NPS of each of the last `months` calendar months (this one included), one query.

    A month with no answer has no score (None), not zero.
    """
    today = today or timezone.localdate()
    first = _month_start(today, months - 1)
    tz = timezone.get_current_timezone()
    since = timezone.make_aware(timezone.datetime(first.year, first.month, 1), tz)
    rows = (
        responses.filter(submitted_at__gte=since)
        .order_by()
        .annotate(month=TruncMonth("submitted_at", tzinfo=tz))
        .values("month")
        .annotate(**_segment_counts())
    )
    by_month = {timezone.localtime(row["month"], tz).date(): row for row in rows}
    trend = []
    for back in range(months - 1, -1, -1):
        month = _month_start(today, back)
        row = by_month.get(month, {})
        result = scoring.NpsResult(
            promoters=row.get("promoters", 0), passives=row.get("passives", 0), detractors=row.get("detractors", 0)
        )
        trend.append({"month": month, "result": result})
    return trend


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
