"""The daily roll-up of answers (DailyNps): how it is kept up to date and rebuilt.

The roll-up holds, per local day, survey, channel and re-survey or not, how many answers gave
each score.
A beat task calls `rollup_refresh()` every minute: it reads the responses added since its
cursor (with an overlap, because ids are assigned before commit and a slow transaction can
commit a lower id after a higher one), and recounts every day those responses touch from the
raw rows. Recounting whole days from the source, rather than incrementing, makes a refresh
safe to run twice and correct after any overlap.
"""

from collections import defaultdict
from datetime import date

from django.db import transaction
from django.db.models import Count, Max
from django.db.models.functions import TruncDate
from django.utils import timezone

from reporting import daily, followups_rollup, themes_rollup
from reporting.models import DailyNps
from surveys.models import ID_OVERLAP, Response, ResponseRevision, RollupCursor

CURSOR_NAME = "daily_nps"


def _recount_days(days: set[date]) -> int:
    """Replace the roll-up rows of `days` by counts from the responses. Returns rows written."""
    written = 0
    tz = timezone.get_current_timezone()
    for batch, start, end in daily.day_batches(days):
        counts: dict[tuple, list[int]] = defaultdict(lambda: [0] * 11)
        rows = (
            Response.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
            .annotate(day=TruncDate("submitted_at", tzinfo=tz))
            .filter(day__in=batch)
            .values("day", "survey_id", "channel", "is_resurvey", "score")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            counts[(row["day"], row["survey_id"], row["channel"], row["is_resurvey"])][row["score"]] = row["n"]
        DailyNps.objects.filter(day__in=batch).delete()
        DailyNps.objects.bulk_create(
            DailyNps(
                day=day,
                survey_id=survey_id,
                channel=channel,
                is_resurvey=is_resurvey,
                **{name: count for name, count in zip(DailyNps.SCORE_FIELDS, score_counts, strict=True)},
            )
            for (day, survey_id, channel, is_resurvey), score_counts in counts.items()
        )
        written += len(counts)
    return written


@transaction.atomic
def rollup_refresh() -> int:
    """Bring the roll-up up to date with new responses. Returns how many day rows were rewritten."""
    cursor, _ = RollupCursor.objects.select_for_update().get_or_create(name=CURSOR_NAME)
    newest = Response.objects.aggregate(newest=Max("id"))["newest"] or 0
    newest_revision = ResponseRevision.objects.aggregate(newest=Max("id"))["newest"] or 0
    if newest <= cursor.last_response_id and newest_revision <= cursor.last_revision_id:
        return 0
    new = Response.objects.filter(id__gt=max(cursor.last_response_id - ID_OVERLAP, 0))
    touched = daily.local_days(new, "submitted_at")
    if newest_revision > cursor.last_revision_id:
        # A respondent who corrects their answer (within the day allowed) changes a counted score.
        corrected = ResponseRevision.objects.filter(id__gt=max(cursor.last_revision_id - ID_OVERLAP, 0))
        touched |= daily.local_days(Response.objects.filter(id__in=corrected.values("response_id")), "submitted_at")
    written = _recount_days(touched)
    cursor.last_response_id, cursor.last_revision_id = newest, newest_revision
    cursor.save(update_fields=["last_response_id", "last_revision_id", "updated_at"])
    return written


@transaction.atomic
def rollup_rebuild() -> int:
    """Recount every day from the responses (after an import, an erasure or a time-zone change)."""
    cursor, _ = RollupCursor.objects.select_for_update().get_or_create(name=CURSOR_NAME)
    newest = Response.objects.aggregate(newest=Max("id"))["newest"] or 0
    DailyNps.objects.all().delete()
    written = _recount_days(daily.local_days(Response.objects.all(), "submitted_at"))
    cursor.last_response_id = newest
    cursor.last_revision_id = ResponseRevision.objects.aggregate(newest=Max("id"))["newest"] or 0
    cursor.save(update_fields=["last_response_id", "last_revision_id", "updated_at"])
    # The follow-up figures' and the themes' roll-ups are rebuilt with it (`manage.py rebuild_nps_rollup`).
    followups_rollup.followup_rollup_rebuild()
    themes_rollup.theme_rollup_rebuild()
    return written


def rollup_catch_up_when_embedded() -> None:
    daily.catch_up_when_embedded(rollup_refresh)
