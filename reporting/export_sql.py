"""The responses CSV written by PostgreSQL itself, line by line.

On a million rows, building a Python tuple of 17 values per row and formatting it with the
csv module costs more than the query. On PostgreSQL the export asks instead for one text
column per row, the finished CSV line, built by the same rules as `surveys/exports.py`:
the formula escape (FORMULA_PREFIXES), identity left empty for anonymous answers, and the
csv module's minimal quoting (a field holding a comma, a double quote, CR or LF is quoted,
its quotes doubled; lines end with CRLF). `tests/surveys/test_export_sql.py` checks the two
give the same bytes on awkward data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, QuerySet

from reporting.exports import CRITERIA_SEPARATOR, FORMULA_PREFIXES

# Each response's values, named for the outer query.
COLUMNS = {
    "public_id": "public_id",
    "submitted_at": "submitted_at",
    "survey": "survey__name",
    "anonymous": "survey__is_anonymous",
    "channel": "channel",
    "score": "score",
    "comment": "comment",
    "language": "language",
    "customer_id": "customer_id",
    "external_id": "customer__external_id",
    "first_name": "customer__first_name",
    "last_name": "customer__last_name",
    "email": "customer__email",
    "age_band": "customer__age_band",
    "gender": "customer__gender",
    "region": "customer__region",
    "plan": "customer__plan",
    "criteria": "criteria",
    "csat": "csat",
    "location": "location",
}
# str.strip()'s ASCII whitespace, for the full name.
_WHITESPACE = "E' \\t\\n\\r\\x0b\\x0c'"
_PREFIXES = ", ".join("E'" + prefix.replace("\t", "\\t").replace("\r", "\\r") + "'" for prefix in FORMULA_PREFIXES)


def _escaped(expression: str) -> str:
    """A customer's text made safe to open in a spreadsheet: the apostrophe rule of escape_formula."""
    return f"(CASE WHEN left({expression}, 1) IN ({_PREFIXES}) THEN '''' || {expression} ELSE {expression} END)"


def _quoted(column: str) -> str:
    """csv.QUOTE_MINIMAL: quote a field holding the delimiter, the quote character, CR or LF."""
    return (
        f"(CASE WHEN {column} ~ '[\",\\r\\n]' THEN '\"' || replace({column}, '\"', '\"\"') || '\"' ELSE {column} END)"
    )


_HIDDEN = "t.x_customer_id IS NULL OR t.x_anonymous"  # no identity: anonymous survey or no customer
_FULL_NAME = f"btrim(coalesce(t.x_first_name, '') || ' ' || coalesce(t.x_last_name, ''), {_WHITESPACE})"
# The criteria chosen, one cell: the JSON list's strings joined as exports.response_rows joins them.
_CRITERIA = (
    "array_to_string(ARRAY(SELECT jsonb_array_elements_text(coalesce(t.x_criteria, '[]'::jsonb))), "
    f"'{CRITERIA_SEPARATOR}')"
)
# Step 1, per row: each field's text, escaped and blanked as the Python export does.
_FIELDS_SQL = f"""
    t.x_public_id::text AS public_id,
    to_char(t.x_submitted_at, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM') AS submitted_at,
    coalesce(t.x_survey, '') AS survey,
    t.x_channel AS channel,
    t.x_score::text AS score,
    CASE WHEN t.x_score >= 9 THEN 'promoter' WHEN t.x_score >= 7 THEN 'passive' ELSE 'detractor' END AS segment,
    {_escaped("t.x_comment")} AS comment,
    t.x_language AS language,
    CASE WHEN {_HIDDEN} THEN '' ELSE {_escaped("t.x_external_id")} END AS external_id,
    CASE WHEN {_HIDDEN} THEN '' ELSE {_escaped(_FULL_NAME)} END AS full_name,
    CASE WHEN {_HIDDEN} THEN '' ELSE {_escaped("t.x_email")} END AS email,
    coalesce(t.x_age_band, '') AS age_band,
    coalesce(t.x_gender, '') AS gender,
    {_escaped("coalesce(t.x_region, '')")} AS region,
    coalesce(t.x_plan, '') AS plan,
    {_escaped(_CRITERIA)} AS criteria,
    coalesce(t.x_csat::text, '') AS csat,
    {_escaped("t.x_location")} AS location
"""
# Step 2: quote where needed and join. Codes (ids, times, channels, scores, bands) never need it.
_LINE_SQL = (
    " || ',' || ".join(
        [
            "f.public_id",
            "f.submitted_at",
            _quoted("f.survey"),
            "f.channel",
            "f.score",
            "f.segment",
            _quoted("f.comment"),
            "f.language",
            _quoted("f.external_id"),
            _quoted("f.full_name"),
            _quoted("f.email"),
            "f.age_band",
            "f.gender",
            _quoted("f.region"),
            "f.plan",
            _quoted("f.criteria"),
            "f.csat",
            _quoted("f.location"),
        ]
    )
    + " || chr(13) || chr(10)"
)


def response_lines(responses: QuerySet, *, chunk_size: int) -> Iterator[str]:
    """The CSV lines of `responses` (oldest first), a chunk of lines at a time; PostgreSQL only.

    Call it inside a transaction with the session time zone set (exports._reading): the
    server-side cursor then streams without a WITH HOLD copy, and times print in local time.
    """
    # Prefixed aliases: a plain `public_id=F("public_id")` would clash with the model's fields.
    inner = responses.order_by().values(x_sort_id=F("id"), **{f"x_{alias}": F(path) for alias, path in COLUMNS.items()})
    try:
        sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # e.g. a filter that cannot match anything
        return
    connection = connections[responses.db]
    if connection.get_autocommit():
        raise RuntimeError("response_lines streams inside a transaction: call it within exports._reading")
    # A named cursor of this transaction: it streams, and lives and ends inside the one transaction,
    # so it also streams through PgBouncer's transaction pooling, where Django's own server-side
    # cursors are turned off (DATABASE_TRANSACTION_POOLING).
    # (Django's own chunked_cursor() makes the same cursor unless they are turned off; _cursor(name)
    # is how it does, and keeps the query logged and its errors wrapped.)
    with connection._cursor(name=f"response_lines_{uuid.uuid4().hex}") as cursor:
        # OFFSET 0 keeps step 1 a subquery computed once per row, instead of being folded into
        # step 2 where each field's expression would be evaluated again for every use.
        cursor.execute(
            f"SELECT {_LINE_SQL} FROM (SELECT {_FIELDS_SQL} FROM ({sql}) t"
            " ORDER BY t.x_submitted_at, t.x_sort_id OFFSET 0) f",
            params,
        )
        while rows := cursor.fetchmany(chunk_size):
            yield "".join(row[0] for row in rows)
