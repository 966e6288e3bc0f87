"""Customer import from a CSV file: the file, its header and its line numbers.

The file: UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8"), comma- or
semicolon-separated (the header decides), one customer per line, the header on line 1.
Its columns, in any order, all optional but `external_id`:

    external_id, email, first_name, last_name, phone, language, customer_since,
    newsletter_subscribed, birth_year, age_band, gender, city, region, area, plan,
    account_owner, and attr:<key> for each custom attribute declared in the admin.

Dates are YYYY-MM-DD, booleans yes/no (or true/false, 1/0), account_owner a staff
username. An absent column leaves that field as it is; an empty cell empties it.

What is wrong with the file as a whole (not UTF-8, unknown columns, no external_id column,
no rows) raises ImportFileError and writes nothing. What is wrong with a row is reported with
its line number, and the other rows are imported (crm.services.customers.customers_upsert_numbered).
The file is read as it goes, in batches: a 100,000-line file is never held whole in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import BinaryIO

from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.choices import AttributeType
from crm.services.customers import UpsertReport, customers_upsert_numbered
from crm.services.rows import ATTRIBUTE_PREFIX, CUSTOM_ATTRIBUTES, CUSTOMER_FIELDS, RefusedRow, customer_rules_load

DELIMITERS = (",", ";")
# One example customer for the template (its values pass the checks).
EXAMPLE = {
    "external_id": "C0001",
    "email": "jeanne.martin@example.com",
    "first_name": "Jeanne",
    "last_name": "Martin",
    "phone": "+33 6 12 34 56 78",
    "language": "fr",
    "customer_since": "2021-03-15",
    "newsletter_subscribed": "yes",
    "birth_year": "1980",
    "age_band": "35-49",
    "gender": "female",
    "city": "Rennes",
    "region": "Bretagne",
    "area": "urban",
    "plan": "standard",
    "account_owner": "",
}
EXAMPLE_ATTRIBUTE = {
    AttributeType.TEXT: "example",
    AttributeType.NUMBER: "3",
    AttributeType.DATE: "2024-01-31",
}


class ImportFileError(Exception):
    """The file cannot be imported at all; `messages` say why. Nothing was written."""

    def __init__(self, messages: Sequence[str]):
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))


@dataclass(frozen=True)
class Header:
    """The file's columns: each a customer field name or attr:<key>, in the file's order."""

    columns: tuple[str, ...]
    delimiter: str


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error as exc:
        raise ImportFileError(
            [_("Line %(line)d cannot be read as CSV: %(error)s.") % {"line": 1, "error": exc}]
        ) from exc


def _column_name(cell: str) -> str:
    name = cell.strip()
    if name.lower().startswith(ATTRIBUTE_PREFIX):
        # Attribute keys are slugs: keep their case, normalise the prefix.
        return ATTRIBUTE_PREFIX + name[len(ATTRIBUTE_PREFIX) :].strip()
    return name.lower()


def read_header(line: str, attribute_keys: Iterable[str]) -> Header:
    """The header line, checked: raises ImportFileError listing everything wrong with it."""
    if not line.strip():
        raise ImportFileError([_("The file is empty: its first line must name the columns.")])
    attribute_keys = set(attribute_keys)
    # A spreadsheet set to French writes semicolons: the delimiter that finds external_id wins.
    candidates = [(d, [_column_name(cell) for cell in _split(line, d)]) for d in DELIMITERS]
    delimiter, columns = max(candidates, key=lambda c: ("external_id" in c[1], len(c[1])))
    known = set(CUSTOMER_FIELDS)
    problems = []
    unnamed = [str(i) for i, name in enumerate(columns, start=1) if not name]
    if unnamed:
        problems.append(
            ngettext("Column %(columns)s has no name.", "Columns %(columns)s have no name.", len(unnamed))
            % {"columns": ", ".join(unnamed)}
        )
    if "external_id" not in columns:
        problems.append(_("The file has no external_id column: it is how customers are matched."))
    unknown = [n for n in columns if n and n not in known and not n.startswith(ATTRIBUTE_PREFIX)]
    if unknown:
        problems.append(
            _("Unknown columns: %(unknown)s. The columns are: %(known)s, and attr:<key> for custom attributes.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(CUSTOMER_FIELDS)}
        )
    undeclared = [
        n for n in columns if n.startswith(ATTRIBUTE_PREFIX) and n[len(ATTRIBUTE_PREFIX) :] not in attribute_keys
    ]
    if undeclared:
        problems.append(
            _("Unknown custom attributes: %(columns)s. Declare them in the admin first, or remove the columns.")
            % {"columns": ", ".join(undeclared)}
        )
    repeated = sorted({n for n in columns if n and columns.count(n) > 1})
    if repeated:
        problems.append(_("Columns named more than once: %(columns)s.") % {"columns": ", ".join(repeated)})
    if problems:
        raise ImportFileError(problems)
    return Header(columns=tuple(columns), delimiter=delimiter)


def row_data(columns: Sequence[str], cells: Sequence[str]) -> dict:
    """One line's cells as the data customers_upsert takes (custom attributes under their key)."""
    return _row_reader(columns)(cells)


def _row_reader(columns: Sequence[str]):
    """row_data for one header, with the columns sorted out once rather than on every line."""
    fields = [(i, name) for i, name in enumerate(columns) if not name.startswith(ATTRIBUTE_PREFIX)]
    keys = [(i, name[len(ATTRIBUTE_PREFIX) :]) for i, name in enumerate(columns) if name.startswith(ATTRIBUTE_PREFIX)]

    def read(cells: Sequence[str]) -> dict:
        data = {name: cells[i] for i, name in fields}
        if keys:
            data[CUSTOM_ATTRIBUTES] = {key: cells[i] for i, key in keys}
        return data

    return read


def _wrong_width(columns: Sequence[str], cells: Sequence[str]) -> RefusedRow:
    """A row with more or fewer cells than the header: which value is which is a guess, so it is refused."""
    message = ngettext(
        "This line has %(cells)d value but the header has %(columns)d columns.",
        "This line has %(cells)d values but the header has %(columns)d columns.",
        len(cells),
    ) % {"cells": len(cells), "columns": len(columns)}
    index = columns.index("external_id")
    external_id = cells[index].strip() if index < len(cells) else ""
    return RefusedRow(external_id, {NON_FIELD_ERRORS: [message]})


def iter_rows(
    text: Iterable[str], attribute_keys: Iterable[str]
) -> tuple[Header, Iterator[tuple[int, dict | RefusedRow]]]:
    """The header, and (line number, data) for each non-blank line after it. The header is line 1.

    A line's number is where its record starts (a quoted value may span lines).
    """
    lines = iter(text)
    first = next(lines, "")
    header = read_header(first, attribute_keys)
    reader = csv.reader(chain([first], lines), delimiter=header.delimiter)

    def rows() -> Iterator[tuple[int, dict | RefusedRow]]:
        columns = header.columns
        width = len(columns)
        read = _row_reader(columns)
        last_line = 0
        try:
            for number, cells in enumerate(reader):
                start, last_line = last_line + 1, reader.line_num
                if number == 0 or not any(map(str.strip, cells)):
                    continue
                yield start, (read(cells) if len(cells) == width else _wrong_width(columns, cells))
        except csv.Error as exc:
            raise ImportFileError(
                [_("Line %(line)d cannot be read as CSV: %(error)s.") % {"line": last_line + 1, "error": exc}]
            ) from exc

    return header, rows()


def _not_utf8(line: int) -> ImportFileError:
    return ImportFileError(
        [
            _("The file is not UTF-8 text (first problem on line %(line)d). In a spreadsheet, save it as “CSV UTF-8”.")
            % {"line": line}
        ]
    )


def import_customers_csv(
    file: BinaryIO, *, actor=None, dry_run: bool = False, source: str = "command", filename: str = ""
) -> UpsertReport:
    """Import the customers of a CSV file (opened in binary); returns the report.

    Raises ImportFileError, with nothing written, when the file as a whole is wrong. With
    dry_run, everything is checked and counted as for real, then rolled back.
    """
    rules = customer_rules_load()
    _header, rows = iter_rows(_decoded_lines(file), rules.attributes)
    with transaction.atomic():
        report = customers_upsert_numbered(rows=rows, actor=actor, source=source, filename=filename, rules=rules)
        if not report.rows:
            raise ImportFileError([_("The file has a header but no customer rows.")])
        if dry_run:
            transaction.set_rollback(True)
    return report


def _decoded_lines(file: BinaryIO) -> Iterator[str]:
    """The file's lines as text. Decoded line by line, so that a byte that is not UTF-8 is
    reported on its own line (a decoder reading ahead by blocks could not say which)."""
    for number, raw in enumerate(file, start=1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise _not_utf8(number) from exc


def report_lines(report: UpsertReport) -> Iterator[str]:
    """The report's errors as text, one message a line: "line 17 (C0042): email: Enter a valid email address."."""
    for row in report.errors:
        where = _("line %(line)d") % {"line": row.position}
        if row.external_id:
            where = f"{where} ({row.external_id})"
        for name, messages in row.errors.items():
            for message in messages:
                yield f"{where}: {message}" if name == NON_FIELD_ERRORS else f"{where}: {name}: {message}"


def template_csv(attributes: Iterable[tuple[str, str, Sequence[str]]] = ()) -> str:
    """A CSV with every column and one example customer; attributes as (key, type, choices)."""
    header = list(CUSTOMER_FIELDS)
    example = [EXAMPLE[name] for name in CUSTOMER_FIELDS]
    for key, kind, choices in attributes:
        header.append(f"{ATTRIBUTE_PREFIX}{key}")
        example.append(choices[0] if kind == AttributeType.CHOICE and choices else EXAMPLE_ATTRIBUTE.get(kind, ""))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerow(example)
    return out.getvalue()
