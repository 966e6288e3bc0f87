"""The trend cannot mislead: the running month is flagged as partial, each point carries its n and
whether it is a small sample, and the shares get their own panel (issue 19)."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse

from tests.factories import ResponseFactory

URL = reverse("reporting:dashboard")
NOW = datetime(2026, 5, 14, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


def _chart_data(page) -> dict:
    # What the chart script reads: the JSON block the page carries.
    return json.loads(json.dumps(page.context["chart_data"]))


def test_the_running_month_is_partial_and_points_carry_n_and_small_sample(client, manager, survey, settings):
    settings.NPSAPP_SMALL_SAMPLE = 3
    with time_machine.travel(NOW, tick=False):
        for day, score in [(2, 10), (3, 9), (4, 0), (5, 8)]:
            answered = NOW.replace(month=4, day=day)
            ResponseFactory(score=score, survey=survey, invitation__survey=survey, submitted_at=answered)
        ResponseFactory(score=2, survey=survey, invitation__survey=survey, submitted_at=NOW.replace(day=2))
        client.force_login(manager)
        page = client.get(URL, {"start": "2026-04-01", "end": "2026-05-14"})
    trend = _chart_data(page)["trend"]
    assert [(row["start"], row["n"], row["partial"], row["small"]) for row in trend] == [
        ("2026-04-01", 4, False, False),
        ("2026-05-01", 1, True, True),
    ]
    html = page.content.decode()
    # Said in words under the chart (the axis may skip the label on a phone) and in the table.
    assert 'id="partial-periods"' in html and "May 2026 (partial)" in " ".join(html.split())
    assert html.count("(partial)") >= 3
    assert 'id="shares-chart"' in html  # the shares are drawn in their own panel, on their own scale


def test_a_window_cutting_a_month_marks_it_partial(client, manager):
    with time_machine.travel(NOW, tick=False):
        client.force_login(manager)
        page = client.get(URL, {"start": "2026-03-15", "end": "2026-04-30"})
    trend = _chart_data(page)["trend"]
    assert [(row["start"], row["partial"]) for row in trend] == [("2026-03-01", True), ("2026-04-01", False)]
