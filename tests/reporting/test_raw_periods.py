"""A CRM-filtered dashboard reads its headline, previous period, trend and breakdown in one grouped query."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reporting import reports
from surveys.filters import RESURVEYS_INCLUDED, ResponseFilter
from tests.factories import CustomerFactory, ResponseFactory, SurveyFactory


@pytest.mark.parametrize(
    ("grain", "dimension", "resurveys"),
    [("month", "survey", ""), ("week", "channel", RESURVEYS_INCLUDED), ("month", "age_band", "")],
)
def test_one_query_gives_the_figures_of_one_query_each(db, grain, dimension, resurveys):
    rng = random.Random(7)
    surveys = [SurveyFactory(), SurveyFactory()]
    customers = [CustomerFactory(region=rng.choice(["Bretagne", "Occitanie"]), age_band="35-49") for _ in range(6)]
    now = timezone.now()
    for _ in range(60):
        survey, customer = rng.choice(surveys), rng.choice(customers)
        ResponseFactory(
            survey=survey,
            invitation__survey=survey,
            customer=customer,
            invitation__customer=customer,
            score=rng.randint(0, 10),
            channel=rng.choice(["email", "sms"]),
            is_resurvey=rng.random() < 0.2,
            submitted_at=now - timedelta(days=rng.randint(0, 300), hours=rng.randint(0, 23)),
        )
    today = timezone.localdate()
    filters = ResponseFilter(
        start=today - timedelta(days=120),
        end=today - timedelta(days=2),
        region="Bretagne",
        grain=grain,
        dimension=dimension,
        resurveys=resurveys,
        today=today,
    )
    previous = filters.previous()
    old = reports._RawSource(filters)
    with CaptureQueriesContext(connection) as captured:
        new = reports._RawPeriodsSource(filters)
    # On PostgreSQL the grouping runs in a transaction of its own with more memory (SET LOCAL).
    bookkeeping = ("SAVEPOINT", "RELEASE SAVEPOINT", "SET LOCAL work_mem")
    assert len([query for query in captured if not query["sql"].startswith(bookkeeping)]) == 1
    assert new.counts(filters.start, filters.end) == old.counts(filters.start, filters.end)
    assert new.counts(previous.start, previous.end) == old.counts(previous.start, previous.end)
    assert dict(new.trend(filters.start, filters.end, grain)) == dict(old.trend(filters.start, filters.end, grain))
    assert dict(new.breakdown(filters.start, filters.end, dimension)) == dict(
        old.breakdown(filters.start, filters.end, dimension)
    )
    assert sum(new.counts(filters.start, filters.end)) > 0
