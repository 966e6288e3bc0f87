"""The privacy log moved from the CRM to the privacy room with its rows; erased ids got their CRM table."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from crm.models import ErasedExternalId
from crm.services.customers import external_id_digest
from privacy.models import PrivacyEvent


@pytest.mark.slow
def test_the_privacy_log_keeps_its_rows_when_it_moves(transactional_db):
    executor = MigrationExecutor(connection)
    # Before the move (found by name, whatever numbers merging gives the migrations).
    (ours,) = [key for key in executor.loader.graph.nodes if key == ("crm", "0007_erasedexternalid")]
    target = [parent.key for parent in executor.loader.graph.node_map[ours].parents if parent.key[0] == "crm"]
    executor.migrate([*target, ("privacy", None)])
    old_apps = executor.loader.project_state(target).apps
    ContentType.objects.clear_cache()
    old_type, _ = ContentType.objects.get_or_create(app_label="crm", model="privacyevent")
    staff = old_apps.get_model("auth", "User").objects.create(username="dpo")
    customer = old_apps.get_model("crm", "Customer").objects.create(external_id="erased-1", first_name="")
    OldEvent = old_apps.get_model("crm", "PrivacyEvent")
    digest = external_id_digest("JM-1984")
    rows = [
        OldEvent.objects.create(action="import", actor=staff, details={"source": "api", "created": 3}),
        OldEvent.objects.create(action="export", actor=staff, customer=customer),
        OldEvent.objects.create(action="erase", actor=staff, customer=customer, details={"external_id_digest": digest}),
        # Erased twice: the second run records no digest.
        OldEvent.objects.create(action="erase", actor=staff, customer=customer, details={"responses_redacted": 0}),
    ]
    before = [(e.id, e.action, e.actor_id, e.customer_id, e.details, e.created_at) for e in rows]

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()

    after = [
        (e.id, e.action, e.actor_id, e.customer_id, e.details, e.created_at)
        for e in PrivacyEvent.objects.order_by("id")
    ]
    assert after == before
    assert list(ErasedExternalId.objects.values_list("digest", "erased_at")) == [(digest, rows[2].created_at)]
    tables = connection.introspection.table_names()
    assert "privacy_privacyevent" in tables and "crm_privacyevent" not in tables
    # Permissions given on the log follow it: same content type row, new app.
    assert ContentType.objects.get_for_model(PrivacyEvent).id == old_type.id
    # The ids go on from where they were.
    assert PrivacyEvent.objects.create(action="export").id > before[-1][0]
