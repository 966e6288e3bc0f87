from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.utils import timezone

from reporting import rollup
from reporting.models import DailyNps
from surveys import services
from tests.factories import ResponseFactory

PARIS = ZoneInfo("Europe/Paris")


def _row(day):
    return DailyNps.objects.get(day=day)


def test_refresh_counts_answers_by_local_day(survey):
    same = {"survey": survey, "invitation__survey": survey}
    ResponseFactory(score=10, submitted_at=datetime(2026, 3, 1, 0, 30, tzinfo=PARIS), **same)  # 28 Feb in UTC
    ResponseFactory(score=0, submitted_at=datetime(2026, 3, 1, 23, 30, tzinfo=PARIS), **same)
    assert rollup.rollup_refresh() == 1
    row = _row(datetime(2026, 3, 1).date())
    assert (row.score_10, row.score_0, sum(row.score_counts)) == (1, 1, 2)
    assert not DailyNps.objects.filter(day=datetime(2026, 2, 28).date()).exists()


def test_refresh_is_incremental_and_idempotent(db, django_assert_max_num_queries):
    first = ResponseFactory(score=9, submitted_at=datetime(2026, 3, 2, 12, tzinfo=PARIS))
    rollup.rollup_refresh()
    # the cursor (with its savepoint) and the newest answer and correction: no recount
    with django_assert_max_num_queries(5):
        assert rollup.rollup_refresh() == 0
    ResponseFactory(
        score=9,
        survey=first.survey,
        invitation__survey=first.survey,
        submitted_at=datetime(2026, 3, 2, 13, tzinfo=PARIS),
    )
    rollup.rollup_refresh()
    rollup.rollup_refresh()
    assert _row(datetime(2026, 3, 2).date()).score_9 == 2


def test_a_late_commit_with_a_lower_id_is_still_counted(db):
    """Ids are taken before commit: a refresh re-reads the last ids before its cursor."""
    late = ResponseFactory(score=4, submitted_at=datetime(2026, 3, 3, 9, tzinfo=PARIS))
    ResponseFactory(score=8, submitted_at=datetime(2026, 3, 4, 9, tzinfo=PARIS))
    rollup.rollup_refresh()
    # Pretend the first one was invisible at that refresh: drop its day, then let a new answer come.
    DailyNps.objects.filter(day=datetime(2026, 3, 3).date()).delete()
    ResponseFactory(score=8, submitted_at=datetime(2026, 3, 5, 9, tzinfo=PARIS))
    rollup.rollup_refresh()
    assert _row(late.submitted_at.astimezone(PARIS).date()).score_4 == 1


def test_rebuild_matches_the_responses_after_a_deletion(db):
    kept = ResponseFactory(score=7, submitted_at=datetime(2026, 3, 6, 9, tzinfo=PARIS))
    gone = ResponseFactory(score=1, submitted_at=datetime(2026, 3, 6, 10, tzinfo=PARIS))
    rollup.rollup_refresh()
    gone.delete()
    call_command("rebuild_nps_rollup")
    row = _row(kept.submitted_at.astimezone(PARIS).date())
    assert (row.score_7, row.score_1) == (1, 0)


def test_old_answers_imported_later_are_counted(db):
    ResponseFactory(score=9, submitted_at=datetime(2026, 3, 7, 9, tzinfo=PARIS))
    rollup.rollup_refresh()
    old = ResponseFactory(score=2, submitted_at=datetime(2023, 1, 1, 9, tzinfo=PARIS) - timedelta(days=1))
    rollup.rollup_refresh()
    assert _row(old.submitted_at.astimezone(PARIS).date()).score_2 == 1


def test_a_corrected_score_is_recounted(db):
    response = ResponseFactory(score=2, submitted_at=timezone.now() - timedelta(hours=1))
    rollup.rollup_refresh()
    day = timezone.localdate(response.submitted_at)
    assert (_row(day).score_2, _row(day).score_9) == (1, 0)

    services.response_correct(response=response, score=9)
    rollup.rollup_refresh()
    assert (_row(day).score_2, _row(day).score_9) == (0, 1)
    assert rollup.rollup_refresh() == 0  # the correction is read once
