import pytest
from django.urls import reverse


def test_healthz(client, db):
    reply = client.get(reverse("healthz"))
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("actor", "target"),
    [("manager", "reporting:dashboard"), ("agent", "followups:inbox"), ("admin_user", "reporting:dashboard")],
)
def test_home_sends_each_role_to_its_work(client, request, actor, target):
    client.force_login(request.getfixturevalue(actor))
    reply = client.get("/")
    assert reply.status_code == 302
    assert reply["Location"] == reverse(target)


def test_home_sends_visitors_to_login(client, db):
    assert client.get("/")["Location"] == reverse("login")


def test_home_refuses_users_without_a_role(client, outsider):
    client.force_login(outsider)
    assert client.get("/").status_code == 403


def test_login_page_and_login(client, agent):
    assert client.get(reverse("login")).status_code == 200
    reply = client.post(reverse("login"), {"username": "alice", "password": "pw"})
    assert reply.status_code == 302
    assert client.get(reverse("followups:inbox")).status_code == 200


def test_repeated_failed_logins_are_locked_out(client, agent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "alice", "password": "pw"})
    assert locked.status_code == 429
    assert client.get(reverse("followups:inbox")).status_code == 302


def test_admin_is_for_staff_only(client, agent, admin_user):
    client.force_login(agent)
    assert client.get("/admin/").status_code == 302
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/followups/ticket/").status_code == 200
    assert client.get("/admin/surveys/survey/").status_code == 200
    assert client.get("/admin/crm/customer/").status_code == 200
