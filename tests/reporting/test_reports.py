"""The dashboard's figures against a direct SQL computation on the same random data."""

import random
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from crm.models import Customer, Purchase
from reporting import reports, rollup
from surveys import scoring
from surveys.filters import ResponseFilter
from surveys.models import Invitation, Response, Survey
from tests.factories import BrandFactory

TODAY = date(2026, 6, 15)


@pytest.fixture
def world(db):
    """Two surveys, 60 customers with CRM attributes, 400 answers over two years."""
    rng = random.Random(7)
    brand = BrandFactory()
    surveys = [Survey.objects.create(brand=brand, name=name) for name in ("Alpha", "Beta")]
    customers = Customer.objects.bulk_create(
        Customer(
            external_id=f"R{i:04d}",
            age_band=rng.choice(["18-24", "35-49", "65+", ""]),
            gender=rng.choice(["female", "male", ""]),
            region=rng.choice(["Bretagne", "Occitanie", ""]),
            plan=rng.choice(["basic", "premium", ""]),
            customer_since=rng.choice([None, TODAY - timedelta(days=rng.randint(10, 2000))]),
        )
        for i in range(60)
    )
    Purchase.objects.bulk_create(
        Purchase(
            customer=rng.choice(customers),
            purchased_at=timezone.now(),
            amount=10,
            product_category=rng.choice(["Garden", "Kitchen"]),
        )
        for _ in range(80)
    )
    tz = timezone.get_current_timezone()
    answers = []
    for i in range(400):
        customer = rng.choice(customers)
        survey = rng.choice(surveys)
        # Some answers at 00:30 local time: the first day of a month in Paris is the last one in UTC.
        day = TODAY - timedelta(days=rng.randint(0, 730))
        moment = datetime.combine(day, time(0, 30) if i % 7 == 0 else time(rng.randint(1, 23), 0), tz)
        # Skewed scores so that some groups are single-segment.
        score = rng.choice([10, 10, 9, 8, 7, 6, 2, 0]) if survey.name == "Alpha" else rng.choice([9, 10])
        channel = rng.choice(["email", "email", "public_form"])
        answers.append((Invitation(survey=survey, customer=customer, created_at=moment), score, channel))
    Invitation.objects.bulk_create([invitation for invitation, _, _ in answers])
    Response.objects.bulk_create(
        Response(
            survey=invitation.survey,
            invitation=invitation,
            customer=invitation.customer,
            channel=channel,
            score=score,
            submitted_at=invitation.created_at,
        )
        for invitation, score, channel in answers
    )
    rollup.rollup_refresh()
    return {"surveys": surveys}


def _local(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def sql_counts(*, start: date, end: date, survey=None, channel="", age_band="", region="", category="") -> tuple:
    """Promoters, passives, detractors by hand-written SQL."""
    where = ["r.submitted_at >= %s", "r.submitted_at < %s"]
    # Raw SQL gets no ORM conversion: let the backend adapt the bounds (SQLite stores UTC text).
    adapt = connection.ops.adapt_datetimefield_value
    params: list = [adapt(_local(start)), adapt(_local(end + timedelta(days=1)))]
    if survey is not None:
        where.append("r.survey_id = %s")
        params.append(survey.id)
    if channel:
        where.append("r.channel = %s")
        params.append(channel)
    if age_band:
        where.append("c.age_band = %s")
        params.append(age_band)
    if region:
        where.append("c.region = %s")
        params.append(region)
    if category:
        where.append(
            "EXISTS (SELECT 1 FROM crm_purchase p WHERE p.customer_id = r.customer_id AND p.product_category = %s)"
        )
        params.append(category)
    sql = f"""
        SELECT COALESCE(SUM(CASE WHEN r.score >= 9 THEN 1 ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN r.score BETWEEN 7 AND 8 THEN 1 ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN r.score <= 6 THEN 1 ELSE 0 END), 0)
        FROM surveys_response r LEFT JOIN crm_customer c ON c.id = r.customer_id
        WHERE {" AND ".join(where)}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return tuple(int(value) for value in cursor.fetchone())


def _as_tuple(result: scoring.NpsResult) -> tuple:
    return (result.promoters, result.passives, result.detractors)


CASES = [
    {},
    {"channel": "public_form"},
    {"survey": 1},
    {"survey": 0, "channel": "email"},
    {"start": date(2001, 1, 1), "end": date(2001, 3, 1)},  # an empty period
    {"start": TODAY - timedelta(days=20), "end": TODAY},
    {"age_band": "65+"},
    {"region": "Bretagne", "channel": "email"},
    {"category": "Garden"},
    {"survey": 1, "age_band": "18-24"},  # Beta only has promoters: a single-segment view
]


@pytest.mark.parametrize("case", CASES, ids=[str(sorted(c)) or "none" for c in CASES])
@pytest.mark.parametrize("grain", ["month", "week"])
def test_dashboard_equals_direct_sql(world, case, grain):
    case = dict(case)
    if "survey" in case:
        case["survey"] = world["surveys"][case["survey"]]
    start = case.pop("start", date(2025, 7, 1))
    end = case.pop("end", TODAY)
    filters = ResponseFilter(start=start, end=end, grain=grain, today=TODAY, **case)
    dashboard = reports.build_dashboard(filters)
    sql_filters = {k: v for k, v in case.items()}

    assert _as_tuple(dashboard.current) == sql_counts(start=start, end=end, **sql_filters)
    previous = filters.previous()
    assert _as_tuple(dashboard.previous) == sql_counts(start=previous.start, end=previous.end, **sql_filters)
    assert sum(row["count"] for row in dashboard.distribution) == dashboard.current.n
    for bucket in dashboard.trend:
        bucket_end = (
            bucket.start + timedelta(days=6)
            if grain == "week"
            else (bucket.start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        )
        expected = sql_counts(start=max(bucket.start, start), end=min(bucket_end, end), **sql_filters)
        assert _as_tuple(bucket.result) == expected, bucket.start
        if bucket.result.n == 0:
            assert bucket.result.score is None
    assert sum(bucket.result.n for bucket in dashboard.trend) == dashboard.current.n


def test_rollup_path_and_raw_path_agree(world):
    filters = ResponseFilter(start=date(2024, 6, 1), end=TODAY, today=TODAY)
    assert filters.can_use_rollup
    from reporting.reports import _RawSource, _RollupSource

    rolled, raw = _RollupSource(filters), _RawSource(filters)
    assert rolled.counts(filters.start, filters.end) == raw.counts(filters.start, filters.end)
    rolled_trend = {k: v for k, v in rolled.trend(filters.start, filters.end, "month").items() if any(v)}
    assert rolled_trend == dict(raw.trend(filters.start, filters.end, "month"))
    assert dict(rolled.breakdown(filters.start, filters.end, "survey")) == dict(
        raw.breakdown(filters.start, filters.end, "survey")
    )


def test_breakdown_marks_groups_that_differ(world):
    filters = ResponseFilter(start=date(2024, 6, 1), end=TODAY, today=TODAY, dimension="survey")
    rows = {row.label: row for row in reports.build_dashboard(filters).breakdown}
    # Beta only has promoters, Alpha has many detractors: both differ from the rest.
    assert rows["Beta"].result.score == 100
    assert rows["Beta"].differs is True
    assert rows["Alpha"].differs is True
    assert sum(row.result.n for row in rows.values()) == sql_counts_total(filters)


def sql_counts_total(filters) -> int:
    return sum(sql_counts(start=filters.start, end=filters.end))


@pytest.mark.parametrize("dimension", ["age_band", "gender", "region", "tenure", "plan", "channel"])
def test_breakdown_by_crm_dimension_covers_every_answer(world, dimension):
    filters = ResponseFilter(start=date(2024, 6, 1), end=TODAY, today=TODAY, dimension=dimension)
    rows = reports.build_dashboard(filters).breakdown
    assert sum(row.result.n for row in rows) == sql_counts_total(filters)
    assert rows == sorted(rows, key=lambda r: (r.result.score is None, -(r.result.score or 0), -r.result.n))


def test_breakdown_by_category_counts_a_customer_in_each_category(world):
    filters = ResponseFilter(start=date(2024, 6, 1), end=TODAY, today=TODAY, dimension="category")
    rows = {row.key: row for row in reports.build_dashboard(filters).breakdown}
    for category in ("Garden", "Kitchen"):
        expected = sql_counts(start=filters.start, end=filters.end, category=category)
        assert _as_tuple(rows[category].result) == expected


def test_latest_only_counts_each_customer_once(world):
    filters = ResponseFilter(start=date(2024, 6, 1), end=TODAY, today=TODAY, latest_only=True)
    dashboard = reports.build_dashboard(filters)
    customers = (
        Response.objects.filter(submitted_at__gte=filters.starts_at, submitted_at__lt=filters.ends_before)
        .values("customer")
        .distinct()
        .count()
    )
    assert dashboard.current.n == customers
    assert dashboard.source == "raw"


def test_empty_period_has_no_score_and_no_change(world):
    filters = ResponseFilter(start=date(2001, 1, 1), end=date(2001, 1, 31), today=TODAY)
    dashboard = reports.build_dashboard(filters)
    assert dashboard.current.score is None
    assert dashboard.change is None
    assert dashboard.change_is_significant is None
    assert all(bucket.result.score is None for bucket in dashboard.trend)


@pytest.mark.parametrize("latest_only", [False, True])  # roll-up path, then raw path
def test_midnight_in_paris_counts_in_the_local_month(db, latest_only):
    """00:30 on 1 March in Paris is still February in UTC: it belongs to March, with gaps as no score."""
    from tests.factories import ResponseFactory

    paris = timezone.get_current_timezone()
    ResponseFactory(score=10, submitted_at=datetime(2026, 3, 1, 0, 30, tzinfo=paris))
    ResponseFactory(score=0, submitted_at=datetime(2026, 3, 1, 0, 45, tzinfo=paris))
    ResponseFactory(score=9, submitted_at=datetime(2026, 1, 15, 12, tzinfo=paris))
    rollup.rollup_refresh()
    filters = ResponseFilter(
        start=date(2026, 1, 1), end=date(2026, 3, 20), today=date(2026, 3, 20), latest_only=latest_only
    )
    trend = {bucket.start: bucket.result for bucket in reports.build_dashboard(filters).trend}
    assert list(trend) == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert (trend[date(2026, 3, 1)].n, trend[date(2026, 3, 1)].score) == (2, 0)
    assert trend[date(2026, 2, 1)].score is None
    assert trend[date(2026, 1, 1)].score == 100
