"""CSV exports of the dashboard's responses and follow-up cases, for spreadsheets.

Each export is a generator of CSV text lines over one query, read in chunks as flat tuples
(`values_list` + `iterator`), so memory stays flat however many rows the filters select.
The first line starts with a UTF-8 byte order mark: without it, Excel reads UTF-8 as the
local code page and mangles accents. Values are stable codes (`detractor`, `public_form`,
`resolved`) so a sheet can be filtered or re-imported; the header row is in the reader's
language. Times are ISO 8601 in the site's time zone, with the offset.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import connections, transaction
from django.db.models import F, Func, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from followups.selectors import tickets_of_responses
from reporting.followup_metrics import with_deadline_verdict
from surveys import scoring
from surveys.filters import ResponseFilter

BOM = "\ufeff"
CHUNK_SIZE = 5000

# A spreadsheet runs a cell starting with one of these as a formula ("=HYPERLINK(...)",
# "+cmd|..."): CSV/formula injection. Text a customer wrote (comments, names, emails) is
# prefixed with an apostrophe, which spreadsheets show as plain text; a program reading
# the file back sees the apostrophe and should strip it from these columns.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_SEGMENTS = {score: scoring.segment_for(score).value for score in range(scoring.SCORE_MIN, scoring.SCORE_MAX + 1)}


class Echo:
    """A pseudo-file whose `write` hands back the line, so `csv.writer` formats without storing."""

    def write(self, value: str) -> str:
        return value


def escape_formula(text: str) -> str:
    """Text a customer wrote, made safe to open in a spreadsheet (see FORMULA_PREFIXES)."""
    if text and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _local_iso(moment: datetime | str | None, tz) -> str:
    if moment is None:
        return ""
    if isinstance(moment, str):  # already formatted by PostgreSQL (see _in_database)
        return moment
    return moment.astimezone(tz).isoformat(timespec="seconds")


# PostgreSQL formats identifiers and times as text faster than psycopg2 can build Python
# UUID and datetime objects from them and Python can format those back into text: on a
# million rows that is most of the export's time. `TZH:TZM` prints the offset as isoformat does.
_ISO_TEXT = "to_char(%(expressions)s, 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM')"


def _as_text_in_postgres(rows: QuerySet, *, uuids: Iterable[str], times: Iterable[str]) -> QuerySet:
    """Replace UUID and time columns by their text in PostgreSQL; elsewhere leave them to Python."""
    if connections[rows.db].vendor != "postgresql":
        return rows
    text = {f"{name}_text": Cast(name, TextField()) for name in uuids}
    text.update({f"{name}_text": Func(F(name), template=_ISO_TEXT, output_field=TextField()) for name in times})
    return rows.annotate(**text)


@contextmanager
def _reading(using: str) -> Iterator[None]:
    """One transaction around the streamed read, in the site's time zone.

    Inside a transaction the server-side cursor is a plain one; outside, Django declares it
    WITH HOLD and PostgreSQL first copies the whole result aside. SET LOCAL ends with it.
    """
    with transaction.atomic(using=using):
        connection = connections[using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL TIME ZONE %s", [timezone.get_current_timezone_name()])
        yield


def _columns(rows: QuerySet, names: Iterable[str]) -> list[str]:
    """The names to read: the `_text` annotation where PostgreSQL made one."""
    annotated = set(rows.query.annotations)
    return [f"{name}_text" if f"{name}_text" in annotated else name for name in names]


def _full_name(first: str | None, last: str | None) -> str:
    return f"{first or ''} {last or ''}".strip()


def _lines(header: Iterable, rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield BOM + writer.writerow([str(label) for label in header])
    for row in rows:
        yield writer.writerow(row)


def response_columns() -> list[str]:
    return [
        _("Response id"),
        _("Submitted at"),
        _("Survey"),
        _("Channel"),
        _("Score"),
        _("Segment"),
        _("Comment"),
        _("Language"),
        _("Customer external id"),
        _("Customer name"),
        _("Customer email"),
        _("Age band"),
        _("Gender"),
        _("Region"),
        _("Plan"),
        _("Criteria"),
        _("Satisfaction (1–5)"),
        _("Location"),
    ]


# Several criteria chosen share one cell, in the survey's order of options.
CRITERIA_SEPARATOR = "; "


def response_rows(filters: ResponseFilter) -> Iterator[tuple]:
    """One tuple per response, oldest first; identity left empty for anonymous surveys."""
    tz = timezone.get_current_timezone()
    rows = _as_text_in_postgres(
        filters.responses().order_by("submitted_at", "id"), uuids=["public_id"], times=["submitted_at"]
    )
    rows = rows.values_list(
        *_columns(rows, ["public_id", "submitted_at"]),
        "survey__name",
        "survey__is_anonymous",
        "channel",
        "score",
        "comment",
        "language",
        "customer_id",
        "customer__external_id",
        "customer__first_name",
        "customer__last_name",
        "customer__email",
        "customer__age_band",
        "customer__gender",
        "customer__region",
        "customer__plan",
        "criteria",
        "csat",
        "location",
    )
    with _reading(rows.db):
        for (
            public_id,
            submitted_at,
            survey,
            is_anonymous,
            channel,
            score,
            comment,
            language,
            customer_id,
            external_id,
            first_name,
            last_name,
            email,
            age_band,
            gender,
            region,
            plan,
            criteria,
            csat,
            location,
        ) in rows.iterator(chunk_size=CHUNK_SIZE):
            identified = customer_id is not None and not is_anonymous
            yield (
                public_id,
                _local_iso(submitted_at, tz),
                survey,
                channel,
                score,
                _SEGMENTS[score],
                escape_formula(comment),
                language,
                escape_formula(external_id) if identified else "",
                escape_formula(_full_name(first_name, last_name)) if identified else "",
                escape_formula(email) if identified else "",
                age_band or "",
                gender or "",
                escape_formula(region or ""),
                plan or "",
                escape_formula(CRITERIA_SEPARATOR.join(criteria or [])),
                "" if csat is None else csat,
                escape_formula(location),
            )


def export_responses(filters: ResponseFilter) -> Iterator[str]:
    """The responses `filters` select, as CSV lines (the first one with the BOM).

    On PostgreSQL the database writes the lines (surveys/export_sql.py), in chunks; the
    bytes are the same as response_rows through the csv module.
    """
    responses = filters.responses()
    if connections[responses.db].vendor != "postgresql":
        return _lines(response_columns(), response_rows(filters))
    return _lines_from_postgres(responses)


def _lines_from_postgres(responses: QuerySet) -> Iterator[str]:
    from reporting.export_sql import response_lines

    yield next(_lines(response_columns(), []))
    with _reading(responses.db):
        yield from response_lines(responses, chunk_size=CHUNK_SIZE)


def case_columns() -> list[str]:
    return [
        _("Case reference"),
        _("Case id"),
        _("Opened at"),
        _("Status"),
        _("Priority"),
        _("Outcome"),
        _("Survey"),
        _("Score"),
        _("Comment"),
        _("Customer external id"),
        _("Customer name"),
        _("Customer email"),
        _("Assignee"),
        _("Team"),
        _("First contact due at"),
        _("First contacted at"),
        _("Met deadline"),
        _("Minutes to first contact"),
        _("Resolved at"),
    ]


def cases(filters: ResponseFilter):
    """The follow-up cases of the responses `filters` select: one query, with a subquery."""
    return tickets_of_responses(filters.case_responses())


def case_rows(filters: ResponseFilter) -> Iterator[tuple]:
    """One tuple per case, in the order they were opened."""
    tz = timezone.get_current_timezone()
    times = ["opened_at", "first_contact_due_at", "first_contacted_at", "resolved_at"]
    # The same verdict as the dashboard's "% within deadline": yes, no (missed), or blank (not due yet).
    verdicts = with_deadline_verdict(cases(filters).order_by("opened_at", "id"), timezone.now())
    rows = _as_text_in_postgres(verdicts, uuids=["public_id"], times=times)
    rows = rows.values_list(
        *_columns(rows, ["public_id", *times]),
        "status",
        "priority",
        "outcome",
        "survey__name",
        "survey__is_anonymous",
        "response__score",
        "response__comment",
        "customer_id",
        "customer__external_id",
        "customer__first_name",
        "customer__last_name",
        "customer__email",
        "assignee__username",
        "assignee__first_name",
        "assignee__last_name",
        "team__name",
        "deadline_counted",
        "deadline_met",
        "minutes_to_first_contact",
    )
    with _reading(rows.db):
        for (
            public_id,
            opened_at,
            due_at,
            contacted_at,
            resolved_at,
            status,
            priority,
            outcome,
            survey,
            is_anonymous,
            score,
            comment,
            customer_id,
            external_id,
            first_name,
            last_name,
            email,
            assignee,
            assignee_first_name,
            assignee_last_name,
            team,
            deadline_counted,
            deadline_met,
            minutes,
        ) in rows.iterator(chunk_size=CHUNK_SIZE):
            identified = customer_id is not None and not is_anonymous
            yield (
                str(public_id)[:8].upper(),  # Ticket.reference
                public_id,
                _local_iso(opened_at, tz),
                status,
                priority,
                outcome,
                survey,
                score,
                escape_formula(comment),
                escape_formula(external_id) if identified else "",
                escape_formula(_full_name(first_name, last_name)) if identified else "",
                escape_formula(email) if identified else "",
                escape_formula(_full_name(assignee_first_name or "", assignee_last_name or "") or assignee or ""),
                team or "",
                _local_iso(due_at, tz),
                _local_iso(contacted_at, tz),
                # Frozen when the first contact was made, against the deadline then in force; a case
                # past its deadline uncontacted, or resolved without a contact, is a "no".
                ("yes" if deadline_met else "no") if deadline_counted else "",
                "" if minutes is None else minutes,
                _local_iso(resolved_at, tz),
            )


def export_cases(filters: ResponseFilter) -> Iterator[str]:
    """The follow-up cases of the responses `filters` select, as CSV lines (BOM first)."""
    return _lines(case_columns(), case_rows(filters))
