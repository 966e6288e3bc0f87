import pytest

from surveys import selectors
from surveys.models import Response
from tests.factories import ResponseFactory, SurveyFactory


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
    assert selectors.nps_summary(Response.objects.filter(survey=one)).score == 100
    assert selectors.nps_summary(Response.objects.filter(survey=other)).score == -100
