""" "% first contact within deadline" is one figure, with its denominator, on the dashboard, the
weekly digest, the NPS summary API and the cases CSV: every case due or contacted counts, and a
case resolved or closed without any contact is a miss."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from followups import services
from reporting.digest import digest_send_weekly
from tests.factories import ResponseFactory

NOW = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)  # Monday 07:00 in Paris: the digest covers 3–9 March
ANSWERED = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def cases(db, agent):
    """Four cases of last week's answers: contacted in time, contacted late, closed without a
    contact before its deadline (a miss), and past its deadline uncontacted (a miss): 1 of 4."""
    with time_machine.travel(ANSWERED, tick=False):
        opened = [services.ticket_open_for_response(response=ResponseFactory(score=s)) for s in (1, 2, 3, 4)]
    on_time, late, dodged, _forgotten = opened
    with time_machine.travel(ANSWERED + timedelta(hours=1), tick=False):
        services.ticket_mark_contacted(ticket=on_time, actor=agent, channel="phone")
        services.ticket_set_status(ticket=dodged, actor=agent, status="closed", outcome="no_reply")
    with time_machine.travel(ANSWERED + timedelta(hours=60), tick=False):
        services.ticket_mark_contacted(ticket=late, actor=agent, channel="phone")
    return opened


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


PERIOD = {"start": "2025-03-03", "end": "2025-03-09"}


def test_the_dashboard_shows_1_of_4(client, manager, cases):
    client.force_login(manager)
    reply = client.get(reverse("reporting:dashboard_followup"), PERIOD)
    total = reply.context["followup"].total
    assert (total.within_deadline, total.deadline_counted, total.pct_within_deadline) == (1, 4, 25)
    assert "1 of 4 cases due or contacted" in reply.content.decode()


def test_the_weekly_digest_shows_1_of_4(manager, cases):
    manager.email = "maria@example.com"
    manager.save()
    digest_send_weekly()
    assert "First contact within deadline: 25 % (1 of 4 cases due or contacted)." in mail.outbox[0].body


def test_the_api_gives_1_of_4(admin_user, cases):
    from django.core.cache import cache
    from rest_framework.test import APIClient

    from integrations.choices import TokenScope
    from integrations.services import api_token_create

    cache.clear()
    api = APIClient()
    key = api_token_create(name="BI", scope=TokenScope.READ, created_by=admin_user)[1]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    reply = api.get(reverse("api:nps"), PERIOD)
    assert reply.json()["first_contact"] == {"within_deadline": 1, "counted": 4, "pct_within_deadline": 25.0}


def test_the_cases_csv_gives_1_yes_and_3_no(client, manager, cases):
    client.force_login(manager)
    reply = client.get(reverse("reporting:export_cases"), PERIOD)
    body = b"".join(reply.streaming_content).decode("utf-8-sig")
    verdicts = sorted(row["Met deadline"] for row in csv.DictReader(io.StringIO(body)))
    assert verdicts == ["no", "no", "no", "yes"]
