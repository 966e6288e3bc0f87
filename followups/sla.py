"""Deadline arithmetic: pure functions, no database.

Three clocks, chosen per survey:
- elapsed: real hours, 24/7 ("48 h" is 48 hours whatever the day);
- business hours: only the time the business is open counts ("16 business hours");
- business days: the deadline is the closing time of the Nth business day after the case
  opened ("2 business days"). A case opened before a business day's first opening counts that
  day as the first one.

A calendar is a plain value (timezone name, weekly opening spans in local wall-clock time,
holiday dates), so this module is tested without a database. Every computation converts the
local spans of each day to UTC, which is what makes the daylight-saving changes come out right:
the night of the change is shorter or longer, the opening hours stay where they are.
Spans crossing midnight are not supported; several spans on one day are.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

ELAPSED = "elapsed"
BUSINESS_HOURS = "business_hours"
BUSINESS_DAYS = "business_days"
CLOCKS = (ELAPSED, BUSINESS_HOURS, BUSINESS_DAYS)

# A calendar closed for years (every day a holiday) must fail loudly, not loop forever.
MAX_DAYS_SCANNED = 3 * 366


@dataclass(frozen=True)
class Calendar:
    """When the business is open: `spans` are (weekday 0 = Monday, opens, closes) in local time."""

    timezone: str
    spans: tuple[tuple[int, time, time], ...]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self):
        ZoneInfo(self.timezone)  # raises for an unknown timezone
        for weekday, opens, closes in self.spans:
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday}")
            if not opens < closes:
                raise ValueError("a span must open before it closes (spans crossing midnight are not supported)")

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _weekly(self) -> dict[int, list[tuple[time, time]]]:
        weekly: dict[int, list[tuple[time, time]]] = {}
        for weekday, opens, closes in sorted(self.spans):
            day = weekly.setdefault(weekday, [])
            if day and opens <= day[-1][1]:  # overlapping or touching spans: merge them
                day[-1] = (day[-1][0], max(day[-1][1], closes))
            else:
                day.append((opens, closes))
        return weekly

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def day_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The opening spans of a local date, as UTC instants; none on holidays and closed days."""
        if day in self.holidays:
            return []
        return [
            (self._instant(day, opens), self._instant(day, closes))
            for opens, closes in self._weekly.get(day.weekday(), [])
        ]

    def _instant(self, day: date, at: time) -> datetime:
        # A wall-clock time skipped by the spring change (02:30) maps to the instant after it.
        return datetime.combine(day, at).replace(tzinfo=self.zone).astimezone(UTC)

    def is_business_day(self, day: date) -> bool:
        return bool(self.day_spans(day))


# 08:00–20:00 every day in Paris: when nobody has configured when people may be notified.
DAYTIME = Calendar("Europe/Paris", tuple((weekday, time(8), time(20)) for weekday in range(7)))


def _aware(at: datetime, name: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return at.astimezone(UTC)


def _days_from(calendar: Calendar, start: datetime):
    """Local dates from the one holding `start`, bounded so that a calendar never open fails."""
    if not calendar.spans:
        raise ValueError("the calendar has no opening hours")
    day = calendar.local_date(start)
    for _ in range(MAX_DAYS_SCANNED):
        yield day
        day += timedelta(days=1)
    raise ValueError(f"the calendar is not open in {MAX_DAYS_SCANNED} days")


def is_open(at: datetime, calendar: Calendar) -> bool:
    at = _aware(at, "at")
    return any(opens <= at < closes for opens, closes in calendar.day_spans(calendar.local_date(at)))


def next_opening(at: datetime, calendar: Calendar) -> datetime:
    """`at` itself when the calendar is open then, otherwise the moment it next opens."""
    at = _aware(at, "at")
    for day in _days_from(calendar, at):
        for opens, closes in calendar.day_spans(day):
            if at < closes:
                return max(opens, at)
    raise AssertionError("unreachable")  # pragma: no cover


def add_business_time(start: datetime, duration: timedelta, calendar: Calendar) -> datetime:
    """The instant when `duration` of opening time has passed since `start`."""
    start = _aware(start, "start")
    if duration <= timedelta(0):
        return start
    left = duration
    for day in _days_from(calendar, start):
        for opens, closes in calendar.day_spans(day):
            if closes <= start:
                continue
            opens = max(opens, start)
            if left <= closes - opens:
                return opens + left
            left -= closes - opens
    raise AssertionError("unreachable")  # pragma: no cover


def business_time_between(start: datetime, end: datetime, calendar: Calendar) -> timedelta:
    """How much opening time lies between `start` and `end` (zero when `end` is not later)."""
    start, end = _aware(start, "start"), _aware(end, "end")
    total = timedelta(0)
    if end <= start:
        return total
    day, last = calendar.local_date(start), calendar.local_date(end)
    while day <= last:
        for opens, closes in calendar.day_spans(day):
            overlap = min(closes, end) - max(opens, start)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


def _business_days_due(start: datetime, days: int, calendar: Calendar) -> datetime:
    counted = 0
    for day in _days_from(calendar, start):
        spans = calendar.day_spans(day)
        if not spans:
            continue
        # The opening day counts only when the case opened before the business day began.
        if day == calendar.local_date(start) and start >= spans[0][0]:
            continue
        counted += 1
        if counted == days:
            return spans[-1][1]
    raise AssertionError("unreachable")  # pragma: no cover


def first_contact_due(
    start: datetime,
    *,
    hours: int | None = None,
    clock: str = ELAPSED,
    days: int | None = None,
    calendar: Calendar | None = None,
) -> datetime:
    """THE first-contact deadline of a case whose clock starts at `start` (returned in UTC).

    elapsed: `hours` later; business_hours: after `hours` of opening time; business_days: the
    closing time of the `days`th business day after `start`.
    """
    start = _aware(start, "start")
    if clock not in CLOCKS:
        raise ValueError(f"unknown clock {clock!r}")
    if clock == BUSINESS_DAYS:
        if days is None or days <= 0:
            raise ValueError("the deadline must be a positive number of days")
    elif hours is None or hours <= 0:
        raise ValueError("the deadline must be a positive number of hours")
    if clock == ELAPSED:
        return start + timedelta(hours=hours)
    if calendar is None:
        raise ValueError("a business clock needs a calendar")
    if clock == BUSINESS_HOURS:
        return add_business_time(start, timedelta(hours=hours), calendar)
    return _business_days_due(start, days, calendar)


def time_left(paused_at: datetime, due: datetime, *, clock: str, calendar: Calendar | None = None) -> timedelta:
    """What remained of the deadline when the clock paused, on the case's clock (never negative)."""
    paused_at, due = _aware(paused_at, "paused_at"), _aware(due, "due")
    if clock == ELAPSED or calendar is None:
        return max(due - paused_at, timedelta(0))
    return business_time_between(paused_at, due, calendar)


def resumed_due(resumed_at: datetime, left: timedelta, *, clock: str, calendar: Calendar | None = None) -> datetime:
    """The new deadline when the clock restarts at `resumed_at` with `left` to run."""
    resumed_at = _aware(resumed_at, "resumed_at")
    if clock == ELAPSED or calendar is None:
        return resumed_at + left
    return add_business_time(resumed_at, left, calendar)


# --- Words: the clock as agents and customers read it ------------------------------------------


def describe_calendar(calendar: Calendar) -> str:
    """The opening hours in a few words: "Mon–Fri 09:00–18:00 Europe/Paris" (days in the active language)."""
    from django.utils.dates import WEEKDAYS_ABBR

    runs: list[list] = []  # [first weekday, last weekday, hours] for consecutive days with the same hours
    for weekday in range(7):
        hours = ", ".join(f"{opens:%H:%M}–{closes:%H:%M}" for opens, closes in calendar._weekly.get(weekday, []))
        if not hours:
            continue
        if runs and runs[-1][1] == weekday - 1 and runs[-1][2] == hours:
            runs[-1][1] = weekday
        else:
            runs.append([weekday, weekday, hours])
    days = "; ".join(
        f"{WEEKDAYS_ABBR[first]}{'' if first == last else '–' + str(WEEKDAYS_ABBR[last])} {hours}"
        for first, last, hours in runs
    )
    return f"{days} {calendar.timezone}"


def describe_deadline(*, clock: str = ELAPSED, hours: int = 0, days: int = 0, calendar: Calendar | None = None) -> str:
    """The first-contact deadline and the clock it runs on, e.g. "48 business hours, Mon–Fri
    09:00–18:00 Europe/Paris" or "48 hours, around the clock". The customer's promise and the case page both say it."""
    from django.utils.translation import ngettext

    if clock == BUSINESS_DAYS and calendar is not None:
        amount = ngettext("%(count)s business day", "%(count)s business days", days) % {"count": days}
    elif clock == BUSINESS_HOURS and calendar is not None:
        amount = ngettext("%(count)s business hour", "%(count)s business hours", hours) % {"count": hours}
    else:
        return ngettext("%(count)s hour, around the clock", "%(count)s hours, around the clock", hours) % {
            "count": hours
        }
    return f"{amount}, {describe_calendar(calendar)}"
