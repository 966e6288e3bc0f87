"""What the dashboard shows, computed from the filters in a constant number of queries.

Every figure is built from answers counted per score (a list of eleven counts), read either
from the daily roll-up (one query for the whole page, when the filters are only dates,
survey and channel) or from the raw responses (one grouped query per figure, when CRM
filters or "latest answer only" apply).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from django.db.models import BooleanField, Case, Count, DateField, Min, Sum, Value, When
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.choices import AgeBand, Gender, Plan
from crm.segments import Tenure, attribute_key, attribute_value
from npsapp.sessions_sql import work_mem
from reporting import rollup, themes_rollup
from reporting.models import DailyNps
from surveys import scoring
from surveys.choices import Channel
from surveys.filters import DIMENSIONS, ResponseFilter, resurvey_q
from surveys.models import Response

SCORES = range(scoring.SCORE_MIN, scoring.SCORE_MAX + 1)
# PostgreSQL's memory for the raw answers' grouped counts (see _RawPeriodsSource).
GROUPING_WORK_MEM_MB = 32


def _empty() -> list[int]:
    return [0] * len(SCORES)


def _add(into: list[int], counts) -> None:
    for score, count in enumerate(counts):
        into[score] += count


def bucket_of(day: date, grain: str) -> date:
    """The first day of the week (Monday) or month holding `day`."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def buckets_between(start: date, end: date, grain: str) -> list[date]:
    buckets, current = [], bucket_of(start, grain)
    while current <= end:
        buckets.append(current)
        if grain == "week":
            current += timedelta(days=7)
        else:
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return buckets


def bucket_end(start: date, grain: str) -> date:
    """The last day of the week or month that begins on `start`."""
    if grain == "week":
        return start + timedelta(days=6)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


@dataclass
class Bucket:
    start: date
    result: scoring.NpsResult
    # The window covers only part of this week or month (it is still running, or the filters
    # cut it): its figures are not comparable with a full period's.
    partial: bool = False


@dataclass
class BreakdownRow:
    key: str
    label: str
    result: scoring.NpsResult
    # Whether this group's NPS differs from everyone else's by more than the noise, corrected
    # for the number of groups tested (Holm); None when it or the rest is a small sample.
    differs: bool | None


@dataclass
class Dashboard:
    filters: ResponseFilter
    source: str  # "rollup" or "raw"
    current: scoring.NpsResult
    previous: scoring.NpsResult
    distribution: list[dict]
    trend: list[Bucket]
    breakdown: list[BreakdownRow] = field(default_factory=list)

    @property
    def partial_buckets(self) -> list[Bucket]:
        return [bucket for bucket in self.trend if bucket.partial]

    @property
    def change(self) -> float | None:
        if self.current.score is None or self.previous.score is None:
            return None
        return self.current.score - self.previous.score

    @property
    def change_is_significant(self) -> bool | None:
        return scoring.change_is_significant(self.current, self.previous)

    @property
    def small_sample_threshold(self) -> int:
        return scoring.small_sample_threshold()


def _distribution(counts: list[int]) -> list[dict]:
    return [
        {"score": score, "count": counts[score], "segment": scoring.segment_for(score).value, "critical": score <= 3}
        for score in SCORES
    ]


class _PeriodRows:
    """Score counts of the current and previous periods, grouped by period, trend bucket (the
    filters' grain), survey and channel: the headline, the previous period, the trend and a
    breakdown by survey or channel all read these few rows."""

    filters: ResponseFilter
    rows: list[tuple[bool, date, str, str, list[int]]]

    def _current(self):
        return (row for row in self.rows if not row[0])

    def counts(self, start: date, end: date) -> list[int]:
        """The current period's counts, or the previous period's (the only two periods read)."""
        previous = (start, end) != (self.filters.start, self.filters.end)
        total = _empty()
        for row in self.rows:
            if row[0] == previous:
                _add(total, row[4])
        return total

    def trend(self, start: date, end: date, grain: str) -> dict[date, list[int]]:
        by_bucket: dict[date, list[int]] = defaultdict(_empty)
        for _previous, bucket, _survey, _channel, counts in self._current():
            _add(by_bucket[bucket], counts)
        return by_bucket

    def breakdown(self, start: date, end: date, dimension: str) -> dict[str, list[int]]:
        if dimension not in ("survey", "channel"):
            return _RawSource(self.filters).breakdown(start, end, dimension)
        by_value: dict[str, list[int]] = defaultdict(_empty)
        for _previous, _bucket, survey_name, channel, counts in self._current():
            _add(by_value[survey_name if dimension == "survey" else channel], counts)
        return by_value


class _RollupSource(_PeriodRows):
    """Everything from the roll-up rows of the current and previous periods: one query, summed
    by the database per period, trend bucket, survey and channel."""

    def __init__(self, filters: ResponseFilter):
        self.filters = filters
        previous = filters.previous()
        rows = DailyNps.objects.filter(day__gte=previous.start, day__lte=filters.end)
        if filters.survey is not None:
            rows = rows.filter(survey=filters.survey)
        if filters.channel:
            rows = rows.filter(channel=filters.channel)
        rows = rows.filter(resurvey_q(filters.resurveys))
        trunc = TruncWeek if filters.grain == "week" else TruncMonth
        grouped = (
            rows.annotate(
                is_previous=Case(
                    When(day__lt=filters.start, then=Value(True)), default=Value(False), output_field=BooleanField()
                ),
                bucket=trunc("day", output_field=DateField()),
            )
            .order_by()
            .values_list("is_previous", "bucket", "survey__name", "channel")
            .annotate(*(Sum(name) for name in DailyNps.SCORE_FIELDS))
        )
        self.rows = [
            (is_previous, bucket, name, channel, list(counts))
            for is_previous, bucket, name, channel, *counts in grouped
        ]


class _RawSource:
    """Grouped counts over the raw responses: one query per figure."""

    def __init__(self, filters: ResponseFilter):
        self.filters = filters

    @staticmethod
    def _grouped(responses, key) -> dict:
        by_key: dict = defaultdict(_empty)
        distinct = key == DIMENSIONS["category"][1]  # a customer buys in several categories
        for row in responses.order_by().values(key, "score").annotate(n=Count("id", distinct=distinct)):
            by_key[row[key]][row["score"]] = row["n"]
        return by_key

    def counts(self, start: date, end: date) -> list[int]:
        responses = replace(self.filters, start=start, end=end).responses()
        counts = _empty()
        for score, n in responses.order_by().values_list("score").annotate(n=Count("id")):
            counts[score] = n
        return counts

    def trend(self, start: date, end: date, grain: str) -> dict[date, list[int]]:
        tz = timezone.get_current_timezone()
        trunc = TruncWeek if grain == "week" else TruncMonth
        responses = self.filters.responses().annotate(bucket=trunc("submitted_at", tzinfo=tz))
        grouped = self._grouped(responses, "bucket")
        return {timezone.localtime(bucket, tz).date(): counts for bucket, counts in grouped.items()}

    def breakdown(self, start: date, end: date, dimension: str) -> dict[str, list[int]]:
        responses = self.filters.responses()
        if dimension == "tenure":
            today = self.filters.today or timezone.localdate()
            return self._grouped(responses.annotate(tenure=Tenure.expression(today)), "tenure")
        key = attribute_key(dimension)
        if key is not None:
            # A custom attribute: grouped by its value as text (None when the customer has none).
            return self._grouped(responses.annotate(attribute_value=attribute_value(key)), "attribute_value")
        return self._grouped(responses, DIMENSIONS[dimension][1])


class _RawPeriodsSource(_PeriodRows):
    """The raw answers of the current and previous periods in one grouped query (CRM filters, not
    "latest answer only", whose previous period is a different question): grouped by period,
    trend bucket, survey, channel and score, so the headline, the previous period, the trend
    and a breakdown by survey or channel are read from one scan of the filtered answers."""

    def __init__(self, filters: ResponseFilter):
        self.filters = filters
        tz = timezone.get_current_timezone()
        trunc = TruncWeek if filters.grain == "week" else TruncMonth
        responses = (
            replace(filters, start=filters.previous().start)
            .responses()
            .annotate(
                is_previous=Case(
                    When(submitted_at__lt=filters.starts_at, then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                ),
                bucket=trunc("submitted_at", tzinfo=tz),
            )
        )
        by_key: dict[tuple, list[int]] = defaultdict(_empty)
        grouped = responses.order_by().values_list("is_previous", "bucket", "survey__name", "channel", "score")
        # A few thousand groups over every answer the CRM filters keep (a region's, for all
        # time): counted in memory, not sorted on disk.
        with work_mem(Response, GROUPING_WORK_MEM_MB):
            rows = list(grouped.annotate(n=Count("id")))
        for is_previous, bucket, survey_name, channel, score, n in rows:
            by_key[(is_previous, timezone.localtime(bucket, tz).date(), survey_name, channel)][score] = n
        self.rows = [(*key, counts) for key, counts in by_key.items()]


def _source(filters: ResponseFilter):
    if filters.can_use_rollup:
        return _RollupSource(filters)
    return _RawSource(filters) if filters.latest_only else _RawPeriodsSource(filters)


def _labels(dimension: str) -> dict:
    choices = {
        "channel": Channel.choices,
        "age_band": AgeBand.choices,
        "gender": Gender.choices,
        "plan": Plan.choices,
        "tenure": Tenure.CHOICES,
    }.get(dimension, [])
    return {key: str(label) for key, label in choices}


def _breakdown_rows(by_value: dict, total: scoring.NpsResult, dimension: str) -> list[BreakdownRow]:
    labels = _labels(dimension)
    groups = []
    for key, counts in by_value.items():
        result = scoring.result_from_score_counts(counts)
        if result.n:
            groups.append((key, result))
    # Every group is tested against the rest at once, corrected for the number of tests (Holm).
    verdicts = scoring.groups_differing([result for _key, result in groups], total)
    rows = []
    for (key, result), differs in zip(groups, verdicts, strict=True):
        if key in (None, ""):
            label = str(_("No purchase")) if dimension == "category" else str(_("Unknown"))
        else:
            label = labels.get(key, key)
        rows.append(BreakdownRow(key=key or "", label=label, result=result, differs=differs))
    rows.sort(key=lambda row: (row.result.score is None, -(row.result.score or 0), -row.result.n))
    return rows


def top_themes(filters: ResponseFilter) -> list[dict]:
    """The dashboard's "top themes": from the themes' daily roll-up unless CRM filters need the answers."""
    return themes_rollup.dashboard_top_themes(filters)


def first_answer_day() -> date | None:
    """The day of the oldest answer, from the roll-up when it has one (for "all time")."""
    first = DailyNps.objects.aggregate(first=Min("day"))["first"]
    if first is None:
        oldest = Response.objects.aggregate(first=Min("submitted_at"))["first"]
        first = timezone.localtime(oldest).date() if oldest else None
    return first


def build_dashboard(filters: ResponseFilter) -> Dashboard:
    if filters.can_use_rollup:
        rollup.rollup_catch_up_when_embedded()
    source = _source(filters)
    previous = filters.previous()
    current_counts = source.counts(filters.start, filters.end)
    current = scoring.result_from_score_counts(current_counts)
    by_bucket = source.trend(filters.start, filters.end, filters.grain)
    last_day = min(filters.end, timezone.localdate())
    trend = [
        Bucket(
            start=bucket,
            result=scoring.result_from_score_counts(by_bucket.get(bucket, _empty())),
            partial=bucket < filters.start or bucket_end(bucket, filters.grain) > last_day,
        )
        for bucket in buckets_between(filters.start, filters.end, filters.grain)
    ]
    dimension = filters.dimension
    if filters.can_use_rollup and dimension not in ("survey", "channel"):
        # CRM dimensions are not in the roll-up: read them raw.
        by_value = _RawSource(filters).breakdown(filters.start, filters.end, dimension)
    else:
        by_value = source.breakdown(filters.start, filters.end, dimension)
    return Dashboard(
        filters=filters,
        source="rollup" if filters.can_use_rollup else "raw",
        current=current,
        previous=scoring.result_from_score_counts(source.counts(previous.start, previous.end)),
        distribution=_distribution(current_counts),
        trend=trend,
        breakdown=_breakdown_rows(by_value, current, dimension),
    )
