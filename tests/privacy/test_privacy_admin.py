import json

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse

from crm.models import CustomAttribute, Customer, CustomerEvent
from customerview.models import AtRiskPolicy
from privacy.models import PrivacyEvent
from tests.factories import CustomerFactory, ResponseFactory

CHANGELIST = reverse("admin:crm_customer_changelist")


def _act(client, action, *customers, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in customers], **extra}
    return client.post(CHANGELIST, data)


@pytest.fixture
def staff_viewer(db):
    """Staff who may look at customers but not delete them."""
    from django.contrib.auth.models import User

    user = User.objects.create_user(username="viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_customer"))
    return user


def test_admin_lists_customers_with_both_privacy_actions(client, admin_user, customer):
    client.force_login(admin_user)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="export_personal_data"' in html and 'value="erase_selected"' in html


def test_export_action_downloads_the_json_and_audits_it(client, admin_user, customer):
    ResponseFactory(score=3, comment="Too late", customer=customer, invitation__customer=customer)
    client.force_login(admin_user)

    response = _act(client, "export_personal_data", customer)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="customer-{customer.public_id}.json"'
    data = json.loads(response.content)
    assert data["customer"]["email"] == "jeanne@example.com"
    assert [r["comment"] for r in data["responses"]] == ["Too late"]
    audit = PrivacyEvent.objects.get()
    assert (audit.action, audit.actor, audit.customer) == ("export", admin_user, customer)


def test_export_action_wants_exactly_one_customer(client, admin_user, customer):
    other = CustomerFactory()
    client.force_login(admin_user)

    response = _act(client, "export_personal_data", customer, other)

    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Select exactly one customer" in page.content.decode()
    assert not PrivacyEvent.objects.exists()


def test_erase_action_asks_first_and_changes_nothing_yet(client, admin_user, customer):
    client.force_login(admin_user)

    page = _act(client, "erase_selected", customer)

    assert page.status_code == 200
    html = page.content.decode()
    assert "Jeanne Moreau" in html and "cannot be undone" in html
    assert 'name="post" value="yes"' in html
    customer.refresh_from_db()
    assert (customer.email, customer.erased_at) == ("jeanne@example.com", None)
    assert not PrivacyEvent.objects.exists()


def test_erase_action_erases_after_confirmation(client, admin_user, customer):
    other = CustomerFactory(first_name="Paul")
    client.force_login(admin_user)

    response = _act(client, "erase_selected", customer, other, post="yes")

    assert response.status_code == 302
    assert "The personal data of 2 customers was erased." in client.get(response["Location"]).content.decode()
    for erased in (customer, other):
        erased.refresh_from_db()
        assert (erased.email, erased.first_name, erased.erased_at is not None) == ("", "", True)
    assert sorted(PrivacyEvent.objects.values_list("action", "actor__username")) == [
        ("erase", "root"),
        ("erase", "root"),
    ]


def test_non_staff_cannot_export_or_erase(client, agent, customer):
    client.force_login(agent)
    for action in ("export_personal_data", "erase_selected"):
        response = _act(client, action, customer, post="yes")
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]
    customer.refresh_from_db()
    assert customer.erased_at is None
    assert not PrivacyEvent.objects.exists()


def test_staff_without_delete_right_cannot_erase(client, staff_viewer, customer):
    client.force_login(staff_viewer)
    assert 'value="erase_selected"' not in client.get(CHANGELIST).content.decode()

    _act(client, "erase_selected", customer, post="yes")

    customer.refresh_from_db()
    assert customer.erased_at is None
    # Viewing is enough to export, which is audited.
    assert _act(client, "export_personal_data", customer).status_code == 200
    assert PrivacyEvent.objects.get().actor == staff_viewer


def test_privacy_log_is_read_only(client, admin_user, customer):
    event = PrivacyEvent.objects.create(action="export", actor=admin_user, customer=customer)
    client.force_login(admin_user)

    assert client.get(reverse("admin:privacy_privacyevent_changelist")).status_code == 200
    assert client.get(reverse("admin:privacy_privacyevent_add")).status_code == 403
    assert client.get(reverse("admin:privacy_privacyevent_delete", args=[event.pk])).status_code == 403
    detail = client.get(reverse("admin:privacy_privacyevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


def test_crm_settings_and_events_have_admin_pages(client, admin_user, customer):
    from django.utils import timezone

    CustomerEvent.objects.create(customer=customer, kind="site_visit", occurred_at=timezone.now())
    CustomAttribute.objects.create(key="loyalty", label="Loyalty card")
    AtRiskPolicy.objects.create()
    client.force_login(admin_user)

    for name in ("crm_customerevent", "crm_customattribute", "customerview_atriskpolicy"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    # One policy is used: a second cannot be added.
    assert client.get(reverse("admin:customerview_atriskpolicy_add")).status_code == 403
    assert client.get(reverse("admin:crm_customer_change", args=[customer.pk])).status_code == 200
    assert Customer.objects.count() == 1
