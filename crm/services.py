"""Every write to customers, their purchases and their behaviour events.

The REST API, the CSV import (crm/importer.py) and its upload page all come through here.

Customers are upserted by `external_id` (the id in the system they come from). A key left
out of the data leaves that field as it is; a key given as blank ("" or None) clears it. So a
CSV column that is absent changes nothing, and an empty cell empties the field. Custom
attributes merge the same way: a key given blank is removed, keys not given are kept.

The checks are explicit functions over plain values (no ORM), fed with a `CustomerRules`
built once per import: a 100,000-row import cannot afford a Django form per row.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import smtplib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache, partial
from itertools import islice
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.choices import AgeBand, Area, AttributeType, EventKind, Gender, Plan, PrivacyAction
from crm.models import CustomAttribute, Customer, CustomerEvent, PrivacyEvent, Purchase
from crm.signals import customers_changed
from npsapp import roles

BATCH_SIZE = 2000
ATTRIBUTE_PREFIX = "attr:"
# The customer fields an upsert may set, in the order of the CSV template.
CUSTOMER_FIELDS = (
    "external_id",
    "email",
    "first_name",
    "last_name",
    "phone",
    "language",
    "customer_since",
    "newsletter_subscribed",
    "birth_year",
    "age_band",
    "gender",
    "city",
    "region",
    "area",
    "plan",
    "account_owner",
)
CUSTOM_ATTRIBUTES = "custom_attributes"
TEXT_ATTRIBUTE_MAX_LENGTH = 500
EVENT_DETAILS_MAX_CHARS = 10_000
# A clock a little ahead on the other system is not an error; a date next week is.
FUTURE_SKEW = timedelta(minutes=5)
TRUE_WORDS = frozenset({"yes", "true", "1"})
FALSE_WORDS = frozenset({"no", "false", "0"})
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMBER = re.compile(r"^-?\d{1,15}(\.\d{1,6})?$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
ERASED_DIGEST_SALT = "crm.erased-external-id"


class RowError(NamedTuple):
    """One refused row: its line in the file (or index in the list), its external id, and why."""

    position: int
    external_id: str
    errors: dict[str, list[str]]


class RefusedRow(NamedTuple):
    """A row its reader already refused (a CSV line of the wrong width): reported as it is."""

    external_id: str
    errors: dict[str, list[str]]


@dataclass
class UpsertReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def invalid(self) -> int:
        return len(self.errors)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + self.invalid

    def counts(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "invalid": self.invalid}


class RowsInvalid(ValidationError):
    """Some rows of an all-or-nothing batch are invalid, so nothing was written.

    `row_errors` lists them (index in the list given, 0-based); `message_dict` has the same
    keyed by that index, each message prefixed by its field.
    """

    def __init__(self, row_errors: list[RowError]):
        self.row_errors = row_errors
        super().__init__(
            {
                str(row.position): [
                    message if name == NON_FIELD_ERRORS else f"{name}: {message}"
                    for name, messages in row.errors.items()
                    for message in messages
                ]
                for row in row_errors
            }
        )


class _Invalid(Exception):
    """A value failed its check; the argument is the message shown to the person."""


# --- Values: plain checks, no database --------------------------------------------------


def _text(value, max_length: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Invalid(_("Enter text."))
    value = value.strip()
    if "\x00" in value:
        # PostgreSQL cannot store it, and no real name or city contains one.
        raise _Invalid(_("Remove the invisible NUL character from this value."))
    if len(value) > max_length:
        raise _Invalid(
            ngettext(
                "Enter at most %(max)d character (this has %(length)d).",
                "Enter at most %(max)d characters (this has %(length)d).",
                max_length,
            )
            % {"max": max_length, "length": len(value)}
        )
    return value


def _email(value) -> str:
    value = _text(value, 254)
    if value:
        try:
            validate_email(value)
        except ValidationError as exc:
            raise _Invalid(_("Enter a valid email address.")) from exc
    return value


def _choice(value, allowed: tuple[str, ...], *, lower: bool = True) -> str:
    value = _text(value, 50)
    if lower:
        value = value.lower()
    if value and value not in allowed:
        raise _Invalid(_("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)})
    return value


# customer_clean's shortcuts for plain valid strings.
_TEXT, _CHOICE, _EMAIL = "text", "choice", "email"
TEXT_LIMITS = {"external_id": 100, "first_name": 100, "last_name": 100, "phone": 40, "city": 100, "region": 100}
# Addresses of the most common shape, each one that Django's EmailValidator accepts too
# (dot-atom local part, letters-only top-level domain); the others go through the validator.
PLAIN_EMAIL = re.compile(
    r"^[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\Z"
)
# Computed once: TextChoices.values builds a new list on every access.
AGE_BANDS = tuple(AgeBand.values)
GENDERS = tuple(Gender.values)
AREAS = tuple(Area.values)
PLANS = tuple(Plan.values)
EVENT_KINDS = tuple(EventKind.values)
# Callables returning more event kinds to accept (an app above fills it: the kinds its trigger
# rules wait for), so the CRM never imports the apps built on it.
EVENT_KIND_SOURCES: list = []


def event_kinds() -> tuple[str, ...]:
    """The kinds an event may have: the CRM's own, then those the apps above registered."""
    extra = [kind for source in EVENT_KIND_SOURCES for kind in source()]
    return EVENT_KINDS + tuple(sorted(set(extra) - set(EVENT_KINDS)))


def _age_band(value) -> str:
    # The labels use an en dash ("35–49"): accept it as written in a spreadsheet.
    if isinstance(value, str):
        value = value.replace("–", "-")
    return _choice(value, AGE_BANDS)


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
    raise _Invalid(_("Enter yes or no (also accepted: true/false, 1/0)."))


def parse_date(value, *, not_after: date | None = None) -> date | None:
    """A date, or a YYYY-MM-DD string; blank is None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        raise _Invalid(_("Enter a date as YYYY-MM-DD, without a time."))
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if not ISO_DATE.match(text):
            raise _Invalid(_("Enter a date as YYYY-MM-DD."))
        try:
            value = date.fromisoformat(text)
        except ValueError as exc:
            raise _Invalid(_("This date does not exist: enter a real date as YYYY-MM-DD.")) from exc
    if not isinstance(value, date):
        raise _Invalid(_("Enter a date as YYYY-MM-DD."))
    if not_after is not None and value > not_after:
        raise _Invalid(_("This date is in the future."))
    return value


MAX_UTC_OFFSET = timedelta(hours=14)
EARLIEST_MOMENT = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_MOMENT = datetime(2200, 12, 31, tzinfo=UTC)


def parse_datetime(value, *, not_after: datetime | None = None) -> datetime:
    """An aware datetime, or an ISO 8601 string with its UTC offset (2024-05-01T14:30:00+02:00)."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise _Invalid(_("This field is required."))
        try:
            value = datetime.fromisoformat(text)
        except ValueError as exc:
            raise _Invalid(_("Enter a date and time as YYYY-MM-DDTHH:MM:SS+HH:MM.")) from exc
    if value is None:
        raise _Invalid(_("This field is required."))
    if not isinstance(value, datetime):
        raise _Invalid(_("Enter a date and time as YYYY-MM-DDTHH:MM:SS+HH:MM."))
    if timezone.is_naive(value):
        raise _Invalid(_("Give the time zone, for example 2024-05-01T14:30:00+02:00 or …Z for UTC."))
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise _Invalid(_("A UTC offset is at most 14 hours."))
    try:
        value = value.astimezone(UTC)
    except OverflowError as exc:
        raise _Invalid(_("Enter a date between 1900 and 2200.")) from exc
    if not EARLIEST_MOMENT <= value <= LATEST_MOMENT:
        raise _Invalid(_("Enter a date between 1900 and 2200."))
    if not_after is not None and value > not_after:
        raise _Invalid(_("This date is in the future."))
    return value


def parse_year(value, *, latest: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if not text.isdigit():
            raise _Invalid(_("Enter a year with four digits, for example 1980."))
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(_("Enter a year with four digits, for example 1980."))
    if not 1900 <= value <= latest:
        raise _Invalid(_("Enter a year between %(first)d and %(last)d.") % {"first": 1900, "last": latest})
    return value


def parse_number(value) -> int | float:
    """A number for a custom attribute: an int when whole, so that 3 and "3" are the same value."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 15:
        return int(value)  # the usual case, without the regular expression and Decimal
    if isinstance(value, bool):
        raise _Invalid(_("Enter a number, with a dot for decimals (for example 12.5)."))
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise _Invalid(_("Enter a number, with a dot for decimals (for example 12.5)."))
        value = str(value)
    if isinstance(value, Decimal):
        value = str(value)
    if not isinstance(value, str) or not NUMBER.match(value.strip()):
        raise _Invalid(_("Enter a number, with a dot for decimals (for example 12.5)."))
    number = Decimal(value.strip())
    return int(number) if number == number.to_integral_value() else float(number)


def parse_amount(value) -> Decimal:
    """A positive amount with at most 2 decimals (a string, int or Decimal; a float via its shortest text)."""
    if isinstance(value, bool) or value is None:
        raise _Invalid(_("Enter an amount such as 49.90."))
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise _Invalid(_("Enter an amount such as 49.90.")) from exc
    if not amount.is_finite():
        raise _Invalid(_("Enter an amount such as 49.90."))
    if amount <= 0:
        raise _Invalid(_("Enter an amount greater than zero."))
    field = Purchase._meta.get_field("amount")
    if amount.adjusted() >= field.max_digits - field.decimal_places:
        raise _Invalid(_("This amount is too large."))
    cents = amount.quantize(Decimal("0.01"))
    if cents != amount:
        raise _Invalid(_("Enter an amount with at most 2 decimals."))
    return cents


# --- Customers: the row check ---------------------------------------------------------


@dataclass
class CustomerRules:
    """What a customer row is checked against, as plain data, so that the checks need no database.

    attributes: the declared custom attributes, key → (type, allowed choices).
    owners: username → user id for the staff who may own customers; a username known not
    to be one maps to None. Rows naming a username missing from it are refused.
    """

    today: date
    attributes: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    owners: dict[str, int | None] = field(default_factory=dict)
    languages: tuple[str, ...] = ()
    # Digests of the external ids erasures replaced; None until first needed.
    erased_digests: set[str] | None = None
    checks: dict = field(init=False, repr=False)
    shortcuts: dict = field(init=False, repr=False)

    def __post_init__(self):
        if not self.languages:
            self.languages = tuple(code for code, _name in settings.LANGUAGES)
        # field → check, built once for all rows.
        self.checks = {
            **{name: partial(_text, max_length=limit) for name, limit in TEXT_LIMITS.items()},
            "email": _email,
            "language": partial(_choice, allowed=self.languages),
            "customer_since": partial(parse_date, not_after=self.today),
            "newsletter_subscribed": parse_bool,
            "birth_year": partial(parse_year, latest=self.today.year),
            "age_band": _age_band,
            "gender": partial(_choice, allowed=GENDERS),
            "area": partial(_choice, allowed=AREAS),
            "plan": partial(_choice, allowed=PLANS),
        }
        # field → how a plain, valid string is recognised without the full check (see customer_clean).
        self.shortcuts = {
            **{name: (_TEXT, limit) for name, limit in TEXT_LIMITS.items()},
            "language": (_CHOICE, frozenset(self.languages)),
            "gender": (_CHOICE, frozenset(GENDERS)),
            "area": (_CHOICE, frozenset(AREAS)),
            "plan": (_CHOICE, frozenset(PLANS)),
            "age_band": (_CHOICE, frozenset(AGE_BANDS)),
            "email": (_EMAIL, 254),
        }


def _attribute(value, kind: str, choices: tuple[str, ...]):
    if kind == AttributeType.NUMBER:
        return parse_number(value)
    if kind == AttributeType.DATE:
        return parse_date(value).isoformat()
    if kind == AttributeType.CHOICE:
        text = _text(value, TEXT_ATTRIBUTE_MAX_LENGTH)
        if text not in choices:
            raise _Invalid(_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)})
        return text
    return _text(value, TEXT_ATTRIBUTE_MAX_LENGTH)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def customer_clean(data: Mapping, rules: CustomerRules) -> tuple[dict, dict[str, list[str]]]:
    """Check one customer's data; returns (model field → value, errors by field).

    `custom_attributes` in the result maps each given key to its value, or to None to remove
    it. `account_owner` becomes `account_owner_id`. No database access.
    """
    cleaned: dict = {}
    errors: dict[str, list[str]] = {}
    checks, shortcuts = rules.checks, rules.shortcuts
    for name, value in data.items():
        # The shortcut: most values are plain valid strings, recognised here in a fraction of the
        # full check's time (which a 100,000-row import feels). Anything else takes the full check,
        # which alone words the errors.
        shortcut = shortcuts.get(name)
        if shortcut is not None and value.__class__ is str:
            kind, arg = shortcut
            text = value.strip()
            if kind is _TEXT:
                if len(text) <= arg and "\x00" not in text:
                    cleaned[name] = text
                    continue
            elif kind is _CHOICE:
                text = text.lower()
                if not text or text in arg:
                    cleaned[name] = text
                    continue
            elif not text or (len(text) <= arg and PLAIN_EMAIL.match(text)):
                cleaned[name] = text
                continue
        try:
            if name in checks:
                cleaned[name] = checks[name](value)
            elif name == "account_owner":
                username = _text(value, 150)
                if username and rules.owners.get(username) is None:
                    raise _Invalid(
                        _("There is no active staff user with the username “%(username)s”.") % {"username": username}
                    )
                cleaned["account_owner_id"] = rules.owners[username] if username else None
            elif name == CUSTOM_ATTRIBUTES:
                cleaned[CUSTOM_ATTRIBUTES] = _custom_attributes(value, rules, errors)
            else:
                raise _Invalid(_("Unknown field."))
        except _Invalid as exc:
            errors.setdefault(name, []).append(str(exc.args[0]))
    if "external_id" not in errors and not cleaned.get("external_id"):
        errors["external_id"] = [_("This field is required.")]
    return cleaned, errors


def _custom_attributes(value, rules: CustomerRules, errors: dict) -> dict:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _Invalid(_("Give the custom attributes as an object of key → value."))
    values = {}
    for key, item in value.items():
        definition = rules.attributes.get(key)
        if definition is not None and item.__class__ is str:
            # The shortcut for the usual plain valid strings, as in customer_clean.
            kind, choices = definition
            text = item.strip()
            if not text:
                values[key] = None
                continue
            if kind == AttributeType.NUMBER:
                if text.isascii() and text.isdigit() and len(text) <= 15:
                    values[key] = int(text)
                    continue
            elif (
                kind == AttributeType.CHOICE
                and text in choices
                or kind == AttributeType.TEXT
                and (len(text) <= TEXT_ATTRIBUTE_MAX_LENGTH and "\x00" not in text)
            ):
                values[key] = text
                continue
        name = f"{ATTRIBUTE_PREFIX}{key}"
        if definition is None:
            errors.setdefault(name, []).append(_("Unknown custom attribute: declare it in the admin first."))
            continue
        if _blank(item):
            values[key] = None
            continue
        try:
            values[key] = _attribute(item, *definition)
        except _Invalid as exc:
            errors.setdefault(name, []).append(str(exc.args[0]))
    return values


def customer_rules_load(*, usernames: Iterable[str] = ()) -> CustomerRules:
    """Rules with the declared attributes and the given owners' ids: two queries."""
    attributes = {
        key: (kind, tuple(line.strip() for line in choices.splitlines() if line.strip()))
        for key, kind, choices in CustomAttribute.objects.values_list("key", "type", "choices")
    }
    rules = CustomerRules(today=timezone.localdate(), attributes=attributes)
    _owners_load(rules, usernames)
    return rules


def _owners_load(rules: CustomerRules, usernames: Iterable[str]) -> None:
    """Add to rules.owners whichever of `usernames` it does not know yet: one query, or none."""
    wanted = {u for u in usernames if u not in rules.owners}
    if not wanted:
        return
    staff = Q(is_staff=True) | Q(is_superuser=True) | Q(groups__name__in=roles.ALL_ROLES)
    found = dict(
        get_user_model()
        .objects.filter(staff, is_active=True, username__in=wanted)
        .values_list("username", "id")
        .distinct()
    )
    for username in wanted:
        rules.owners[username] = found.get(username)


def _usernames(rows: Iterable[Mapping]) -> set[str]:
    names = set()
    for data in rows:
        value = data.get("account_owner") if isinstance(data, Mapping) else None
        if isinstance(value, str) and value.strip():
            names.add(value.strip())
    return names


def external_id_digest(external_id: str) -> str:
    """What an erasure keeps of the erased customer's external id, so an import can refuse it.

    A keyed hash (SECRET_KEY): the id cannot be read back from it, even a sequential one.
    """
    return salted_hmac(ERASED_DIGEST_SALT, external_id).hexdigest()


def _erased_digests() -> set[str]:
    rows = PrivacyEvent.objects.filter(action=PrivacyAction.ERASE, details__has_key="external_id_digest")
    return set(rows.values_list("details__external_id_digest", flat=True))


def _erased_before(external_id: str, rules: CustomerRules) -> bool:
    """Whether a new external id is that of an erased customer (read once, when a new id first shows up)."""
    if rules.erased_digests is None:
        rules.erased_digests = _erased_digests()
    return bool(rules.erased_digests) and external_id_digest(external_id) in rules.erased_digests


def _not_an_object() -> str:
    return _("Give each item as an object of field → value.")


def _erased_message() -> str:
    return _("This customer's personal data was erased: an import cannot fill it in again.")


# What the import reads of a stored customer to tell whether a row changes it.
STORED_COLUMNS = (
    *(f for f in CUSTOMER_FIELDS if f != "account_owner"),
    "account_owner_id",
    "custom_attributes",
    "erased_at",
)
# Cleaned keys that are not the model field's name.
FIELD_NAMES = {"account_owner_id": "account_owner"}
SCRATCH_TABLE = "crm_customer_import"
TEXT_TYPES = ("CharField", "EmailField")


def _attributes_merged(current: dict | None, given: dict | None) -> dict:
    """The stored custom attributes with the given ones applied (None removes a key)."""
    merged = dict(current or {})
    for key, value in (given or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _merge(existing: Customer | None, cleaned: dict) -> tuple[Customer, str, list[str]]:
    """Apply cleaned values; returns the customer, "created"/"updated"/"unchanged" and the changed fields."""
    values = dict(cleaned)
    attributes = values.pop(CUSTOM_ATTRIBUTES, None)
    if existing is None:
        customer = Customer(**values, custom_attributes=_attributes_merged({}, attributes))
        return customer, "created", []
    changed = [name for name, value in values.items() if getattr(existing, name) != value]
    for name in changed:
        setattr(existing, name, values[name])
    if attributes is not None:
        merged = _attributes_merged(existing.custom_attributes, attributes)
        if merged != existing.custom_attributes:
            existing.custom_attributes = merged
            changed.append(CUSTOM_ATTRIBUTES)
    changed = [FIELD_NAMES.get(name, name) for name in changed]
    return existing, ("updated" if changed else "unchanged"), changed


@transaction.atomic
def customer_upsert(*, data: Mapping, actor=None) -> tuple[Customer, str]:
    """Create or update one customer by `external_id`; returns it with "created", "updated" or "unchanged".

    Raises ValidationError with messages by field (custom attributes as `attr:<key>`). An
    erased customer is refused. An unchanged customer is not written. `actor` is accepted for
    the API's sake; single writes are not audited (imports are, see customers_upsert_many).
    """
    rules = customer_rules_load(usernames=_usernames([data]))
    cleaned, errors = customer_clean(data, rules)
    if errors:
        raise ValidationError(errors)
    external_id = cleaned["external_id"]
    for _attempt in range(2):
        existing = Customer.objects.select_for_update().filter(external_id=external_id).first()
        if existing is not None and existing.erased_at is not None:
            raise ValidationError({"external_id": [_erased_message()]})
        if existing is None and _erased_before(external_id, rules):
            raise ValidationError({"external_id": [_erased_message()]})
        customer, status, changed = _merge(existing, cleaned)
        if status == "created":
            try:
                with transaction.atomic():
                    customer.save(force_insert=True)
            except IntegrityError:
                continue  # created meanwhile by a concurrent request: update it instead
        elif status == "updated":
            customer.save(update_fields=[*changed, "updated_at"])
        return customer, status
    raise ValidationError({"external_id": [_("This customer is being written by another request: try again.")]})


def customers_upsert_many(*, rows: Iterable[Mapping], actor=None, source: str = "api") -> UpsertReport:
    """Upsert many customers; report errors by index in `rows` (0-based). See customers_upsert_numbered."""
    return customers_upsert_numbered(rows=enumerate(rows), actor=actor, source=source, unit="index")


@transaction.atomic
def customers_upsert_numbered(
    *,
    rows: Iterable[tuple[int, Mapping | RefusedRow]],
    actor=None,
    source: str = "import",
    filename: str = "",
    unit: str = "line",
    rules: CustomerRules | None = None,
) -> UpsertReport:
    """Upsert customers given as (position, data) pairs: valid rows are written, invalid ones reported.

    `position` is the row's line in a file (unit="line") or its index in a list
    (unit="index"); it names the row in the report. Rows are consumed in batches of
    BATCH_SIZE, so a generator is read as it goes. Per batch: one SELECT of the existing
    customers by external id, one bulk INSERT of the new ones, one bulk UPDATE of the
    changed ones; an unchanged customer is not written at all, so importing the same data
    twice changes nothing. The same external id twice is refused on its second row. One
    PrivacyEvent (action "import") records who imported what counts; no personal data.
    """
    report = UpsertReport()
    rules = rules or customer_rules_load()
    seen: dict[str, int] = {}
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH_SIZE)):
        _upsert_batch(batch, rules=rules, seen=seen, report=report, unit=unit)
    details = {"source": source, **report.counts()}
    if filename:
        details["file"] = filename
    PrivacyEvent.objects.create(action=PrivacyAction.IMPORT, actor=actor, details=details)
    return report


def _duplicate_message(first: int, unit: str) -> str:
    if unit == "line":
        return _("This external id is already on line %(line)d: a customer may appear only once per file.") % {
            "line": first
        }
    return _("This external id is already in row %(index)d: a customer may appear only once.") % {"index": first}


def _upsert_batch(batch, *, rules: CustomerRules, seen: dict, report: UpsertReport, unit: str):
    _owners_load(rules, _usernames(data for _position, data in batch if not isinstance(data, RefusedRow)))
    valid: list[tuple[int, dict]] = []
    for position, data in batch:
        if isinstance(data, RefusedRow):
            report.errors.append(RowError(position, data.external_id, data.errors))
            continue
        if not isinstance(data, Mapping):
            report.errors.append(RowError(position, "", {NON_FIELD_ERRORS: [_not_an_object()]}))
            continue
        cleaned, errors = customer_clean(data, rules)
        external_id = cleaned.get("external_id", "")
        if external_id:
            first = seen.setdefault(external_id, position)
            if first != position:
                errors.setdefault("external_id", []).append(_duplicate_message(first, unit))
        if errors:
            raw = data.get("external_id")
            report.errors.append(RowError(position, raw.strip() if isinstance(raw, str) else str(raw or ""), errors))
        else:
            valid.append((position, cleaned))
    if not valid:
        return
    # Compared as plain values: building 2,000 model instances per batch costs more than the query.
    stored = {
        row["external_id"]: row
        for row in Customer.objects.filter(external_id__in=[cleaned["external_id"] for _p, cleaned in valid]).values(
            *STORED_COLUMNS
        )
    }
    # Written per set of given fields (an API batch may mix them), so a field a row leaves out keeps its value.
    writes: dict[tuple[str, ...], list[dict]] = {}
    failed = False
    for position, cleaned in valid:
        external_id = cleaned["external_id"]
        current = stored.get(external_id)
        if (current is not None and current["erased_at"] is not None) or (
            current is None and _erased_before(external_id, rules)
        ):
            report.errors.append(RowError(position, external_id, {"external_id": [_erased_message()]}))
            failed = True
            continue
        values = dict(cleaned)
        attributes = values.pop(CUSTOM_ATTRIBUTES, None)
        if current is None:
            report.created += 1
        else:
            merged = _attributes_merged(current["custom_attributes"], attributes)
            if merged == current["custom_attributes"] and all(current[k] == v for k, v in values.items()):
                report.unchanged += 1
                continue
            report.updated += 1
        if attributes is not None:
            values[CUSTOM_ATTRIBUTES] = _attributes_merged(current["custom_attributes"] if current else {}, attributes)
        writes.setdefault(tuple(cleaned), []).append(values)
    for given, rows in writes.items():
        _customers_write(given, rows)
    if failed:
        # Errors found after the check (erased customers) come after the batch's others: keep file order.
        report.errors.sort(key=lambda row: row.position)


def _customers_write(given: tuple[str, ...], rows: list[dict]) -> None:
    """Insert new customers and update changed ones: INSERT … ON CONFLICT (external_id) DO UPDATE.

    One statement for both, and a customer created meanwhile by another import is updated
    rather than failing the batch. On conflict only the `given` fields (and updated_at) are
    set, so a field a row leaves out keeps its stored value. `rows` map column → value.
    """
    updated = [FIELD_NAMES.get(name, name) for name in given if name != "external_id"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and hasattr(cursor.cursor, "copy_expert"):
            customer_ids = _customers_copy(cursor, given, updated, rows)
            customers_changed.send(sender=Customer, customer_ids=customer_ids)
            return
    written = Customer.objects.bulk_create(
        [Customer(**row) for row in rows],
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["external_id"],
        update_fields=[*updated, "updated_at"],
    )
    customers_changed.send(sender=Customer, customer_ids=[customer.pk for customer in written])


def _customers_copy(cursor, given: tuple[str, ...], updated: list[str], rows: list[dict]) -> list[int]:
    """The PostgreSQL way, several times faster than bulk_create's INSERT: COPY the given columns
    into a scratch table, then one INSERT … SELECT … ON CONFLICT, the model's defaults filling
    the columns not given and the database drawing the public ids. Returns the ids written."""
    quote = connection.ops.quote_name
    fields = [f for f in Customer._meta.concrete_fields if not f.primary_key]
    by_attname = {f.attname: f for f in fields}
    now = timezone.now()
    selected, params = [], []
    for f in fields:
        if f.attname in given:
            selected.append(quote(f.column))
        elif f.attname == "public_id":
            selected.append("gen_random_uuid()")
        else:
            selected.append("%s")
            default = now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
            params.append(json.dumps(default) if f.get_internal_type() == "JSONField" else default)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    json_at = given.index(CUSTOM_ATTRIBUTES) if CUSTOM_ATTRIBUTES in given else None
    for row in rows:
        values = [row[name] for name in given]
        if json_at is not None:
            values[json_at] = json.dumps(values[json_at])
        writer.writerow(values)
    out.seek(0)
    table = quote(Customer._meta.db_table)
    copied = ", ".join(quote(by_attname[name].column) for name in given)
    # csv writes None and "" alike: FORCE_NOT_NULL reads the text columns' empty cells as "", the others as NULL.
    texts = ", ".join(quote(by_attname[n].column) for n in given if by_attname[n].get_internal_type() in TEXT_TYPES)
    set_columns = [quote(Customer._meta.get_field(name).column) for name in [*updated, "updated_at"]]
    assignments = ", ".join(f"{column} = EXCLUDED.{column}" for column in set_columns)
    # Dropped at commit (or rollback): it only ever lives inside the import's transaction.
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {SCRATCH_TABLE} ON COMMIT DROP AS SELECT * FROM {table} LIMIT 0")
    cursor.copy_expert(f"COPY {SCRATCH_TABLE} ({copied}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({texts}))", out)
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(quote(f.column) for f in fields)}) SELECT {', '.join(selected)} "
        f"FROM {SCRATCH_TABLE} ON CONFLICT (external_id) DO UPDATE SET {assignments} RETURNING id",
        params,
    )
    customer_ids = [row[0] for row in cursor.fetchall()]
    cursor.execute(f"TRUNCATE {SCRATCH_TABLE}")
    return customer_ids


# --- Purchases and behaviour events ------------------------------------------------------


def _refuse_erased(customer: Customer) -> None:
    if customer.erased_at is not None:
        raise ValidationError(
            {"customer": [_("This customer's personal data was erased: nothing can be added to it.")]}
        )


def purchase_clean(data: Mapping, *, now: datetime) -> tuple[dict, dict[str, list[str]]]:
    """Check one purchase: purchased_at (aware, not in the future), amount (> 0, 2 decimals), currency (EUR…)."""
    cleaned: dict = {"currency": "EUR"}
    errors: dict[str, list[str]] = {}
    checks = {
        "purchased_at": lambda v: parse_datetime(v, not_after=now + FUTURE_SKEW),
        "amount": parse_amount,
        "currency": _currency,
        "product_category": lambda v: _text(v, 100),
        "channel": lambda v: _text(v, 30),
    }
    for name, value in data.items():
        try:
            if name not in checks:
                raise _Invalid(_("Unknown field."))
            cleaned[name] = checks[name](value)
        except _Invalid as exc:
            errors.setdefault(name, []).append(str(exc.args[0]))
    for name in ("purchased_at", "amount"):
        if name not in data:
            errors[name] = [_("This field is required.")]
    return cleaned, errors


def _currency(value) -> str:
    text = value.strip().upper() if isinstance(value, str) else value
    if not isinstance(text, str) or not CURRENCY.match(text):
        raise _Invalid(_("Enter a currency as its 3-letter code, such as EUR."))
    return text


def customer_event_clean(
    data: Mapping, *, now: datetime, kinds: Callable[[], tuple[str, ...]] = event_kinds
) -> tuple[dict, dict[str, list[str]]]:
    """Check one behaviour event: kind (EventKind, else one of `kinds()`: only then are the registered
    kinds read), occurred_at (aware, not in the future), details (an object)."""
    cleaned: dict = {}
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        try:
            if name == "kind":
                cleaned["kind"] = value if value in EVENT_KINDS else _choice(value, kinds(), lower=False)
            elif name == "occurred_at":
                cleaned["occurred_at"] = parse_datetime(value, not_after=now + FUTURE_SKEW)
            elif name == "details":
                cleaned["details"] = _event_details(value)
            else:
                raise _Invalid(_("Unknown field."))
        except _Invalid as exc:
            errors.setdefault(name, []).append(str(exc.args[0]))
    for name in ("kind", "occurred_at"):
        if not cleaned.get(name) and name not in errors:
            errors[name] = [_("This field is required.")]
    return cleaned, errors


def _event_details(value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _Invalid(_("Give the details as an object of key → value."))
    try:
        text = json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise _Invalid(_("The details must be plain JSON values.")) from exc
    if len(text) > EVENT_DETAILS_MAX_CHARS:
        raise _Invalid(
            _("The details are too long (at most %(max)d characters of JSON).") % {"max": EVENT_DETAILS_MAX_CHARS}
        )
    if "\\u0000" in text:
        raise _Invalid(_("Remove the invisible NUL character from this value."))
    return dict(value)


@transaction.atomic
def purchase_create(*, customer: Customer, data: Mapping) -> Purchase:
    """Record one purchase; raises ValidationError by field, or for an erased customer."""
    _refuse_erased(customer)
    cleaned, errors = purchase_clean(data, now=timezone.now())
    if errors:
        raise ValidationError(errors)
    _lock_customers([customer.pk])
    purchase = Purchase.objects.create(customer=customer, **cleaned)
    customers_refresh_total_spend(customer_ids=[customer.pk])
    return purchase


def _lock_customers(customer_ids) -> None:
    """Lock the customers' rows (in id order, so two writers cannot deadlock) before their purchases
    change: a concurrent writer then waits, and its recount sees this one's purchase."""
    list(Customer.objects.select_for_update().filter(pk__in=customer_ids).order_by("pk").values_list("pk"))


def customers_refresh_total_spend(*, customer_ids=None) -> int:
    """Recompute the stored total spend from the purchases (of these customers, or of all)."""
    spend = (
        Purchase.objects.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    customers = Customer.objects.all() if customer_ids is None else Customer.objects.filter(pk__in=customer_ids)
    return customers.update(total_spend=Coalesce(Subquery(spend), Value(Decimal("0"))))


def customer_event_create(*, customer: Customer, data: Mapping) -> CustomerEvent:
    """Record one behaviour event; raises ValidationError by field, or for an erased customer."""
    _refuse_erased(customer)
    cleaned, errors = customer_event_clean(data, now=timezone.now())
    if errors:
        raise ValidationError(errors)
    return CustomerEvent.objects.create(customer=customer, **cleaned)


def _customers_by_external_id(rows: list[Mapping], customer: Customer | None) -> dict[str, Customer]:
    if customer is not None:
        return {}
    ids = {
        row.get("customer_external_id")
        for row in rows
        if isinstance(row, Mapping) and isinstance(row.get("customer_external_id"), str)
    }
    return {c.external_id: c for c in Customer.objects.filter(external_id__in=ids)}


def _create_many(model, rows: Iterable[Mapping], customer: Customer | None, clean) -> list:
    """Check every row, then write them all in one INSERT, or none (RowsInvalid).

    All or nothing: purchases and events have no natural key, so a client retrying a
    half-written batch would record the written half twice.
    """
    if customer is not None:
        _refuse_erased(customer)
    rows = list(rows)
    now = timezone.now()
    customers = _customers_by_external_id(rows, customer)
    objects, row_errors = [], []
    for index, data in enumerate(rows):
        if not isinstance(data, Mapping):
            row_errors.append(RowError(index, "", {NON_FIELD_ERRORS: [_not_an_object()]}))
            continue
        data = dict(data)
        owner, external_id = customer, None
        errors: dict[str, list[str]] = {}
        if customer is None:
            external_id = data.pop("customer_external_id", None)
            owner = customers.get(external_id) if isinstance(external_id, str) else None
            if owner is None:
                errors["customer_external_id"] = [_("There is no customer with this external id.")]
            elif owner.erased_at is not None:
                errors["customer_external_id"] = [
                    _("This customer's personal data was erased: nothing can be added to it.")
                ]
        cleaned, field_errors = clean(data, now=now)
        errors.update(field_errors)
        if errors:
            row_errors.append(RowError(index, owner.external_id if owner else str(external_id or ""), errors))
        else:
            objects.append(model(customer=owner, **cleaned))
    if row_errors:
        raise RowsInvalid(row_errors)
    customer_ids = {o.customer_id for o in objects}
    if model is not Purchase:
        created = model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        customers_changed.send(sender=model, customer_ids=customer_ids)
        return created
    with transaction.atomic():
        _lock_customers(customer_ids)
        created = model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        customers_refresh_total_spend(customer_ids=customer_ids)
        customers_changed.send(sender=model, customer_ids=customer_ids)
    return created


def purchases_create_many(*, rows: Iterable[Mapping], customer: Customer | None = None) -> list[Purchase]:
    """Record many purchases, all or none (RowsInvalid, by 0-based index).

    For one customer, or, with `customer` None, each row names its own in `customer_external_id`
    (one query resolves them all).
    """
    return _create_many(Purchase, rows, customer, purchase_clean)


def customer_events_create_many(*, rows: Iterable[Mapping], customer: Customer | None = None) -> list[CustomerEvent]:
    """Record many behaviour events, all or none; like purchases_create_many."""
    kinds = cache(event_kinds)  # read at most once for the batch
    return _create_many(
        CustomerEvent, rows, customer, lambda data, *, now: customer_event_clean(data, now=now, kinds=kinds)
    )


# --- Email addresses a mail server refused for good ----------------------------------------------


def is_address_refused(exc: Exception) -> bool:
    """Whether `exc` says the recipient's address itself was refused for good (a 5xx reply to RCPT)."""
    return (
        isinstance(exc, smtplib.SMTPRecipientsRefused)
        and bool(exc.recipients)
        and all(500 <= code < 600 for code, _message in exc.recipients.values())
    )


def customer_record_email_failure(*, customer: Customer, exc: Exception, now: datetime | None = None) -> bool:
    """Record that the mail server refused the customer's address for good; False for any other error.

    The consent gate then sends no survey or close-the-loop email to that address; a new
    address (admin, import, API) lifts it, since the address that failed is kept with the date.
    """
    if not is_address_refused(exc) or not customer.email:
        return False
    now = now or timezone.now()
    reason = f"{type(exc).__name__}: {exc}"[:300]
    # Only while it is still their address: a correction made meanwhile wins.
    Customer.objects.filter(pk=customer.pk, email=customer.email).update(
        email_failed_at=now, email_failed_address=customer.email, email_failure_reason=reason
    )
    customer.email_failed_at, customer.email_failed_address, customer.email_failure_reason = (
        now,
        customer.email,
        reason,
    )
    return True
