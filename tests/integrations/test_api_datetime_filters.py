"""Every date and time a client can put in an API query string: a 400 with a message, never a 500."""

import base64

import pytest
from django.urls import reverse

RESPONSES = reverse("api:responses")


@pytest.mark.parametrize("field", ["submitted_after", "submitted_before"])
@pytest.mark.parametrize("offset", ["+19:09", "-23:59", "+14:01"])
def test_an_impossible_utc_offset_in_a_filter_is_400(api, field, offset):
    reply = api.get(RESPONSES, {field: f"2026-01-01T00:00:00{offset}"})
    assert reply.status_code == 400
    assert list(reply.json()) == [field]
    assert reply.json()[field] == ["A UTC offset is at most 14 hours."]


def test_an_offset_that_is_not_one_is_400(api):
    reply = api.get(RESPONSES, {"submitted_after": "2026-01-01T00:00:00+99:00"})
    assert reply.status_code == 400
    assert list(reply.json()) == ["submitted_after"]


@pytest.mark.parametrize("offset", ["+14:00", "-12:00", "+05:45", "Z"])
def test_real_utc_offsets_filter(api, offset):
    assert api.get(RESPONSES, {"submitted_after": f"2026-01-01T00:00:00{offset}"}).status_code == 200


def test_a_forged_cursor_with_an_impossible_offset_is_404_not_500(api):
    cursor = base64.b64encode(b"p=2026-01-01T00:00:00%2B19:09").decode()
    assert api.get(RESPONSES, {"cursor": cursor}).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"start": "9999-12-31", "end": "9999-12-31"},
        {"start": "0001-01-01", "end": "0001-01-02"},
        {"start": "2026-13-01"},
        {"end": "2026-02-30"},
    ],
)
def test_nps_summary_dates_out_of_range_are_400(api, query):
    reply = api.get(reverse("api:nps"), query)
    assert reply.status_code == 400
    assert set(reply.json()) <= {"start", "end", "__all__", "non_field_errors"}
