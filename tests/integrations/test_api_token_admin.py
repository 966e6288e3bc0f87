import re

from django.contrib.admin import helpers
from django.urls import reverse
from rest_framework.test import APIClient

from integrations.models import ApiToken
from integrations.services import api_token_create
from integrations.tokens import key_matches

ADD = reverse("admin:integrations_apitoken_add")
CHANGELIST = reverse("admin:integrations_apitoken_changelist")


def _messages(reply) -> list[str]:
    return [str(message) for message in reply.context["messages"]]


def test_the_add_form_asks_only_name_and_scope(client, admin_user):
    client.force_login(admin_user)
    page = client.get(ADD)
    assert page.status_code == 200
    assert list(page.context["adminform"].form.fields) == ["name", "scope"]


def test_creating_a_token_shows_its_key_once(client, admin_user):
    client.force_login(admin_user)
    reply = client.post(ADD, {"name": "Shop sync", "scope": "write"}, follow=True)
    assert reply.status_code == 200
    token = ApiToken.objects.get()
    assert (token.name, token.scope, token.created_by) == ("Shop sync", "write", admin_user)
    shown = [re.search(r"is (\S+)\. Copy it now", message) for message in _messages(reply)]
    key = next(match.group(1) for match in shown if match)
    assert key.startswith(token.prefix + ".") and key_matches(key, token.key_hash)
    # The key works, and no page shows it again.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get(reverse("api:responses")).status_code == 200
    assert key not in client.get(reverse("admin:integrations_apitoken_change", args=[token.pk])).content.decode()
    assert key not in client.get(CHANGELIST).content.decode()


def test_the_list_shows_prefix_scope_and_use(client, admin_user):
    token, _key = api_token_create(name="BI export", scope="read", created_by=admin_user)
    client.force_login(admin_user)
    html = client.get(CHANGELIST).content.decode()
    assert "BI export" in html and token.prefix in html


def test_revoke_action(client, admin_user):
    token, key = api_token_create(name="Old", scope="write", created_by=admin_user)
    client.force_login(admin_user)
    reply = client.post(
        CHANGELIST, {"action": "revoke_selected", helpers.ACTION_CHECKBOX_NAME: [token.pk]}, follow=True
    )
    assert "1 token revoked." in _messages(reply)
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get(reverse("api:responses")).status_code == 401


def test_tokens_cannot_be_deleted_only_revoked(client, admin_user):
    token, _key = api_token_create(name="Keep", scope="read", created_by=admin_user)
    client.force_login(admin_user)
    assert client.get(reverse("admin:integrations_apitoken_delete", args=[token.pk])).status_code == 403
