import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from integrations.models import ApiToken
from integrations.services import api_token_revoke
from integrations.throttling import ApiTokenRateThrottle

RESPONSES = reverse("api:responses")
CUSTOMERS = reverse("api:customers")


def test_no_token_is_401_json_asking_for_a_bearer_token(anonymous_api):
    reply = anonymous_api.get(RESPONSES)
    assert reply.status_code == 401
    assert reply["Content-Type"] == "application/json"
    assert reply["WWW-Authenticate"] == "Bearer"
    assert "detail" in reply.json()


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer two words", "Bearer not-a-key", "Bearer 0123456789ab.wrong-secret"],
)
def test_malformed_or_unknown_key_is_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    reply = client.get(RESPONSES)
    assert reply.status_code == 401
    assert reply.json()["detail"]


def test_revoked_token_is_401(db, write_key):
    api_token_revoke(token=ApiToken.objects.get())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {write_key}")
    reply = client.get(RESPONSES)
    assert reply.status_code == 401
    assert "revoked" in reply.json()["detail"]


def test_read_token_reads_but_cannot_write(read_api):
    assert read_api.get(RESPONSES).status_code == 200
    reply = read_api.post(CUSTOMERS, {"external_id": "C1"}, format="json")
    assert reply.status_code == 403
    assert reply.json()["detail"]


def test_write_token_writes(api):
    assert api.post(CUSTOMERS, {"external_id": "C1"}, format="json").status_code == 201


def test_use_of_a_token_is_recorded(api):
    assert ApiToken.objects.get().last_used_at is None
    api.get(RESPONSES)
    assert ApiToken.objects.get().last_used_at is not None


def test_signed_in_managers_may_use_the_api_but_agents_may_not(client, manager, agent):
    client.force_login(manager)
    assert client.get(RESPONSES).status_code == 200
    client.force_login(agent)
    assert client.get(RESPONSES).status_code == 403


def _rate(monkeypatch, rate: str) -> None:
    # DRF copies DEFAULT_THROTTLE_RATES onto the class when it is first imported, so overriding
    # the setting would only work in whichever test imports it first.
    monkeypatch.setattr(ApiTokenRateThrottle, "THROTTLE_RATES", {"api_token": rate})


def test_requests_over_the_rate_are_refused_with_429(api, monkeypatch):
    _rate(monkeypatch, "2/min")
    assert api.get(RESPONSES).status_code == 200
    assert api.get(RESPONSES).status_code == 200
    reply = api.get(RESPONSES)
    assert reply.status_code == 429
    assert int(reply["Retry-After"]) > 0
    assert reply.json()["detail"]


def test_the_rate_is_counted_per_token(api, read_api, monkeypatch):
    _rate(monkeypatch, "1/min")
    assert api.get(RESPONSES).status_code == 200
    assert api.get(RESPONSES).status_code == 429
    assert read_api.get(RESPONSES).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v1/customers", "/api/v2/responses/"])
def test_unknown_addresses_under_the_api_are_json_404(anonymous_api, path):
    reply = anonymous_api.get(path)
    assert reply.status_code == 404
    assert reply["Content-Type"] == "application/json"


def test_a_body_that_is_not_json_is_a_400_not_a_500(api):
    reply = api.post(CUSTOMERS, "{not json", content_type="application/json")
    assert reply.status_code == 400
    assert reply.json()["detail"]


def test_form_encoded_bodies_are_refused(api):
    reply = api.post(CUSTOMERS, {"external_id": "C1"})  # multipart, as a browser form would send
    assert reply.status_code == 415


@pytest.mark.parametrize("escaped", ["nul\\u0000inside", "lone \\ud800 surrogate"])
def test_text_no_database_can_store_is_refused(api, escaped):
    body = '{"external_id": "C1", "city": "' + escaped + '"}'
    reply = api.post(CUSTOMERS, body, content_type="application/json")
    assert reply.status_code == 400
    assert "NUL" in reply.json()["detail"]
