"""The roll-up and the digest's deliveries moved from surveys to reporting with their rows."""

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from reporting.models import DailyNps, DigestDelivery


def _by_suffix(executor, app: str, suffix: str):
    (key,) = [key for key in executor.loader.graph.nodes if key[0] == app and key[1].endswith(suffix)]
    return key


@pytest.mark.slow
def test_rows_and_permissions_survive_the_move(transactional_db, django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip("run on PostgreSQL, where installations keep their data (the real-stack pass)")
    executor = MigrationExecutor(connection)
    moved = _by_suffix(executor, "surveys", "_dailynps_digestdelivery_to_reporting")
    before = [parent.key for parent in executor.loader.graph.node_map[moved].parents if parent.key[0] == "surveys"]
    executor.migrate(before)  # reporting 0001 depends on the move, so it is unapplied too
    old_apps = executor.loader.project_state(before).apps
    brand = old_apps.get_model("surveys", "Brand").objects.create(name="Before the move")
    survey = old_apps.get_model("surveys", "Survey").objects.create(brand=brand, name="Old", question="Q?")
    old_apps.get_model("surveys", "DailyNps").objects.create(
        day=date(2026, 3, 2), survey_id=survey.pk, channel="email", score_9=4, score_2=1
    )
    user = django_user_model.objects.create_user("manager")
    old_apps.get_model("surveys", "DigestDelivery").objects.create(week_start=date(2026, 3, 2), recipient_id=user.pk)
    old_type = ContentType.objects.get_or_create(app_label="surveys", model="dailynps")[0]

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    row = DailyNps.objects.get(survey_id=survey.pk)
    assert (row.day, row.score_9, row.score_2) == (date(2026, 3, 2), 4, 1)
    assert DigestDelivery.objects.filter(recipient=user, week_start=date(2026, 3, 2)).exists()
    old_type.refresh_from_db()
    assert old_type.app_label == "reporting"
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert "reporting_dailynps" in tables and "surveys_dailynps" not in tables
