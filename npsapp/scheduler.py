"""The beat schedule without a broker: `CELERY_BEAT_SCHEDULE`, run in the development server.

With `CELERY_BROKER_URL` set, Celery beat reads `CELERY_BEAT_SCHEDULE` and a worker runs the
tasks. With no broker (the embedded default) there is no beat, so `manage.py run_embedded`
starts this scheduler in the serving process: it reads the same dict and runs the same task
functions in-process, on the same schedule. There is one list of periodic tasks.

Interval entries (seconds, a timedelta or `celery.schedules.schedule`) run when the server
starts, then every interval. Crontab entries run at their next matching minute in
`CELERY_TIMEZONE`. A run that is late (the process slept, a task ran long) is run once, not
caught up. The clock and the runner are parameters, so the timing is tested without waiting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo

from celery.schedules import crontab
from celery.schedules import schedule as interval_schedule
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

# A crontab that matches no minute in this long (say, February 30th) is a configuration error.
CRONTAB_HORIZON = timedelta(days=4 * 366)
# Sleep at most this long between two looks at the clock, so a clock change is noticed.
MAX_SLEEP_SECONDS = 30.0


def interval_of(spec) -> timedelta | None:
    """The period of an interval entry, or None for a crontab."""
    if isinstance(spec, bool):
        raise ImproperlyConfigured(f"{spec!r} is not a schedule")
    if isinstance(spec, int | float):
        return timedelta(seconds=spec)
    if isinstance(spec, timedelta):
        return spec
    if isinstance(spec, crontab):
        return None
    if isinstance(spec, interval_schedule):
        return spec.run_every
    raise ImproperlyConfigured(
        f"the embedded scheduler runs interval and crontab schedules only, not {type(spec).__name__}"
    )


def _cron_day_matches(spec: crontab, local: datetime) -> bool:
    # Celery counts weekdays from Sunday = 0; both the day of the month and of the week must match.
    return (
        local.month in spec.month_of_year
        and local.day in spec.day_of_month
        and local.isoweekday() % 7 in spec.day_of_week
    )


def next_crontab_run(spec: crontab, *, after: datetime, tz: tzinfo) -> datetime:
    """The first minute strictly after `after` that `spec` matches, read on the wall clock of `tz`.

    Steps through UTC minutes and reads each in local time, so a minute skipped by daylight
    saving never matches and the hours are those people read on the clock.
    """
    moment = after.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    limit = moment + CRONTAB_HORIZON
    while moment < limit:
        local = moment.astimezone(tz)
        if not _cron_day_matches(spec, local):
            midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
            moment = max(midnight, moment + timedelta(minutes=1))  # to the next day on the clock
            continue
        if local.hour not in spec.hour:
            moment += timedelta(minutes=60 - local.minute)  # to the next hour on the clock
            continue
        if local.minute in spec.minute:
            return moment
        moment += timedelta(minutes=1)
    raise ImproperlyConfigured(f"the crontab {spec!r} matches no time in the next four years")


def next_run(spec, *, after: datetime, tz: tzinfo) -> datetime:
    """When an entry that last ran (or was due) at `after` runs next."""
    period = interval_of(spec)
    if period is not None:
        return after + period
    return next_crontab_run(spec, after=after, tz=tz)


@dataclass
class Entry:
    name: str
    task: str
    spec: object
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    due_at: datetime | None = None


class Scheduler:
    """Which entry of a beat schedule runs when. `tick()` runs what is due; the loop sleeps in between."""

    def __init__(
        self,
        beat_schedule: Mapping[str, Mapping],
        *,
        run: Callable[[Entry], None],
        now: Callable[[], datetime],
        tz: tzinfo,
    ):
        self.run = run
        self.now = now
        self.tz = tz
        started = now()
        self.entries = []
        for name, config in beat_schedule.items():
            spec = config["schedule"]
            entry = Entry(
                name=name,
                task=config["task"],
                spec=spec,
                args=tuple(config.get("args", ())),
                kwargs=dict(config.get("kwargs", {})),
            )
            # Interval tasks run at start: what fell due while the server was stopped happens now.
            entry.due_at = started if interval_of(spec) is not None else next_run(spec, after=started, tz=tz)
            self.entries.append(entry)

    def tick(self) -> float:
        """Run every entry that is due, in the order they fell due; return the seconds to the next one."""
        now = self.now()
        for entry in sorted((e for e in self.entries if e.due_at <= now), key=lambda e: e.due_at):
            try:
                self.run(entry)
            except Exception:  # a failing task must not stop the others, nor the schedule
                logger.exception("scheduled task %s (%s) failed", entry.name, entry.task)
            entry.due_at = next_run(entry.spec, after=now, tz=self.tz)
        soonest = min((e.due_at for e in self.entries), default=now + timedelta(seconds=MAX_SLEEP_SECONDS))
        return max(0.0, (soonest - self.now()).total_seconds())

    def run_until(self, stop: threading.Event) -> None:
        while not stop.is_set():
            stop.wait(min(self.tick(), MAX_SLEEP_SECONDS))


def run_task(entry: Entry) -> None:
    """Run one entry's Celery task here and now, as a worker would (eagerly, with its retries)."""
    from django.db import close_old_connections
    from django.utils.module_loading import import_string

    close_old_connections()
    try:
        result = import_string(entry.task).apply(args=entry.args, kwargs=entry.kwargs)
        if result.failed():
            logger.error("scheduled task %s (%s) failed: %r", entry.name, entry.task, result.result)
    finally:
        # This thread is no request: close its connection as a request would, so SQLite's
        # file is not held open and a dropped PostgreSQL connection is not reused.
        close_old_connections()


THREAD_NAME = "npsapp-scheduler"


class QuietSuccesses(logging.Filter):
    """Drop Celery's "Task ... succeeded" line for the scheduler's runs: a dozen a minute would bury
    the emails printed to the console. The tasks log the work they do, and failures still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO or threading.current_thread().name != THREAD_NAME


def start_in_thread() -> tuple[threading.Thread, threading.Event]:
    """Start the settings' beat schedule in a daemon thread of this process."""
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.utils import timezone

    scheduler = Scheduler(
        settings.CELERY_BEAT_SCHEDULE,
        run=run_task,
        now=timezone.now,
        tz=ZoneInfo(settings.CELERY_TIMEZONE),
    )
    logging.getLogger("celery.app.trace").addFilter(QuietSuccesses())
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run_until, args=(stop,), name=THREAD_NAME, daemon=True)
    thread.start()
    return thread, stop
