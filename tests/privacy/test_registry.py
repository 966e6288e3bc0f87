"""Every app whose rows point at a customer owns its part of export and erasure, called in order."""

import sys
import types

import pytest
from django.apps import apps
from django.core import checks

from privacy import registry, services
from privacy.checks import customer_holders, personal_data_check
from privacy.models import PrivacyEvent


@pytest.fixture
def fresh_registry():
    registry.registered.cache_clear()
    yield
    registry.registered.cache_clear()


def test_every_app_whose_rows_point_at_a_customer_declares_its_part():
    holders = customer_holders()
    # Not a vacuous check: the apps below and above the CRM are all found.
    assert {"crm", "surveys", "followups", "campaigns", "conversations", "triggers"} <= set(holders)
    assert personal_data_check() == []
    # Run by `manage.py check` (and so at every deploy and start).
    assert personal_data_check in checks.registry.registry.get_checks()


def test_an_app_that_declares_no_part_fails_the_system_check(monkeypatch, fresh_registry):
    monkeypatch.setattr(apps.get_app_config("campaigns"), "personal_data", None)
    (error,) = personal_data_check()
    assert error.id == "privacy.E001"
    assert "campaigns.CampaignSkip" in error.msg
    assert 'personal_data = "campaigns.privacy"' in error.hint


def test_a_part_without_its_order_fails_the_system_check(monkeypatch):
    monkeypatch.delattr("triggers.privacy.ORDER")
    assert [error.id for error in personal_data_check()] == ["privacy.E002"]


def test_the_parts_run_in_their_order(fresh_registry):
    assert [entry.app_label for entry in registry.registered()] == [
        "crm",
        "surveys",
        "followups",
        "campaigns",
        "conversations",
        "triggers",
        "integrations",
        "customerview",
    ]
    assert [hook.__module__ for hook in registry.hooks("erase")] == [
        "crm.privacy",
        "surveys.privacy",
        "followups.privacy",
        "conversations.privacy",
        "integrations.privacy",
        "customerview.privacy",
    ]
    with pytest.raises(ValueError):
        registry.hooks("forget")


def test_a_new_app_that_declares_its_part_is_erased_and_exported_with_the_others(
    monkeypatch, fresh_registry, customer, admin_user
):
    calls = []
    part = types.ModuleType("insights.privacy")
    part.ORDER = 45

    def erase(subject):
        # It reads what the apps before it found.
        calls.append(("erase", subject.external_id, len(subject.response_ids), subject.case_ids))
        return {"notes_forgotten": 2}

    def export(subject, document):
        calls.append(("export", list(document)))
        document["notes"] = []

    part.erase, part.export = erase, export
    monkeypatch.setitem(sys.modules, "insights.privacy", part)
    monkeypatch.setattr(apps.get_app_config("insights"), "personal_data", "insights.privacy", raising=False)

    external_id = customer.external_id
    document = services.customer_export(customer=customer, actor=admin_user)
    services.customer_erase(customer=customer, actor=admin_user)

    assert calls[0] == (
        "export",
        ["format", "exported_at", "customer", "purchases", "events", "invitations", "responses", "cases"],
    )
    assert list(document)[-3:] == ["notes", "at_risk", "privacy_log"]
    # The id as it was before the CRM's part (which runs first) replaced it.
    assert calls[1] == ("erase", external_id, 0, [])
    assert PrivacyEvent.objects.get(action="erase").details["notes_forgotten"] == 2
