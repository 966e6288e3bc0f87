"""When a triggered survey may go out: weekday mornings in the customer's time zone. No database."""

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

WEEKDAYS = range(0, 5)  # Monday to Friday


def customer_zone(custom_attributes: dict | None) -> ZoneInfo:
    """The customer's time zone (the `time_zone` CRM attribute, an IANA name), else the site's."""
    name = (custom_attributes or {}).get("time_zone")
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo(settings.TIME_ZONE)


def in_window(moment: dt.datetime, zone: ZoneInfo, hours: tuple[int, int] | None = None) -> bool:
    start, end = hours or settings.NPSAPP_TRIGGER_SEND_HOURS
    local = moment.astimezone(zone)
    return local.weekday() in WEEKDAYS and start <= local.hour < end


def next_send_time(moment: dt.datetime, zone: ZoneInfo, hours: tuple[int, int] | None = None) -> dt.datetime:
    """`moment` if it is inside the window, else the next window's opening (aware, in UTC)."""
    start, _end = hours or settings.NPSAPP_TRIGGER_SEND_HOURS
    if in_window(moment, zone, hours):
        return moment
    local = moment.astimezone(zone)
    day = local.date()
    if local.hour >= start:  # today's window is over (or today is a weekend day)
        day += dt.timedelta(days=1)
    while day.weekday() not in WEEKDAYS:
        day += dt.timedelta(days=1)
    opening = dt.datetime.combine(day, dt.time(start), tzinfo=zone)
    return opening.astimezone(dt.UTC)
