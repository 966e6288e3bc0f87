"""The deadline arithmetic, without a database: weekends, holidays, lunch breaks and both
daylight-saving changes in Paris (2026: Sunday 29 March and Sunday 25 October)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from followups import sla

PARIS = ZoneInfo("Europe/Paris")
# Monday to Friday, 09:00–12:00 and 14:00–18:00 (7 hours a day); closed on 1 May and Christmas.
OFFICE = sla.Calendar(
    timezone="Europe/Paris",
    spans=tuple(span for day in range(5) for span in ((day, time(9), time(12)), (day, time(14), time(18)))),
    holidays=frozenset({date(2026, 5, 1), date(2026, 12, 25)}),
)


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        # Elapsed hours are real hours: the clock does not care about weekends or DST.
        (utc(2026, 3, 27, 18, 0), 48, utc(2026, 3, 29, 18, 0)),
        (utc(2026, 10, 24, 10, 0), 24, utc(2026, 10, 25, 10, 0)),
        (paris(2026, 5, 1, 9, 0), 1, paris(2026, 5, 1, 10, 0)),
    ],
)
def test_elapsed_deadline_is_real_hours_later(start, hours, due):
    assert sla.first_contact_due(start, hours=hours) == due
    assert sla.first_contact_due(start, clock=sla.ELAPSED, hours=hours, calendar=OFFICE) == due


@pytest.mark.parametrize(
    ("case", "start", "hours", "due"),
    [
        ("inside one day", paris(2026, 3, 23, 10, 0), 4, paris(2026, 3, 23, 16, 0)),
        ("skips lunch", paris(2026, 3, 23, 11, 0), 2, paris(2026, 3, 23, 15, 0)),
        ("opened at lunch", paris(2026, 3, 23, 12, 30), 1, paris(2026, 3, 23, 15, 0)),
        ("opened at closing", paris(2026, 3, 23, 18, 0), 1, paris(2026, 3, 24, 10, 0)),
        ("opened at night", paris(2026, 3, 23, 23, 30), 1, paris(2026, 3, 24, 10, 0)),
        ("two full days", paris(2026, 3, 23, 9, 0), 14, paris(2026, 3, 24, 18, 0)),
        ("ends exactly at closing", paris(2026, 3, 23, 17, 0), 1, paris(2026, 3, 23, 18, 0)),
        ("weekend", paris(2026, 3, 20, 17, 0), 2, paris(2026, 3, 23, 10, 0)),
        ("opened on Saturday", paris(2026, 3, 21, 15, 0), 1, paris(2026, 3, 23, 10, 0)),
        ("spring DST weekend", paris(2026, 3, 27, 17, 0), 2, paris(2026, 3, 30, 10, 0)),
        ("autumn DST weekend", paris(2026, 10, 23, 17, 0), 2, paris(2026, 10, 26, 10, 0)),
        ("1 May holiday", paris(2026, 4, 30, 17, 0), 2, paris(2026, 5, 4, 10, 0)),
        ("Christmas holiday", paris(2026, 12, 24, 17, 30), 1, paris(2026, 12, 28, 9, 30)),
        # 48 hours of 7-hour days: six days and six hours, across the spring change.
        ("48 business hours", paris(2026, 3, 23, 9, 0), 48, paris(2026, 3, 31, 17, 0)),
    ],
)
def test_business_hours_deadline(case, start, hours, due):
    assert sla.first_contact_due(start, clock=sla.BUSINESS_HOURS, hours=hours, calendar=OFFICE) == due


def test_business_hours_spell_out_utc_across_the_changes():
    # 17:00 CET on Friday is 16:00 UTC; 10:00 CEST on Monday is 08:00 UTC: 64 hours apart, not 65.
    due = sla.first_contact_due(utc(2026, 3, 27, 16, 0), clock=sla.BUSINESS_HOURS, hours=2, calendar=OFFICE)
    assert due == utc(2026, 3, 30, 8, 0)
    due = sla.first_contact_due(utc(2026, 10, 23, 15, 0), clock=sla.BUSINESS_HOURS, hours=2, calendar=OFFICE)
    assert due == utc(2026, 10, 26, 9, 0)
    assert due.tzinfo == UTC


@pytest.mark.parametrize(
    ("case", "start", "days", "due"),
    [
        ("opened during the day", paris(2026, 3, 23, 10, 0), 2, paris(2026, 3, 25, 18, 0)),
        ("opened before opening counts the day", paris(2026, 3, 23, 8, 0), 2, paris(2026, 3, 24, 18, 0)),
        ("opened after closing", paris(2026, 3, 23, 19, 0), 1, paris(2026, 3, 24, 18, 0)),
        ("over a weekend", paris(2026, 3, 20, 10, 0), 2, paris(2026, 3, 24, 18, 0)),
        ("opened on Saturday", paris(2026, 3, 28, 11, 0), 1, paris(2026, 3, 30, 18, 0)),
        ("spring DST", paris(2026, 3, 27, 10, 0), 2, paris(2026, 3, 31, 18, 0)),
        ("autumn DST", paris(2026, 10, 23, 10, 0), 1, paris(2026, 10, 26, 18, 0)),
        ("1 May holiday", paris(2026, 4, 29, 10, 0), 2, paris(2026, 5, 4, 18, 0)),
    ],
)
def test_business_days_deadline_is_the_closing_of_the_nth_business_day(case, start, days, due):
    assert sla.first_contact_due(start, clock=sla.BUSINESS_DAYS, days=days, calendar=OFFICE) == due


def test_two_business_days_is_not_48_hours():
    start = paris(2026, 3, 27, 10, 0)  # Friday
    elapsed = sla.first_contact_due(start, hours=48)
    business = sla.first_contact_due(start, clock=sla.BUSINESS_DAYS, days=2, calendar=OFFICE)
    assert elapsed == paris(2026, 3, 29, 11, 0)  # Sunday, in summer time
    assert business == paris(2026, 3, 31, 18, 0)


@pytest.mark.parametrize(
    ("day", "length"),
    [
        (date(2026, 3, 29), timedelta(hours=2)),  # 01:00–04:00 loses the hour 02:00–03:00
        (date(2026, 10, 25), timedelta(hours=4)),  # 01:00–04:00 lives 02:00–03:00 twice
        (date(2026, 3, 22), timedelta(hours=3)),
    ],
)
def test_a_span_over_the_change_lasts_what_the_clock_on_the_wall_says(day, length):
    night = sla.Calendar("Europe/Paris", ((6, time(1), time(4)),))
    start = datetime.combine(day, time(0), tzinfo=PARIS)
    assert sla.business_time_between(start, start + timedelta(days=1), night) == length


def test_several_spans_a_day_and_overlaps_are_merged():
    calendar = sla.Calendar("Europe/Paris", ((0, time(9), time(11)), (0, time(10), time(12)), (0, time(14), time(15))))
    monday = paris(2026, 3, 23, 0, 0)
    assert sla.business_time_between(monday, monday + timedelta(days=1), calendar) == timedelta(hours=4)


@pytest.mark.parametrize(
    ("at", "open_now", "opening"),
    [
        (paris(2026, 3, 23, 10, 0), True, paris(2026, 3, 23, 10, 0)),
        (paris(2026, 3, 23, 12, 0), False, paris(2026, 3, 23, 14, 0)),
        (paris(2026, 3, 23, 18, 0), False, paris(2026, 3, 24, 9, 0)),
        (paris(2026, 3, 28, 10, 0), False, paris(2026, 3, 30, 9, 0)),
        (paris(2026, 4, 30, 20, 0), False, paris(2026, 5, 4, 9, 0)),
    ],
)
def test_open_and_next_opening(at, open_now, opening):
    assert sla.is_open(at, OFFICE) is open_now
    assert sla.next_opening(at, OFFICE) == opening


def test_default_notification_hours_are_daytime_every_day_in_paris():
    assert sla.is_open(paris(2026, 3, 29, 8, 0), sla.DAYTIME)  # Sunday, after the change
    assert not sla.is_open(paris(2026, 3, 29, 7, 59), sla.DAYTIME)
    assert not sla.is_open(paris(2026, 10, 25, 20, 0), sla.DAYTIME)


@pytest.mark.parametrize(
    ("clock", "paused", "due", "resumed", "left", "new_due"),
    [
        # Elapsed: 10 hours were left, they run from the reply.
        (
            sla.ELAPSED,
            utc(2026, 3, 2, 8),
            utc(2026, 3, 2, 18),
            utc(2026, 3, 5, 9),
            timedelta(hours=10),
            utc(2026, 3, 5, 19),
        ),
        # Business hours: 16:00 Monday → 11:00 Tuesday is 4 opening hours; resumed Wednesday 17:00.
        (
            sla.BUSINESS_HOURS,
            paris(2026, 3, 23, 16),
            paris(2026, 3, 24, 11),
            paris(2026, 3, 25, 17),
            timedelta(hours=4),
            paris(2026, 3, 26, 12),
        ),
        # Business days: what is left is opening time too; resumed on Friday before the DST weekend.
        (
            sla.BUSINESS_DAYS,
            paris(2026, 3, 23, 17),
            paris(2026, 3, 24, 18),
            paris(2026, 3, 27, 17),
            timedelta(hours=8),
            paris(2026, 3, 30, 18),
        ),
        # Paused after the deadline: nothing left, the case stays due.
        (sla.ELAPSED, utc(2026, 3, 3, 8), utc(2026, 3, 2, 18), utc(2026, 3, 5, 9), timedelta(0), utc(2026, 3, 5, 9)),
    ],
)
def test_a_paused_clock_resumes_with_what_was_left(clock, paused, due, resumed, left, new_due):
    calendar = None if clock == sla.ELAPSED else OFFICE
    assert sla.time_left(paused, due, clock=clock, calendar=calendar) == left
    assert sla.resumed_due(resumed, left, clock=clock, calendar=calendar) == new_due


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        sla.first_contact_due(datetime(2026, 1, 1), hours=48)


@pytest.mark.parametrize("hours", [0, -5, None])
def test_deadline_must_be_positive(hours):
    with pytest.raises(ValueError):
        sla.first_contact_due(datetime(2026, 1, 1, tzinfo=UTC), hours=hours)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"clock": "fortnightly", "hours": 4},
        {"clock": sla.BUSINESS_HOURS, "hours": 4},  # no calendar
        {"clock": sla.BUSINESS_DAYS, "days": 0, "calendar": OFFICE},
        {"clock": sla.BUSINESS_HOURS, "hours": 4, "calendar": sla.Calendar("Europe/Paris", ())},
    ],
)
def test_impossible_deadlines_are_refused(kwargs):
    with pytest.raises(ValueError):
        sla.first_contact_due(paris(2026, 3, 23, 10), **kwargs)


def test_a_calendar_closed_forever_fails_instead_of_looping():
    monday_only = sla.Calendar(
        "Europe/Paris",
        ((0, time(9), time(17)),),
        holidays=frozenset(date(2026, 3, 23) + timedelta(weeks=n) for n in range(200)),
    )
    with pytest.raises(ValueError, match="not open"):
        sla.first_contact_due(paris(2026, 3, 23, 10), clock=sla.BUSINESS_HOURS, hours=1, calendar=monday_only)


@pytest.mark.parametrize(
    ("timezone_name", "spans"),
    [("Mars/Olympus", ()), ("Europe/Paris", ((7, time(9), time(10)),)), ("Europe/Paris", ((0, time(22), time(2)),))],
)
def test_bad_calendars_are_refused(timezone_name, spans):
    with pytest.raises(Exception):  # noqa: B017 - ZoneInfoNotFoundError or ValueError
        sla.Calendar(timezone_name, spans)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"hours": 48}, "48 hours, around the clock"),
        ({"hours": 1}, "1 hour, around the clock"),
        (
            {"clock": "business_hours", "hours": 48, "calendar": "office"},
            "48 business hours, Mon–Fri 09:00–18:00 Europe/Paris",
        ),
        (
            {"clock": "business_days", "days": 2, "calendar": "split"},
            "2 business days, Mon–Thu 09:00–12:00, 14:00–18:00; Fri 09:00–12:00 Europe/Paris",
        ),
        # A business clock without a calendar runs elapsed hours: the words say so.
        ({"clock": "business_hours", "hours": 16}, "16 hours, around the clock"),
    ],
)
def test_the_deadline_in_words_names_its_clock(kwargs, words):
    from datetime import time

    calendars = {
        "office": sla.Calendar("Europe/Paris", tuple((d, time(9), time(18)) for d in range(5))),
        "split": sla.Calendar(
            "Europe/Paris",
            tuple((d, time(9), time(12)) for d in range(5)) + tuple((d, time(14), time(18)) for d in range(4)),
        ),
    }
    if "calendar" in kwargs:
        kwargs = {**kwargs, "calendar": calendars[kwargs["calendar"]]}
    from django.utils import translation

    with translation.override("en"):
        assert sla.describe_deadline(**kwargs) == words
    with translation.override("fr"):
        assert sla.describe_deadline(**kwargs).split(",")[0] in {
            "48 heures",
            "1 heure",
            "48 heures ouvrées",
            "2 jours ouvrés",
            "16 heures",
        }
