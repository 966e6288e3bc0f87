"""Login throttling behind the reverse proxy: who is locked out, and password spraying."""

import pytest
from django.urls import reverse

PROXY = "10.0.0.2"  # every request reaches the app from the proxy
ATTACKER = "203.0.113.5"
MANAGER_AT_HOME = "198.51.100.7"


@pytest.fixture(autouse=True)
def _behind_the_proxy(settings):
    settings.NPSAPP_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"


def _login(client, username: str, password: str, address: str):
    # The proxy appends the address it saw: the last hop is the client's, whatever it forged before.
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"1.2.3.4, {address}",
    )


def test_an_attacker_behind_the_proxy_does_not_lock_the_manager_out(client, manager, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        _login(client, manager.username, "wrong", ATTACKER)
    assert _login(client, manager.username, "pw", ATTACKER).status_code == 429

    reply = _login(client, manager.username, "pw", MANAGER_AT_HOME)
    assert reply.status_code == 302
    assert reply["Location"] != reverse("login")


def test_the_locked_pair_is_the_username_and_the_client_address(client, manager, agent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, manager.username, "wrong", ATTACKER)
    # Another username from the same address still signs in: the lock is on the pair.
    assert _login(client, agent.username, "pw", ATTACKER).status_code == 302


def test_the_address_recorded_is_the_client_not_the_proxy(client, manager):
    from axes.models import AccessAttempt

    _login(client, manager.username, "wrong", ATTACKER)
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ATTACKER]


def test_password_spraying_from_one_address_is_locked(client, manager, settings):
    # One or two guesses per username stay under the per-username lock; the address's total does not.
    settings.NPSAPP_LOGIN_FAILURES_PER_ADDRESS = 8
    statuses = [_login(client, f"user{n}", guess, ATTACKER).status_code for n in range(4) for guess in ("a", "b")]
    assert statuses == [200] * 7 + [429]  # the eighth failure locks the address
    locked = _login(client, manager.username, "pw", ATTACKER)
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()

    # Someone else, elsewhere, is not affected.
    assert _login(client, manager.username, "pw", MANAGER_AT_HOME).status_code == 302


def test_spraying_is_counted_through_the_admin_login_too(client, admin_user, settings):
    settings.NPSAPP_LOGIN_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        client.post(
            "/admin/login/",
            {"username": f"user{n}", "password": "x"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=ATTACKER,
        )
    assert _login(client, admin_user.username, "pw", ATTACKER).status_code == 429


def test_failures_under_the_address_limit_do_not_lock(client, manager, settings):
    settings.NPSAPP_LOGIN_FAILURES_PER_ADDRESS = 8
    for n in range(7):
        _login(client, f"user{n}", "wrong", ATTACKER)
    assert _login(client, manager.username, "pw", ATTACKER).status_code == 302


@pytest.mark.parametrize("forged", ["not-an-address", "1.2.3.4:5678", "<script>"])
def test_a_last_hop_that_is_not_an_address_counts_as_the_connecting_address(client, manager, forged):
    from axes.models import AccessAttempt

    reply = client.post(
        reverse("login"),
        {"username": manager.username, "password": "wrong"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forged,
    )
    assert reply.status_code == 200
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [PROXY]
