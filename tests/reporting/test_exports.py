import csv
import io
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followups import services as followups
from reporting.exports import BOM, escape_formula, export_cases
from surveys.filters import ResponseFilter
from surveys.selectors import nps_summary
from tests.factories import CustomerFactory, ResponseFactory, SurveyFactory

RESPONSES_URL = reverse("reporting:export_responses")
CASES_URL = reverse("reporting:export_cases")
NOW = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _download(client, url, params=None) -> bytes:
    reply = client.get(url, params or {})
    assert reply.status_code == 200, reply.content
    return b"".join(reply.streaming_content)


def _rows(content: bytes) -> list[dict]:
    # A program reading the file back drops the BOM ("utf-8-sig") and the formula guard.
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def _unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def test_file_starts_with_a_bom_and_is_a_named_attachment(client, manager):
    ResponseFactory(score=9)
    client.force_login(manager)
    reply = client.get(RESPONSES_URL, {"start": "2025-03-01", "end": "2025-03-12"})
    assert reply["Content-Type"] == "text/csv; charset=utf-8"
    assert reply["Content-Disposition"] == 'attachment; filename="npsapp-responses-2025-03-01-2025-03-12.csv"'
    content = b"".join(reply.streaming_content)
    assert content.startswith(BOM.encode())
    assert content.count(BOM.encode()) == 1
    assert _rows(content)[0]["Response id"]


def test_round_trip_gives_the_dashboard_counts(client, manager):
    scores = [10, 10, 9, 8, 7, 6, 0, 10, 9, 2, 5]
    for score in scores:
        ResponseFactory(score=score, comment='Slow, "very" slow;\nthen fine')
    ResponseFactory(score=0, submitted_at=NOW - timedelta(days=400))  # outside the period
    client.force_login(manager)
    rows = _rows(_download(client, RESPONSES_URL))
    filters = ResponseFilter(start=date(2024, 4, 1), end=date(2025, 3, 12))
    summary = nps_summary(filters.responses())
    assert len(rows) == summary.n == len(scores)
    segments = Counter(row["Segment"] for row in rows)
    assert segments == {"promoter": summary.promoters, "passive": summary.passives, "detractor": summary.detractors}
    assert sorted(int(row["Score"]) for row in rows) == sorted(scores)
    assert {row["Comment"] for row in rows} == {'Slow, "very" slow;\nthen fine'}


def test_times_are_local_iso_8601(client, manager):
    ResponseFactory(score=9, submitted_at=datetime(2025, 3, 10, 23, 30, tzinfo=UTC))
    client.force_login(manager)
    (row,) = _rows(_download(client, RESPONSES_URL))
    assert row["Submitted at"] == "2025-03-11T00:30:00+01:00"  # Europe/Paris


def test_survey_filter_excludes_other_surveys(client, manager):
    wanted, other = SurveyFactory(name="Wanted"), SurveyFactory(name="Other")
    ResponseFactory(score=10, survey=wanted, invitation__survey=wanted)
    ResponseFactory(score=0, survey=other, invitation__survey=other)
    client.force_login(manager)
    rows = _rows(_download(client, RESPONSES_URL, {"survey": str(wanted.public_id)}))
    assert [row["Survey"] for row in rows] == ["Wanted"]


def test_identity_only_for_identified_responses(client, manager):
    anonymous = SurveyFactory(name="Anonymous", is_anonymous=True)
    customer = CustomerFactory(first_name="Jeanne", last_name="Moreau", email="jeanne@example.com", region="Bretagne")
    ResponseFactory(score=9, invitation__customer=customer)
    # A survey made anonymous after it was answered: the stored customer stays hidden.
    ResponseFactory(score=3, survey=anonymous, invitation__survey=anonymous, invitation__customer=customer)
    ResponseFactory(score=7, customer=None)
    client.force_login(manager)
    rows = {row["Score"]: row for row in _rows(_download(client, RESPONSES_URL))}
    assert rows["9"]["Customer name"] == "Jeanne Moreau"
    assert rows["9"]["Customer email"] == "jeanne@example.com"
    assert rows["9"]["Customer external id"] == customer.external_id
    for score in ("3", "7"):
        assert rows[score]["Customer name"] == rows[score]["Customer email"] == ""
        assert rows[score]["Customer external id"] == ""


def test_customer_text_cannot_run_as_a_formula(client, manager):
    customer = CustomerFactory(first_name="@SUM(A1)", last_name="x")
    ResponseFactory(score=1, comment='=HYPERLINK("http://evil.example","click")', invitation__customer=customer)
    ResponseFactory(score=10, comment="-1 star, still great")
    ResponseFactory(score=9, comment="Great value")
    client.force_login(manager)
    rows = {row["Score"]: row for row in _rows(_download(client, RESPONSES_URL))}
    assert rows["1"]["Comment"] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows["1"]["Customer name"] == "'@SUM(A1) x"
    assert rows["10"]["Comment"] == "'-1 star, still great"
    assert rows["9"]["Comment"] == "Great value"
    assert _unescape(rows["10"]["Comment"]) == "-1 star, still great"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_formula_prefixes_are_escaped(text):
    assert escape_formula(text) == "'" + text
    assert escape_formula("a" + text) == "a" + text


@pytest.mark.parametrize("url", [RESPONSES_URL, CASES_URL])
@pytest.mark.parametrize(
    "params",
    [
        {"start": "2025-03-10", "end": "2025-03-01"},
        {"survey": "not-a-survey"},
        {"survey": "7d1c6f32-0000-4000-8000-000000000000"},
        {"start": "yesterday"},
    ],
)
def test_invalid_filters_are_a_400_with_the_reasons(client, manager, url, params):
    client.force_login(manager)
    reply = client.get(url, params)
    assert reply.status_code == 400
    assert reply["Content-Type"] == "text/plain; charset=utf-8"
    assert reply.content.decode().startswith("These filters are not valid:\n- ")


@pytest.mark.parametrize("url", [RESPONSES_URL, CASES_URL])
def test_only_managers_and_admins_may_export(client, agent, manager, admin_user, url):
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(agent)
    assert client.get(url).status_code == 403
    for user in (manager, admin_user):
        client.force_login(user)
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", [RESPONSES_URL, CASES_URL])
def test_export_is_get_only(client, manager, url):
    client.force_login(manager)
    assert client.post(url).status_code == 405


@pytest.mark.parametrize("url", [RESPONSES_URL, CASES_URL])
def test_query_count_does_not_grow_with_rows(client, manager, url, django_assert_num_queries):
    client.force_login(manager)
    _download(client, url)  # warm the session
    survey = SurveyFactory()
    params = {"survey": str(survey.public_id)}
    for score in (1, 9):
        followups.ticket_open_for_response(response=ResponseFactory(score=score, survey=survey))
    # session, user, roles, regions, categories, custom attributes, the survey filter, the export
    # (in its transaction: a savepoint here, and on PostgreSQL the time zone set for it)
    with CaptureQueriesContext(connection) as first:
        _download(client, url, params)
    assert len([q for q in first if not _transaction_control(q["sql"])]) == 8
    for score in range(11):
        followups.ticket_open_for_response(response=ResponseFactory(score=score, survey=survey))
    with django_assert_num_queries(len(first)):
        _download(client, url, params)


def _transaction_control(sql: str) -> bool:
    return sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "SET LOCAL TIME ZONE"))


def _case_rows(client, params=None) -> dict:
    return {row["Score"]: row for row in _rows(_download(client, CASES_URL, params))}


def test_cases_follow_the_filters_and_measure_the_first_contact(client, manager, agent):
    wanted, other = SurveyFactory(name="Wanted"), SurveyFactory(name="Other")
    submitted = NOW - timedelta(hours=72)
    on_time, late, waiting = (
        followups.ticket_open_for_response(
            response=ResponseFactory(score=score, survey=wanted, invitation__survey=wanted, submitted_at=submitted)
        )
        for score in (1, 4, 6)
    )
    followups.ticket_open_for_response(response=ResponseFactory(score=2, survey=other, invitation__survey=other))
    with time_machine.travel(submitted + timedelta(hours=2, minutes=30), tick=False):
        followups.ticket_mark_contacted(ticket=on_time, actor=agent, channel="phone")
    with time_machine.travel(submitted + timedelta(hours=50), tick=False):
        followups.ticket_mark_contacted(ticket=late, actor=agent, channel="email")
    client.force_login(manager)
    rows = _case_rows(client, {"survey": str(wanted.public_id)})
    assert set(rows) == {"1", "4", "6"}
    assert (rows["1"]["Met deadline"], rows["1"]["Minutes to first contact"]) == ("yes", "150")
    assert (rows["4"]["Met deadline"], rows["4"]["Minutes to first contact"]) == ("no", str(50 * 60))
    # Past its deadline and never contacted: a miss, as on the dashboard.
    assert (rows["6"]["Met deadline"], rows["6"]["Minutes to first contact"]) == ("no", "")
    assert rows["1"]["Case reference"] == on_time.reference
    assert rows["1"]["Assignee"] == agent.get_full_name()
    assert rows["1"]["Status"] == "contacted"
    assert rows["1"]["Priority"] == "high"
    assert rows["6"]["First contacted at"] == ""
    assert rows["6"]["First contact due at"] == "2025-03-11T11:00:00+01:00"
    assert waiting.reference in {row["Case reference"] for row in rows.values()}


def test_cases_csv_gives_the_dashboard_deadline_verdict(client, manager, agent):
    """Not due yet: blank; resolved without a contact: no. The yes/no rows are the dashboard's N of M."""
    not_due = followups.ticket_open_for_response(response=ResponseFactory(score=1, submitted_at=NOW))
    closed = followups.ticket_open_for_response(response=ResponseFactory(score=2, submitted_at=NOW))
    followups.ticket_set_status(ticket=closed, actor=agent, status="closed", outcome="no_reply")
    client.force_login(manager)
    rows = _case_rows(client)
    assert (rows["1"]["Met deadline"], rows["2"]["Met deadline"]) == ("", "no")
    assert rows["2"]["Assignee"] == ""
    assert not_due.reference == rows["1"]["Case reference"]


def test_cases_hide_identity_of_anonymous_surveys(client, manager):
    anonymous = SurveyFactory(is_anonymous=True)
    customer = CustomerFactory(first_name="Jeanne", last_name="Moreau")
    followups.ticket_open_for_response(response=ResponseFactory(score=2, invitation__customer=customer))
    followups.ticket_open_for_response(
        response=ResponseFactory(score=3, survey=anonymous, invitation__survey=anonymous, invitation__customer=customer)
    )
    client.force_login(manager)
    rows = _case_rows(client)
    assert rows["2"]["Customer name"] == "Jeanne Moreau"
    assert rows["3"]["Customer name"] == rows["3"]["Customer email"] == rows["3"]["Customer external id"] == ""


def test_cases_are_one_query_with_a_subquery_not_a_list_of_ids(db):
    for _ in range(30):
        followups.ticket_open_for_response(response=ResponseFactory(score=1))
    filters = ResponseFilter(start=date(2025, 1, 1), end=date(2025, 3, 12), category="Lighting", latest_only=True)
    with CaptureQueriesContext(connection) as queries:
        lines = list(export_cases(filters))
    reads = [q["sql"] for q in queries if not _transaction_control(q["sql"])]
    assert len(reads) == 1
    sql = reads[0]
    assert sql.count("SELECT") >= 2  # the responses are a subquery
    assert len(sql) < 4000
    assert len(lines) == 1  # no customer bought Lighting: the header only


def test_criteria_and_satisfaction_are_exported(client, manager):
    ResponseFactory(score=4, criteria=["Delivery", "Price"], csat=2)
    ResponseFactory(score=9, criteria=[], csat=None)
    client.force_login(manager)
    rows = {row["Score"]: row for row in _rows(_download(client, RESPONSES_URL))}
    assert rows["4"]["Criteria"] == "Delivery; Price"
    assert rows["4"]["Satisfaction (1–5)"] == "2"
    assert rows["9"]["Criteria"] == rows["9"]["Satisfaction (1–5)"] == ""
