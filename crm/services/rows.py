"""One row of customer, purchase or behaviour-event data, checked against its rules.

The checks are explicit functions over plain values (no ORM), fed with a `CustomerRules`
built once per import (customer_rules_load: two queries): a 100,000-row import cannot afford
a Django form per row. Refused rows are reported as RowError (by line or index).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.choices import AgeBand, Area, AttributeType, EventKind, Gender, Plan
from crm.models import CustomAttribute
from crm.services.parsing import (
    InvalidValue,
    clean_choice,
    clean_email,
    clean_text,
    parse_amount,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_number,
    parse_year,
)
from npsapp import roles

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
CURRENCY = re.compile(r"^[A-Z]{3}$")
# Cleaned keys that are not the model field's name.
FIELD_NAMES = {"account_owner_id": "account_owner"}


class RowError(NamedTuple):
    """One refused row: its line in the file (or index in the list), its external id, and why."""

    position: int
    external_id: str
    errors: dict[str, list[str]]


class RefusedRow(NamedTuple):
    """A row its reader already refused (a CSV line of the wrong width): reported as it is."""

    external_id: str
    errors: dict[str, list[str]]


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
    return clean_choice(value, AGE_BANDS)


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
            **{name: partial(clean_text, max_length=limit) for name, limit in TEXT_LIMITS.items()},
            "email": clean_email,
            "language": partial(clean_choice, allowed=self.languages),
            "customer_since": partial(parse_date, not_after=self.today),
            "newsletter_subscribed": parse_bool,
            "birth_year": partial(parse_year, latest=self.today.year),
            "age_band": _age_band,
            "gender": partial(clean_choice, allowed=GENDERS),
            "area": partial(clean_choice, allowed=AREAS),
            "plan": partial(clean_choice, allowed=PLANS),
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
        text = clean_text(value, TEXT_ATTRIBUTE_MAX_LENGTH)
        if text not in choices:
            raise InvalidValue(_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)})
        return text
    return clean_text(value, TEXT_ATTRIBUTE_MAX_LENGTH)


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
                username = clean_text(value, 150)
                if username and rules.owners.get(username) is None:
                    raise InvalidValue(
                        _("There is no active staff user with the username “%(username)s”.") % {"username": username}
                    )
                cleaned["account_owner_id"] = rules.owners[username] if username else None
            elif name == CUSTOM_ATTRIBUTES:
                cleaned[CUSTOM_ATTRIBUTES] = _custom_attributes(value, rules, errors)
            else:
                raise InvalidValue(_("Unknown field."))
        except InvalidValue as exc:
            errors.setdefault(name, []).append(str(exc.args[0]))
    if "external_id" not in errors and not cleaned.get("external_id"):
        errors["external_id"] = [_("This field is required.")]
    return cleaned, errors


def _custom_attributes(value, rules: CustomerRules, errors: dict) -> dict:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidValue(_("Give the custom attributes as an object of key → value."))
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
        except InvalidValue as exc:
            errors.setdefault(name, []).append(str(exc.args[0]))
    return values


def customer_rules_load(*, usernames: Iterable[str] = ()) -> CustomerRules:
    """Rules with the declared attributes and the given owners' ids: two queries."""
    attributes = {
        key: (kind, tuple(line.strip() for line in choices.splitlines() if line.strip()))
        for key, kind, choices in CustomAttribute.objects.values_list("key", "type", "choices")
    }
    rules = CustomerRules(today=timezone.localdate(), attributes=attributes)
    owners_load(rules, usernames)
    return rules


def owners_load(rules: CustomerRules, usernames: Iterable[str]) -> None:
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


def row_usernames(rows: Iterable[Mapping]) -> set[str]:
    names = set()
    for data in rows:
        value = data.get("account_owner") if isinstance(data, Mapping) else None
        if isinstance(value, str) and value.strip():
            names.add(value.strip())
    return names


def not_an_object_message() -> str:
    return _("Give each item as an object of field → value.")


def purchase_clean(data: Mapping, *, now: datetime) -> tuple[dict, dict[str, list[str]]]:
    """Check one purchase: purchased_at (aware, not in the future), amount (> 0, 2 decimals), currency (EUR…)."""
    cleaned: dict = {"currency": "EUR"}
    errors: dict[str, list[str]] = {}
    checks = {
        "purchased_at": lambda v: parse_datetime(v, not_after=now + FUTURE_SKEW),
        "amount": parse_amount,
        "currency": _currency,
        "product_category": lambda v: clean_text(v, 100),
        "channel": lambda v: clean_text(v, 30),
    }
    for name, value in data.items():
        try:
            if name not in checks:
                raise InvalidValue(_("Unknown field."))
            cleaned[name] = checks[name](value)
        except InvalidValue as exc:
            errors.setdefault(name, []).append(str(exc.args[0]))
    for name in ("purchased_at", "amount"):
        if name not in data:
            errors[name] = [_("This field is required.")]
    return cleaned, errors


def _currency(value) -> str:
    text = value.strip().upper() if isinstance(value, str) else value
    if not isinstance(text, str) or not CURRENCY.match(text):
        raise InvalidValue(_("Enter a currency as its 3-letter code, such as EUR."))
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
                cleaned["kind"] = value if value in EVENT_KINDS else clean_choice(value, kinds(), lower=False)
            elif name == "occurred_at":
                cleaned["occurred_at"] = parse_datetime(value, not_after=now + FUTURE_SKEW)
            elif name == "details":
                cleaned["details"] = _event_details(value)
            else:
                raise InvalidValue(_("Unknown field."))
        except InvalidValue as exc:
            errors.setdefault(name, []).append(str(exc.args[0]))
    for name in ("kind", "occurred_at"):
        if not cleaned.get(name) and name not in errors:
            errors[name] = [_("This field is required.")]
    return cleaned, errors


def _event_details(value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidValue(_("Give the details as an object of key → value."))
    try:
        text = json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise InvalidValue(_("The details must be plain JSON values.")) from exc
    if len(text) > EVENT_DETAILS_MAX_CHARS:
        raise InvalidValue(
            _("The details are too long (at most %(max)d characters of JSON).") % {"max": EVENT_DETAILS_MAX_CHARS}
        )
    if "\\u0000" in text:
        raise InvalidValue(_("Remove the invisible NUL character from this value."))
    return dict(value)
