"""The sending window: weekday mornings in the customer's time zone. No database."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from triggers.window import customer_zone, in_window, next_send_time

PARIS = ZoneInfo("Europe/Paris")
HOURS = (9, 11)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Wednesday 1 April 2026, 10:00 in Paris (UTC+2): inside, unchanged.
        (datetime(2026, 4, 1, 8, 0, tzinfo=UTC), datetime(2026, 4, 1, 8, 0, tzinfo=UTC)),
        # 07:00 in Paris: the same morning at 09:00.
        (datetime(2026, 4, 1, 5, 0, tzinfo=UTC), datetime(2026, 4, 1, 7, 0, tzinfo=UTC)),
        # 11:00 in Paris: the window is over, Thursday 09:00.
        (datetime(2026, 4, 1, 9, 0, tzinfo=UTC), datetime(2026, 4, 2, 7, 0, tzinfo=UTC)),
        # Friday afternoon: Monday 09:00.
        (datetime(2026, 4, 3, 14, 0, tzinfo=UTC), datetime(2026, 4, 6, 7, 0, tzinfo=UTC)),
        # Saturday 08:00 in Paris (before the hour, but a weekend): Monday.
        (datetime(2026, 4, 4, 6, 0, tzinfo=UTC), datetime(2026, 4, 6, 7, 0, tzinfo=UTC)),
        # Across the change to summer time (Sunday 29 March 2026): Monday 09:00 is 07:00 UTC.
        (datetime(2026, 3, 27, 12, 0, tzinfo=UTC), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),
    ],
)
def test_the_next_sending_time(moment, expected):
    assert next_send_time(moment, PARIS, HOURS) == expected
    assert in_window(expected, PARIS, HOURS)


def test_the_customer_time_zone_comes_from_the_crm_else_the_site(settings):
    settings.TIME_ZONE = "Europe/Paris"
    assert customer_zone({"time_zone": "America/New_York"}) == ZoneInfo("America/New_York")
    assert customer_zone({"time_zone": "Mars/Olympus"}) == PARIS
    assert customer_zone({"time_zone": "../../etc/passwd"}) == PARIS
    assert customer_zone({}) == PARIS
    assert customer_zone(None) == PARIS
