"""GET /api/v1/nps/drivers/: what to fix first, criteria and satisfaction, with the dashboard's filters."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from integrations.choices import TokenScope
from integrations.services import api_token_create
from surveys.models import ResponseTheme, Theme, ThemeSource
from tests.factories import CustomerFactory, ResponseFactory

URL = "/api/v1/nps/drivers/"


@pytest.fixture
def api(admin_user):
    cache.clear()
    key = api_token_create(name="BI", scope=TokenScope.READ, created_by=admin_user)[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_drivers_criteria_and_satisfaction_through_the_api(api):
    delivery = Theme.objects.create(name="Delivery")
    for score, criteria, csat in [(2, ["Delivery"], 1), (5, ["Delivery", "Price"], 2), (10, ["Price"], 5)]:
        response = ResponseFactory(score=score, criteria=criteria, csat=csat)
        if score < 7:
            ResponseTheme.objects.create(response=response, theme=delivery, source=ThemeSource.MEANING)
    ResponseFactory(score=9, invitation__customer=CustomerFactory(region="Nord"))
    reply = api.get(URL)
    assert reply.status_code == 200, reply.content
    body = reply.json()
    assert body["total"]["n"] == 4
    theme = next(row for row in body["drivers"] if row["kind"] == "theme")
    assert theme["label"] == "Delivery"
    assert theme["impact"] == pytest.approx(50.0)  # 2 detractors of 4 answers
    assert theme["share_of_detractors"] == 1.0
    assert theme["inside"]["nps"] == -100.0 and theme["outside"]["nps"] == 100.0
    assert theme["below_the_rest"] is None  # too few answers for a verdict
    assert {row["option"]: row["chosen_by"] for row in body["criteria"]} == {"Delivery": 2, "Price": 2}
    assert body["criteria_answered"] == 3
    assert body["satisfaction_mean"] == pytest.approx(8 / 3) and body["satisfaction_n"] == 3
    assert api.get(URL, {"region": "Nord"}).json()["total"]["n"] == 1


def test_bad_filters_are_400(api):
    assert api.get(URL, {"start": "not a date"}).status_code == 400
    assert api.get(URL, {"start": "0001-01-01"}).status_code == 400


def test_no_token_no_drivers():
    assert APIClient().get(URL).status_code == 401
