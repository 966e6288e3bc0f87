"""The themes' roll-up: the dashboard's top themes as the links give them, after any change to the links."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from reporting import themes_rollup
from reporting.models import DailyTheme, StaleTheme
from surveys import services
from surveys.filters import RESURVEYS_INCLUDED, ResponseFilter
from surveys.models import ResponseTheme, Theme
from surveys.selectors import top_themes
from tests.factories import ResponseFactory, SurveyFactory


@pytest.fixture
def themes(db):
    return [Theme.objects.create(name=name) for name in ("Delivery", "Price", "Service")]


def _filters(**extra):
    today = timezone.localdate()
    return ResponseFilter(start=today - timedelta(days=60), end=today, today=today, **extra)


def _answer(score, days_ago=0, survey=None, **extra):
    survey = survey or SurveyFactory()
    at = timezone.now() - timedelta(days=days_ago)
    return ResponseFactory(score=score, survey=survey, invitation__survey=survey, submitted_at=at, **extra)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_roll_up_gives_the_top_themes_of_the_links(db, themes, manager, seed):
    rng = random.Random(seed)
    surveys = [SurveyFactory(), SurveyFactory()]
    for _ in range(40):
        answer = _answer(
            rng.randint(0, 10),
            days_ago=rng.randint(0, 90),
            survey=rng.choice(surveys),
            channel=rng.choice(["email", "sms"]),
            is_resurvey=rng.random() < 0.2,
        )
        for theme in rng.sample(themes, rng.randint(0, 3)):
            services.response_tag_theme(response=answer, theme=theme, actor=manager)
    themes_rollup.theme_rollup_refresh()
    for filters in (_filters(), _filters(survey=surveys[0], channel="sms"), _filters(resurveys=RESURVEYS_INCLUDED)):
        expected = top_themes(filters.responses())
        assert themes_rollup.dashboard_top_themes(filters) == expected
        assert expected or filters.survey  # the data gives themes to count


def test_a_removed_link_is_recounted(db, themes, manager, django_assert_max_num_queries):
    answer = _answer(2, days_ago=3)
    for theme in themes[:2]:
        services.response_tag_theme(response=answer, theme=theme, actor=manager)
    themes_rollup.theme_rollup_refresh()
    assert [row["count"] for row in themes_rollup.dashboard_top_themes(_filters())] == [1, 1]
    services.response_untag_theme(response=answer, theme=themes[0], actor=manager)
    assert StaleTheme.objects.filter(theme_id=themes[0].id).exists()
    themes_rollup.theme_rollup_refresh()
    assert [row["theme__name"] for row in themes_rollup.dashboard_top_themes(_filters())] == ["Price"]
    assert not StaleTheme.objects.exists()
    with django_assert_max_num_queries(1):  # the cursor beside the newest ids: nothing to recount
        assert themes_rollup.theme_rollup_refresh() == 0


def test_a_corrected_score_and_a_deleted_theme(db, themes, manager):
    answer = _answer(2)
    services.response_tag_theme(response=answer, theme=themes[1], actor=manager)
    services.response_tag_theme(response=answer, theme=themes[2], actor=manager)
    themes_rollup.theme_rollup_refresh()
    themes[2].delete()
    assert DailyTheme.objects.count() == 1
    services.response_correct(response=answer, score=9, comment="Sorry, all good")
    themes_rollup.theme_rollup_refresh()
    assert themes_rollup.dashboard_top_themes(_filters()) == top_themes(_filters().responses()) == []


def test_removing_many_links_of_a_theme_marks_it_once(db, themes, manager):
    """Re-applying a theme's rules removes its rule links in one deletion: one mark, one recount."""
    for days_ago in (1, 20, 40):
        services.response_tag_theme(response=_answer(1, days_ago=days_ago), theme=themes[0], actor=manager)
    themes_rollup.theme_rollup_refresh()
    assert themes_rollup.dashboard_top_themes(_filters())[0]["count"] == 3
    ResponseTheme.objects.filter(theme=themes[0]).delete()
    assert list(StaleTheme.objects.values_list("theme_id", flat=True)) == [themes[0].id]
    themes_rollup.theme_rollup_refresh()
    assert themes_rollup.dashboard_top_themes(_filters()) == top_themes(_filters().responses()) == []
