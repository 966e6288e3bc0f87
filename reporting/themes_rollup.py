"""The daily roll-up of detractors' themes (DailyTheme): kept up to date, rebuilt, read by the dashboard.

"Top themes" counts, per theme, the detractors among the filtered answers who gave it. Read
raw, that joins every detractor answer of the period to the theme links; the roll-up holds the
count per local answer day, survey, channel, re-survey or not, and theme.

The refresh (every minute from the beat) recounts from the source every day touched since the
last one: answers with new theme links (links are only ever inserted with new ids) and
corrected answers (a new score may not be a detractor's); and every row of a theme whose links
were removed (a receiver of the links' deletion marks the theme, `StaleTheme`, in the same
transaction: once per deletion, so re-applying a theme's rules to 100,000 comments writes one
mark). A theme deleted takes its rows with it. Recounting from the source makes a refresh safe
to run twice.
"""

from __future__ import annotations

import weakref
from datetime import date

from django.db import transaction
from django.db.models import Count, Exists, Max, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from reporting import daily
from reporting.models import DailyTheme, ReportingCursor, StaleTheme
from surveys.filters import ResponseFilter, resurvey_q
from surveys.models import ID_OVERLAP, Response, ResponseRevision, ResponseTheme
from surveys.selectors import DETRACTOR_Q, top_themes

CURSOR_NAME = "daily_theme"
# The links of detractors' answers: surveys.selectors.DETRACTOR_Q, across the link.
_DETRACTOR_LINK_Q = Q(*((f"response__{lookup}", value) for lookup, value in DETRACTOR_Q.children))


def _rows(links, days: list[date] | None = None) -> list[DailyTheme]:
    """The roll-up rows of the detractors' theme `links` (on `days` only, if given): counted by
    day, survey, channel, re-survey flag and theme."""
    tz = timezone.get_current_timezone()
    links = links.filter(_DETRACTOR_LINK_Q).annotate(day=TruncDate("response__submitted_at", tzinfo=tz))
    if days is not None:
        links = links.filter(day__in=days)
    counts = (
        links.order_by()
        .values_list("day", "response__survey_id", "response__channel", "response__is_resurvey", "theme_id")
        # One link per answer and theme (a unique constraint): links are detractors.
        .annotate(n=Count("id"))
    )
    return [
        DailyTheme(
            day=day, survey_id=survey_id, channel=channel, is_resurvey=is_resurvey, theme_id=theme_id, detractors=n
        )
        for day, survey_id, channel, is_resurvey, theme_id, n in counts
    ]


def _recount_days(days: set[date]) -> int:
    written = 0
    for batch, start, end in daily.day_batches(days):
        links = ResponseTheme.objects.filter(response__submitted_at__gte=start, response__submitted_at__lt=end)
        rows = _rows(links, batch)
        DailyTheme.objects.filter(day__in=batch).delete()
        DailyTheme.objects.bulk_create(rows, batch_size=1000)
        written += len(rows)
    return written


def _recount_themes(theme_ids: list[int]) -> int:
    """Replace every row of these themes by counts from their links."""
    rows = _rows(ResponseTheme.objects.filter(theme_id__in=theme_ids))
    DailyTheme.objects.filter(theme_id__in=theme_ids).delete()
    DailyTheme.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _answer_days(responses) -> set[date]:
    return daily.local_days(responses, "submitted_at")


def _newest() -> tuple[int, int]:
    return (
        ResponseTheme.objects.aggregate(newest=Max("id"))["newest"] or 0,
        ResponseRevision.objects.aggregate(newest=Max("id"))["newest"] or 0,
    )


def _newest_id(model) -> Coalesce:
    return Coalesce(Subquery(model.objects.order_by("-id").values("id")[:1]), 0)


def theme_rollup_refresh() -> int:
    """Recount the days of the answers whose themes or score changed. Returns rows written.

    One query when nothing changed (the cursor beside the newest ids); the first refresh (no
    cursor yet: the roll-up was just installed) counts every day."""
    seen = (
        ReportingCursor.objects.filter(name=CURSOR_NAME)
        .annotate(
            newest_link=_newest_id(ResponseTheme),
            newest_revision=_newest_id(ResponseRevision),
            stale=Exists(StaleTheme.objects.all()),
        )
        .first()
    )
    if (
        seen is not None
        and seen.newest_link <= seen.last_id
        and seen.newest_revision <= seen.last_revision_id
        and not seen.stale
    ):
        return 0
    return _refresh()


@transaction.atomic
def _refresh() -> int:
    cursor, created = ReportingCursor.objects.select_for_update().get_or_create(name=CURSOR_NAME)
    if created:
        return _rebuild(cursor)
    newest_link, newest_revision = _newest()
    stale = list(StaleTheme.objects.values_list("id", "theme_id"))
    if newest_link <= cursor.last_id and newest_revision <= cursor.last_revision_id and not stale:
        return 0
    linked = ResponseTheme.objects.filter(id__gt=max(cursor.last_id - ID_OVERLAP, 0)).values("response_id")
    corrected = ResponseRevision.objects.filter(id__gt=max(cursor.last_revision_id - ID_OVERLAP, 0)).values(
        "response_id"
    )
    days = _answer_days(Response.objects.filter(id__in=linked))
    if newest_revision > cursor.last_revision_id:
        days |= _answer_days(Response.objects.filter(id__in=corrected))
    written = _recount_days(days)
    if stale:
        written += _recount_themes([theme_id for _id, theme_id in stale])
        StaleTheme.objects.filter(id__in=[stale_id for stale_id, _theme_id in stale]).delete()
    cursor.last_id, cursor.last_revision_id = newest_link, newest_revision
    cursor.save(update_fields=["last_id", "last_revision_id", "updated_at"])
    return written


@transaction.atomic
def theme_rollup_rebuild() -> int:
    """Recount every day from the answers and their theme links."""
    cursor, _ = ReportingCursor.objects.select_for_update().get_or_create(name=CURSOR_NAME)
    return _rebuild(cursor)


def _rebuild(cursor: ReportingCursor) -> int:
    cursor.last_id, cursor.last_revision_id = _newest()
    StaleTheme.objects.all().delete()
    DailyTheme.objects.all().delete()
    written = _recount_days(_answer_days(Response.objects.filter(theme_links__isnull=False).distinct()))
    cursor.save(update_fields=["last_id", "last_revision_id", "updated_at"])
    return written


# The themes already marked by one deletion (a queryset's or an instance's `delete()`, its `origin`).
_marked_by: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def theme_links_removed(sender, instance, origin=None, **kwargs) -> None:
    """Receiver of a theme link's deletion (untagged, rules re-applied, answer or theme deleted):
    its theme is marked for a recount, once per deletion call (the same transaction)."""
    try:
        marked = _marked_by.setdefault(origin, set())
    except TypeError:  # no origin, or one that cannot be remembered: mark every time
        marked = set()
    if instance.theme_id in marked:
        return
    StaleTheme.objects.bulk_create([StaleTheme(theme_id=instance.theme_id)], ignore_conflicts=True)
    marked.add(instance.theme_id)


def theme_rollup_catch_up_when_embedded() -> None:
    daily.catch_up_when_embedded(theme_rollup_refresh)


def dashboard_top_themes(filters: ResponseFilter, *, limit: int = 8) -> list[dict]:
    """The themes most often given by the detractors among the answers the filters select.

    From the roll-up when the filters are only dates, survey and channel; from the links otherwise."""
    if not filters.can_use_rollup:
        return top_themes(filters.responses(), limit=limit)
    theme_rollup_catch_up_when_embedded()
    rows = DailyTheme.objects.filter(day__gte=filters.start, day__lte=filters.end)
    if filters.survey is not None:
        rows = rows.filter(survey=filters.survey)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    rows = rows.filter(resurvey_q(filters.resurveys))
    return list(
        rows.values("theme_id", "theme__name", "theme__name_fr")
        .annotate(count=Sum("detractors"))
        .order_by("-count", "theme__name")[:limit]
    )
