"""Staff sessions end after NPSAPP_SESSION_IDLE_HOURS without a request (12 by default)."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

INBOX = reverse("followups:inbox")


def _session_writes(queries) -> list[str]:
    return [q["sql"] for q in queries if "django_session" in q["sql"] and q["sql"].startswith(("INSERT", "UPDATE"))]


def test_the_default_idle_timeout_is_twelve_hours(settings):
    assert settings.NPSAPP_SESSION_IDLE_HOURS == 12
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


def test_a_staff_session_idle_for_longer_than_the_timeout_is_logged_out(client, agent):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        assert client.post(reverse("login"), {"username": agent.username, "password": "pw"}).status_code == 302
        assert client.get(INBOX).status_code == 200
        traveller.shift(timedelta(hours=12, minutes=1))
        reply = client.get(INBOX)
    assert reply.status_code == 302
    assert reply["Location"].startswith(reverse("login"))


def test_a_staff_session_in_use_stays_open_past_the_timeout(client, agent):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.post(reverse("login"), {"username": agent.username, "password": "pw"})
        for _ in range(8):  # two working days, a request every 6 hours
            traveller.shift(timedelta(hours=6))
            assert client.get(INBOX).status_code == 200


def test_the_timeout_follows_the_setting(client, agent, settings):
    settings.SESSION_COOKIE_AGE = 3600  # NPSAPP_SESSION_IDLE_HOURS=1
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.post(reverse("login"), {"username": agent.username, "password": "pw"})
        traveller.shift(timedelta(minutes=59))
        assert client.get(INBOX).status_code == 200
        traveller.shift(timedelta(minutes=61))
        assert client.get(INBOX).status_code == 302


def test_the_session_is_written_at_most_every_few_minutes(client, agent):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.post(reverse("login"), {"username": agent.username, "password": "pw"})
        traveller.shift(timedelta(seconds=30))
        with CaptureQueriesContext(connection) as soon:
            client.get(INBOX)
        traveller.shift(timedelta(minutes=10))
        with CaptureQueriesContext(connection) as later:
            client.get(INBOX)
    assert _session_writes(soon.captured_queries) == []
    assert len(_session_writes(later.captured_queries)) == 1


@pytest.mark.parametrize("score", ["2", "9"])
def test_a_customer_answering_gets_no_session(client, invitation, score):
    url = reverse("surveys:respond", args=[invitation.token])
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
        client.post(url, {"score": score, "comment": "ok"})
        client.get(url)
    assert _session_writes(queries.captured_queries) == []
    assert not Session.objects.exists()
    assert "sessionid" not in client.cookies


def test_an_api_token_request_gets_no_session(db, admin_user):
    from rest_framework.test import APIClient

    from integrations.choices import TokenScope
    from integrations.services import api_token_create

    key = api_token_create(name="BI", scope=TokenScope.READ, created_by=admin_user)[1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get(reverse("api:responses")).status_code == 200
    assert not Session.objects.exists()
    assert "sessionid" not in api.cookies
