"""Plain values checked without the database: text, email, choices, yes/no, dates, years, numbers, amounts.

Each check returns the clean value or raises InvalidValue, whose argument is the message
shown to the person; the row checks (crm.services.rows) file it under the field's name.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.models import Purchase

TRUE_WORDS = frozenset({"yes", "true", "1"})
FALSE_WORDS = frozenset({"no", "false", "0"})
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMBER = re.compile(r"^-?\d{1,15}(\.\d{1,6})?$")


class InvalidValue(Exception):
    """A value failed its check; the argument is the message shown to the person."""


def clean_text(value, max_length: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidValue(_("Enter text."))
    value = value.strip()
    if "\x00" in value:
        # PostgreSQL cannot store it, and no real name or city contains one.
        raise InvalidValue(_("Remove the invisible NUL character from this value."))
    if len(value) > max_length:
        raise InvalidValue(
            ngettext(
                "Enter at most %(max)d character (this has %(length)d).",
                "Enter at most %(max)d characters (this has %(length)d).",
                max_length,
            )
            % {"max": max_length, "length": len(value)}
        )
    return value


def clean_email(value) -> str:
    value = clean_text(value, 254)
    if value:
        try:
            validate_email(value)
        except ValidationError as exc:
            raise InvalidValue(_("Enter a valid email address.")) from exc
    return value


def clean_choice(value, allowed: tuple[str, ...], *, lower: bool = True) -> str:
    value = clean_text(value, 50)
    if lower:
        value = value.lower()
    if value and value not in allowed:
        raise InvalidValue(_("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)})
    return value


def parse_bool(value) -> bool:
    """True for yes/true/1, False for no/false/0 (any case); anything else, blank included, is refused."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise InvalidValue(_("Enter yes or no (also accepted: true/false, 1/0)."))


def parse_date(value, *, not_after: date | None = None) -> date | None:
    """A date, or a YYYY-MM-DD string; blank is None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        raise InvalidValue(_("Enter a date as YYYY-MM-DD, without a time."))
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if not ISO_DATE.match(text):
            raise InvalidValue(_("Enter a date as YYYY-MM-DD."))
        try:
            value = date.fromisoformat(text)
        except ValueError as exc:
            raise InvalidValue(_("This date does not exist: enter a real date as YYYY-MM-DD.")) from exc
    if not isinstance(value, date):
        raise InvalidValue(_("Enter a date as YYYY-MM-DD."))
    if not_after is not None and value > not_after:
        raise InvalidValue(_("This date is in the future."))
    return value


MAX_UTC_OFFSET = timedelta(hours=14)
EARLIEST_MOMENT = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_MOMENT = datetime(2200, 12, 31, tzinfo=UTC)


def parse_datetime(value, *, not_after: datetime | None = None) -> datetime:
    """An aware datetime, or an ISO 8601 string with its UTC offset (2024-05-01T14:30:00+02:00)."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise InvalidValue(_("This field is required."))
        try:
            value = datetime.fromisoformat(text)
        except ValueError as exc:
            raise InvalidValue(_("Enter a date and time as YYYY-MM-DDTHH:MM:SS+HH:MM.")) from exc
    if value is None:
        raise InvalidValue(_("This field is required."))
    if not isinstance(value, datetime):
        raise InvalidValue(_("Enter a date and time as YYYY-MM-DDTHH:MM:SS+HH:MM."))
    if timezone.is_naive(value):
        raise InvalidValue(_("Give the time zone, for example 2024-05-01T14:30:00+02:00 or …Z for UTC."))
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise InvalidValue(_("A UTC offset is at most 14 hours."))
    try:
        value = value.astimezone(UTC)
    except OverflowError as exc:
        raise InvalidValue(_("Enter a date between 1900 and 2200.")) from exc
    if not EARLIEST_MOMENT <= value <= LATEST_MOMENT:
        raise InvalidValue(_("Enter a date between 1900 and 2200."))
    if not_after is not None and value > not_after:
        raise InvalidValue(_("This date is in the future."))
    return value


def parse_year(value, *, latest: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if not text.isdigit():
            raise InvalidValue(_("Enter a year with four digits, for example 1980."))
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(_("Enter a year with four digits, for example 1980."))
    if not 1900 <= value <= latest:
        raise InvalidValue(_("Enter a year between %(first)d and %(last)d.") % {"first": 1900, "last": latest})
    return value


def parse_number(value) -> int | float:
    """A number for a custom attribute: an int when whole, so that 3 and "3" are the same value."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 15:
        return int(value)  # the usual case, without the regular expression and Decimal
    if isinstance(value, bool):
        raise InvalidValue(_("Enter a number, with a dot for decimals (for example 12.5)."))
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidValue(_("Enter a number, with a dot for decimals (for example 12.5)."))
        value = str(value)
    if isinstance(value, Decimal):
        value = str(value)
    if not isinstance(value, str) or not NUMBER.match(value.strip()):
        raise InvalidValue(_("Enter a number, with a dot for decimals (for example 12.5)."))
    number = Decimal(value.strip())
    return int(number) if number == number.to_integral_value() else float(number)


def parse_amount(value) -> Decimal:
    """A positive amount with at most 2 decimals (a string, int or Decimal; a float via its shortest text)."""
    if isinstance(value, bool) or value is None:
        raise InvalidValue(_("Enter an amount such as 49.90."))
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise InvalidValue(_("Enter an amount such as 49.90.")) from exc
    if not amount.is_finite():
        raise InvalidValue(_("Enter an amount such as 49.90."))
    if amount <= 0:
        raise InvalidValue(_("Enter an amount greater than zero."))
    field = Purchase._meta.get_field("amount")
    if amount.adjusted() >= field.max_digits - field.decimal_places:
        raise InvalidValue(_("This amount is too large."))
    cents = amount.quantize(Decimal("0.01"))
    if cents != amount:
        raise InvalidValue(_("Enter an amount with at most 2 decimals."))
    return cents
