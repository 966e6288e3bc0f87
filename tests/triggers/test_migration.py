"""Each survey's former re-survey delay became its recovery trigger rule."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from triggers.models import TriggerRule


@pytest.mark.slow
def test_each_survey_delay_becomes_its_recovery_rule(transactional_db):
    executor = MigrationExecutor(connection)
    # Before the trigger rules (found by name, whatever numbers merging gives the migrations).
    (ours,) = [key for key in executor.loader.graph.nodes if key == ("triggers", "0001_trigger_rules")]
    target = [parent.key for parent in executor.loader.graph.node_map[ours].parents if parent.key[0] == "surveys"]
    executor.migrate([*target, ("triggers", None)])
    old_apps = executor.loader.project_state(target).apps
    brand = old_apps.get_model("surveys", "Brand").objects.create(name="Old brand")
    Survey = old_apps.get_model("surveys", "Survey")
    weekly = Survey.objects.create(brand=brand, name="Weekly", resurvey_after_days=7)
    Survey.objects.create(brand=brand, name="Never", resurvey_after_days=0)
    Survey.objects.create(brand=brand, name="Anonymous", resurvey_after_days=14, is_anonymous=True)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    rule = TriggerRule.objects.get()
    assert (rule.survey_id, rule.kind, rule.delay_days, rule.send_any_time, rule.is_active) == (
        weekly.id,
        "case_resolved",
        7,
        True,
        True,
    )
