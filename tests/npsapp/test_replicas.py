"""Which reads may go to a streaming replica, and which never do.

The real replica and PgBouncer are exercised in tests/integration/test_scale_out.py; here the
router's rules, and the entry points that read through it, are checked on one database."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from rest_framework.test import APIClient

from followups.models import Ticket
from integrations.choices import TokenScope
from integrations.services import api_token_create
from npsapp import replicas
from npsapp.replicas import REPLICA, ReplicaRouter, reads_from_replica
from reporting.models import DailyFollowup, DailyNps, DailyTheme
from surveys.models import Response
from tests.factories import ResponseFactory
from tests.pages import thanked


@pytest.fixture
def replica_on(monkeypatch):
    monkeypatch.setattr(replicas, "replica_configured", lambda: True)


def test_reads_stay_on_the_primary_without_a_replica():
    with reads_from_replica():
        assert ReplicaRouter().db_for_read(Response) is None


@pytest.mark.usefixtures("replica_on")
def test_only_reads_inside_the_block_go_to_the_replica():
    router = ReplicaRouter()
    assert router.db_for_read(Response) is None
    with reads_from_replica():
        assert router.db_for_read(Response) == REPLICA
    assert router.db_for_read(Response) is None


@pytest.mark.usefixtures("replica_on")
def test_a_read_after_a_write_in_the_block_stays_on_the_primary():
    router = ReplicaRouter()
    with reads_from_replica():
        router.db_for_write(Response)
        assert router.db_for_read(Response) is None
    with reads_from_replica():
        assert router.db_for_read(Response) == REPLICA, "the next block starts on the replica again"


def test_the_replica_is_never_migrated():
    assert ReplicaRouter().allow_migrate(REPLICA, "surveys") is False
    assert ReplicaRouter().allow_migrate("default", "surveys") is True


def test_no_lag_is_reported_without_a_replica():
    assert replicas.replica_lag_seconds() is None
    assert replicas.replica_lag_minutes() is None


# What the dashboard, the exports, the digest and the API's reports read.
REPORTED = (Response, Ticket, DailyNps, DailyFollowup, DailyTheme)


@pytest.fixture
def answers(db):
    ResponseFactory(score=9)
    ResponseFactory(score=2, comment="Late")


@pytest.fixture
def answer_reads(monkeypatch):
    """Each read of the answers, cases or roll-up, with whether it was made inside a replica block.

    A replica runs beside a broker and real workers: the embedded default's roll-up catch-up
    (a write, after which the block reads the primary) does not run there."""
    monkeypatch.setattr("reporting.rollup.rollup_catch_up_when_embedded", lambda: None)
    monkeypatch.setattr("reporting.followups_rollup.followup_rollup_catch_up_when_embedded", lambda: None)
    monkeypatch.setattr("reporting.themes_rollup.theme_rollup_catch_up_when_embedded", lambda: None)
    seen = []
    original = ReplicaRouter.db_for_read

    def spy(self, model, **hints):
        if model in REPORTED:
            seen.append(replicas._reads_from_replica.get())
        return original(self, model, **hints)

    monkeypatch.setattr(ReplicaRouter, "db_for_read", spy)
    return seen


@pytest.mark.parametrize(
    "url",
    ["reporting:dashboard", "reporting:dashboard_followup", "reporting:export_responses", "reporting:export_cases"],
)
def test_the_dashboard_and_exports_read_the_answers_from_the_replica(client, manager, answers, url, answer_reads):
    client.force_login(manager)
    reply = client.get(reverse(url))
    assert reply.status_code == 200
    reply.getvalue()  # a streamed export reads as it is sent
    assert answer_reads and all(answer_reads)


@pytest.mark.parametrize("path", ["/api/v1/responses/", "/api/v1/nps/", "/api/v1/cases/"])
def test_the_api_lists_and_nps_read_from_the_replica(admin_user, answers, path, answer_reads):
    key = api_token_create(name="BI export", scope=TokenScope.READ, created_by=admin_user)[1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get(path).status_code == 200
    assert answer_reads and all(answer_reads)


def test_a_survey_answer_reads_and_writes_the_primary(client, invitation, answer_reads):
    reply = client.post(reverse("surveys:respond", args=[invitation.token]), {"score": 3, "comment": "Late"})
    assert thanked(reply)
    assert Response.objects.filter(invitation=invitation).exists()
    assert not any(answer_reads)


def test_the_weekly_digest_reads_its_figures_from_the_replica(manager, answers, answer_reads):
    from reporting.digest import digest_send_weekly

    User.objects.filter(id=manager.id).update(email="manager@example.com")
    assert digest_send_weekly() == 1
    assert answer_reads and all(answer_reads)
