"""The at-risk policy moved from the CRM to the customer view with its table and its rows."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from customerview.atrisk_selectors import at_risk_policy
from customerview.models import AtRiskPolicy


@pytest.mark.slow
def test_the_policy_keeps_its_rows_when_it_moves(transactional_db):
    executor = MigrationExecutor(connection)
    # The migration before the move, found by name, whatever numbers merging gives them.
    (move,) = [key for key in executor.loader.graph.nodes if key[1].endswith("_atriskpolicy_moves_to_customerview")]
    before = [parent.key for parent in executor.loader.graph.node_map[move].parents if parent.key[0] == "crm"]
    executor.migrate([*before, ("customerview", None)])
    old_apps = executor.loader.project_state(before).apps
    OldPolicy = old_apps.get_model("crm", "AtRiskPolicy")
    first = OldPolicy.objects.create(inactivity_factor=3, cart_abandoned_days=7)
    OldPolicy.objects.create(detractor_days=30)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert AtRiskPolicy._meta.db_table == "crm_atriskpolicy"
    assert AtRiskPolicy.objects.count() == 2
    policy = at_risk_policy()
    assert (policy.id, policy.inactivity_factor, policy.cart_abandoned_days) == (first.id, 3, 7)
    # The sequence goes on from the rows kept.
    assert AtRiskPolicy.objects.create().id > first.id + 1
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert "crm_atriskpolicy" in tables and "customerview_customerrisk" in tables
