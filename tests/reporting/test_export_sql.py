"""PostgreSQL writes the responses CSV itself: the same bytes as the csv module's, on awkward data."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from reporting import exports
from surveys.filters import ResponseFilter
from tests.factories import CustomerFactory, ResponseFactory, SurveyFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the SQL-built export exists on PostgreSQL only"
)

AWKWARD = [
    "plain words",
    "",
    'a "quoted" word, and a comma',
    "two\nlines",
    "windows\r\nline",
    '=HYPERLINK("http://evil")',
    "+33 6 12 34 56 78",
    "-1 star",
    "@mention",
    "\ttabbed",
    "\rcarriage",
    "émoji 🙂 et accents",
    "  spaces around  ",
    "'already quoted",
]


def _python_export(filters) -> str:
    return "".join(exports._lines(exports.response_columns(), exports.response_rows(filters)))


def test_the_database_writes_the_same_csv_as_python(db):
    named = SurveyFactory(name='Après-vente, "premium"')
    anonymous = SurveyFactory(name="Anonymous", is_anonymous=True)
    for index, text in enumerate(AWKWARD):
        customer = CustomerFactory(
            external_id=f"=X{index}" if index % 3 == 0 else f"C{index},{index}",
            first_name=text[:20] if index % 2 else "Zoé",
            last_name="" if index % 4 == 0 else 'O"Neil',
            email=f"c{index}@example.com",
            region=text[:30],
            age_band="35-49" if index % 2 else "",
        )
        survey = anonymous if index % 5 == 0 else named
        ResponseFactory(
            score=index % 11,
            comment=text,
            survey=survey,
            invitation__survey=survey,
            invitation__customer=customer,
            customer=customer,
            submitted_at=datetime(2025, 3 + index % 6, 1 + index, 23, 30, tzinfo=UTC),  # winter and summer time
            # Criteria options are typed by admins: awkward ones too, one or several chosen, or none.
            criteria=[] if index % 3 == 0 else ([text, "Delivery"] if index % 3 == 1 else [text]),
            csat=None if index % 4 == 0 else 1 + index % 5,
        )
    ResponseFactory(score=6, comment="no customer", customer=None)
    filters = ResponseFilter(start=date(2025, 1, 1), end=date(2025, 12, 31))

    from_postgres = "".join(exports.export_responses(filters))

    assert from_postgres == _python_export(filters)
    assert from_postgres.count("\r\n") > len(AWKWARD)  # not vacuous: every row is there


def test_a_filter_matching_nothing_gives_the_header_only(db):
    ResponseFactory(score=9, submitted_at=datetime(2025, 5, 1, tzinfo=UTC))
    filters = ResponseFilter(start=date(2025, 1, 1), end=date(2025, 12, 31), region="Nowhere")
    lines = list(exports.export_responses(filters))
    assert len(lines) == 1 and lines[0].startswith(exports.BOM)
