"""Dates as people read them: unambiguous in each language, and with their time zone for customers.

The formats themselves are in `npsapp/formats/<language>/formats.py` (FORMAT_MODULE_PATH). This
module adds what Django's format names cannot say: the zone ("7 Dec 2026, 13:30 CET"). It is a
template builtin, so every template has `|datetime_with_zone` without loading anything.
"""

from django import template
from django.utils import dateformat, formats, timezone

register = template.Library()


def datetime_with_zone(value, zone=None) -> str:
    """`value` in `zone` (else the current time zone) as "7 Dec 2026, 13:30 CET" in the active language."""
    if value in (None, ""):
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value, zone)
    shown = formats.date_format(value, "DATETIME_FORMAT")
    return f"{shown} {dateformat.format(value, 'T')}".strip()


register.filter("datetime_with_zone", datetime_with_zone, expects_localtime=False)
