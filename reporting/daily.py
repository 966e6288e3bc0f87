"""What the three daily roll-ups (DailyNps, DailyFollowup, DailyTheme) share.

Days are the site's local days; a recount reads a batch of days at a time between the first
one's midnight and the day after the last one's; and in embedded mode, which runs no beat,
whoever reads a roll-up brings it up to date first.
"""

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

DAY_BATCH = 200


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local midnight that starts `day` and the one that ends it."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def day_batches(days: Iterable[date]) -> Iterator[tuple[list[date], datetime, datetime]]:
    """`days` in order, DAY_BATCH at a time, each batch with the moments it spans."""
    ordered = sorted(days)
    for offset in range(0, len(ordered), DAY_BATCH):
        batch = ordered[offset : offset + DAY_BATCH]
        yield batch, local_day_bounds(batch[0])[0], local_day_bounds(batch[-1])[1]


def local_days(rows: QuerySet, moment: str) -> set[date]:
    """The local days of the `moment` field (a datetime, possibly across a relation) of `rows`."""
    day = TruncDate(moment, tzinfo=timezone.get_current_timezone())
    return set(rows.annotate(day=day).order_by().values_list("day", flat=True).distinct())


def catch_up_when_embedded(refresh: Callable[[], object]) -> None:
    """Embedded mode (eager Celery) runs no beat: run `refresh` before reading its roll-up."""
    from npsapp import celery_app

    if celery_app.conf.task_always_eager:
        refresh()
