from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from surveys import selectors
from surveys.models import Response
from tests.factories import ResponseFactory, SurveyFactory

PARIS = ZoneInfo("Europe/Paris")


def _answers(scores, **kwargs):
    for score in scores:
        ResponseFactory(score=score, **kwargs)


def test_nps_summary_is_one_query(db, django_assert_num_queries):
    _answers([10, 9, 9, 8, 7, 6, 0, 3, 10, 10])
    with django_assert_num_queries(1):
        result = selectors.nps_summary(Response.objects.all())
    assert (result.promoters, result.passives, result.detractors) == (5, 2, 3)
    assert result.score == pytest.approx(20.0)


def test_nps_summary_of_nothing_is_no_score(db):
    assert selectors.nps_summary(Response.objects.none()).score is None
    assert selectors.nps_summary(Response.objects.all()).score is None


def test_summary_respects_the_survey_filter(db):
    one, other = SurveyFactory(), SurveyFactory()
    _answers([10, 10], survey=one, invitation__survey=one)
    _answers([0], survey=other, invitation__survey=other)
    assert selectors.nps_summary(selectors.responses_in_period(survey=one)).score == 100
    assert selectors.nps_summary(selectors.responses_in_period(survey=other)).score == -100


def test_distribution_lists_every_score(db):
    _answers([0, 0, 10])
    distribution = selectors.score_distribution(Response.objects.all())
    assert [row["count"] for row in distribution] == [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert distribution[0]["segment"] == "detractor"
    assert distribution[10]["segment"] == "promoter"


def test_monthly_trend_is_one_query_with_gaps_as_no_score(db, django_assert_num_queries):
    # Midnight of 1 March in Paris is still February in UTC: it must count for March.
    _answers([10, 0], submitted_at=datetime(2026, 3, 1, 0, 30, tzinfo=PARIS))
    _answers([9], submitted_at=datetime(2026, 1, 15, 12, tzinfo=PARIS))
    _answers([3], submitted_at=datetime(2025, 1, 15, 12, tzinfo=PARIS))  # outside the window
    with django_assert_num_queries(1):
        trend = selectors.nps_by_month(Response.objects.all(), months=12, today=date(2026, 3, 20))
    assert [row["month"] for row in trend][:2] == [date(2025, 4, 1), date(2025, 5, 1)]
    assert trend[-1]["month"] == date(2026, 3, 1)
    by_month = {row["month"]: row["result"] for row in trend}
    assert by_month[date(2026, 3, 1)].n == 2
    assert by_month[date(2026, 3, 1)].score == 0
    assert by_month[date(2026, 1, 1)].score == 100
    assert by_month[date(2026, 2, 1)].score is None
    assert sum(r.n for r in by_month.values()) == 3
