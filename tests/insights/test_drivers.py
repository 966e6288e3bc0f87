"""What to fix first: the figures against hand-computed values, and the dashboard panel."""

import pytest
from django.urls import reverse

from insights.drivers import Counts, drivers, holm
from surveys.models import ResponseTheme, Theme, ThemeSource
from tests.factories import CustomerFactory, ResponseFactory

# 100 answers: 50 promoters, 20 passives, 30 detractors. The group: 10, 10, 20 of them.
TOTAL = Counts(promoters=50, passives=20, detractors=30)
GROUP = Counts(promoters=10, passives=10, detractors=20)


def test_a_groups_figures_match_the_hand_computed_values():
    (driver,) = drivers(TOTAL, [("theme", "1", "Delivery", GROUP)])
    assert driver.share_of_detractors == pytest.approx(20 / 30)
    assert driver.share_of_promoters == pytest.approx(10 / 50)
    assert driver.inside.nps == pytest.approx(-25.0)
    assert driver.outside.nps == pytest.approx(50.0)
    # 20 detractors of 100 answers becoming passives: +20 NPS points.
    assert driver.impact == pytest.approx(20.0)
    # Adjusted Wald: n = 43, p = 10.75/43, d = 20.75/43; centre −23.26, se 12.56.
    low, high = driver.inside.interval
    assert low == pytest.approx(-47.876, abs=0.01) and high == pytest.approx(1.364, abs=0.01)
    low, high = driver.outside.interval
    assert low == pytest.approx(28.640, abs=0.01) and high == pytest.approx(66.598, abs=0.01)
    # z = 4.469, two-sided p = 7.87e-6.
    assert driver.p_value == pytest.approx(7.869e-6, rel=1e-3)
    assert driver.is_below


def test_small_groups_get_no_verdict():
    small = Counts(promoters=0, passives=9, detractors=20)  # 29 answers
    (driver,) = drivers(TOTAL, [("gender", "male", "Male", small)])
    assert driver.significant is None and not driver.has_verdict
    assert driver.impact == pytest.approx(20.0)


def test_holm_corrects_for_the_number_of_groups():
    assert holm([0.01, 0.04, 0.03]) == [True, False, False]
    assert holm([0.01, 0.02, 0.03]) == [True, True, True]
    # Alone, 0.04 would pass at 5 %; among three tests it does not.
    assert holm([0.04]) == [True]


def test_groups_below_the_rest_come_first_then_by_impact():
    big_but_fine = Counts(promoters=30, passives=10, detractors=10)
    ranking = drivers(TOTAL, [("plan", "basic", "Basic", big_but_fine), ("theme", "1", "Delivery", GROUP)])
    assert [driver.label for driver in ranking] == ["Delivery", "Basic"]


@pytest.fixture
def answers(db):
    theme = Theme.objects.create(name="Delivery")
    north = CustomerFactory(region="Nord")
    rows = []
    for score, criteria, csat, tagged in [
        (2, ["Delivery"], 1, True),
        (5, ["Delivery", "Price"], 2, True),
        (8, ["Price"], 4, False),
        (10, ["Service"], 5, False),
        (9, [], None, False),
    ]:
        response = ResponseFactory(score=score, criteria=criteria, csat=csat, comment="x")
        if tagged:
            ResponseTheme.objects.create(response=response, theme=theme, source=ThemeSource.MEANING)
        rows.append(response)
    rows.append(ResponseFactory(score=3, invitation__customer=north))
    return rows


def test_the_panel_shows_drivers_criteria_and_satisfaction(client, manager, answers, django_assert_num_queries):
    client.force_login(manager)
    client.get(reverse("insights:drivers"))  # session, roles and the cached filter choices warmed
    with django_assert_num_queries(6):
        page = client.get(reverse("insights:drivers"), HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Theme: Delivery" in html
    assert "Region: Nord" in html
    # Criteria: 4 answers chose at least one; "Delivery" by 2 of them (50 %), whose NPS is −100.
    assert "50 % (2 / 4)" in html
    # Mean satisfaction over the 4 answers that gave one: (1 + 2 + 4 + 5) / 4 = 3.00.
    assert "Mean satisfaction: 3.00 / 5 (n = 4)" in html
    assert "too few answers" in html
    assert "Holm" in html


def test_the_dashboard_loads_the_panel_with_its_filters(client, manager, answers):
    client.force_login(manager)
    html = client.get(reverse("reporting:dashboard"), {"region": "Nord"}).content.decode()
    assert reverse("insights:drivers") + "?" in html
    page = client.get(reverse("insights:drivers"), {"region": "Nord"}).content.decode()
    assert "Region: Nord" in page and "Theme: Delivery" not in page


def test_the_panel_is_for_managers(client, agent):
    client.force_login(agent)
    assert client.get(reverse("insights:drivers")).status_code == 403
