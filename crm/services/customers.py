"""Customers upserted by external id: one, or many in batches, with a report of the refused rows.

The REST API, the CSV import (crm/importer.py) and its upload page all come through here.

Customers are upserted by `external_id` (the id in the system they come from). A key left
out of the data leaves that field as it is; a key given as blank ("" or None) clears it. So a
CSV column that is absent changes nothing, and an empty cell empties the field. Custom
attributes merge the same way: a key given blank is removed, keys not given are kept.

The rows are checked by crm.services.rows and written by crm.services.writes; this module
holds the upserts themselves and the refusal of erased customers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from crm.models import Customer, ErasedExternalId
from crm.segments import segments_changed
from crm.services.rows import (
    CUSTOM_ATTRIBUTES,
    CUSTOMER_FIELDS,
    FIELD_NAMES,
    CustomerRules,
    RefusedRow,
    RowError,
    customer_clean,
    customer_rules_load,
    not_an_object_message,
    owners_load,
    row_usernames,
)
from crm.services.writes import customers_write
from crm.signals import customers_imported

BATCH_SIZE = 2000
ERASED_DIGEST_SALT = "crm.erased-external-id"


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


def external_id_digest(external_id: str) -> str:
    """What an erasure keeps of the erased customer's external id, so an import can refuse it.

    A keyed hash (SECRET_KEY): the id cannot be read back from it, even a sequential one.
    """
    return salted_hmac(ERASED_DIGEST_SALT, external_id).hexdigest()


def erased_external_id_record(*, external_id: str, now) -> str:
    """Keep the digest of an erased customer's external id, so that imports refuse it; returns the digest."""
    digest = external_id_digest(external_id)
    ErasedExternalId.objects.get_or_create(digest=digest, defaults={"erased_at": now})
    return digest


def _erased_digests() -> set[str]:
    return set(ErasedExternalId.objects.values_list("digest", flat=True))


def _erased_before(external_id: str, rules: CustomerRules) -> bool:
    """Whether a new external id is that of an erased customer (read once, when a new id first shows up)."""
    if rules.erased_digests is None:
        rules.erased_digests = _erased_digests()
    return bool(rules.erased_digests) and external_id_digest(external_id) in rules.erased_digests


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
    rules = customer_rules_load(usernames=row_usernames([data]))
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
    customers_imported signal tells who imported what counts (the privacy log records it).
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
    customers_imported.send(sender=Customer, actor=actor, details=details)
    segments_changed()  # bulk writes send no signal: the filter choices are read again
    return report


def _duplicate_message(first: int, unit: str) -> str:
    if unit == "line":
        return _("This external id is already on line %(line)d: a customer may appear only once per file.") % {
            "line": first
        }
    return _("This external id is already in row %(index)d: a customer may appear only once.") % {"index": first}


def _upsert_batch(batch, *, rules: CustomerRules, seen: dict, report: UpsertReport, unit: str):
    owners_load(rules, row_usernames(data for _position, data in batch if not isinstance(data, RefusedRow)))
    valid: list[tuple[int, dict]] = []
    for position, data in batch:
        if isinstance(data, RefusedRow):
            report.errors.append(RowError(position, data.external_id, data.errors))
            continue
        if not isinstance(data, Mapping):
            report.errors.append(RowError(position, "", {NON_FIELD_ERRORS: [not_an_object_message()]}))
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
        customers_write(given, rows, batch_size=BATCH_SIZE)
    if failed:
        # Errors found after the check (erased customers) come after the batch's others: keep file order.
        report.errors.sort(key=lambda row: row.position)
