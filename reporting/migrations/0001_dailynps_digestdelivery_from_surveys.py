# The daily roll-up and the digest's deliveries, moved here from surveys with their rows:
# surveys 0018 renamed the tables; this takes over the models in Django's state only, and moves
# their content types (and so the permissions given on them) to this app.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MOVED = ("dailynps", "digestdelivery")


def _content_types_to(apps, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not content_type.objects.filter(app_label=target, model=model).exists():
            content_type.objects.filter(app_label=source, model=model).update(app_label=target)


def _content_types_to_reporting(apps, schema_editor) -> None:
    _content_types_to(apps, "surveys", "reporting")


def _content_types_to_surveys(apps, schema_editor) -> None:
    _content_types_to(apps, "reporting", "surveys")


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0018_dailynps_digestdelivery_to_reporting"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DailyNps",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("day", models.DateField()),
                        (
                            "channel",
                            models.CharField(
                                choices=[
                                    ("email", "Email"),
                                    ("public_form", "Public feedback form"),
                                    ("in_store", "In store"),
                                ],
                                max_length=20,
                            ),
                        ),
                        ("is_resurvey", models.BooleanField(default=False)),
                        ("score_0", models.PositiveIntegerField(default=0)),
                        ("score_1", models.PositiveIntegerField(default=0)),
                        ("score_2", models.PositiveIntegerField(default=0)),
                        ("score_3", models.PositiveIntegerField(default=0)),
                        ("score_4", models.PositiveIntegerField(default=0)),
                        ("score_5", models.PositiveIntegerField(default=0)),
                        ("score_6", models.PositiveIntegerField(default=0)),
                        ("score_7", models.PositiveIntegerField(default=0)),
                        ("score_8", models.PositiveIntegerField(default=0)),
                        ("score_9", models.PositiveIntegerField(default=0)),
                        ("score_10", models.PositiveIntegerField(default=0)),
                        (
                            "survey",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="surveys.survey"
                            ),
                        ),
                    ],
                    options={
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("day", "survey", "channel", "is_resurvey"), name="daily_nps_once"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="DigestDelivery",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("week_start", models.DateField()),
                        ("sent_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "recipient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "constraints": [
                            models.UniqueConstraint(fields=("week_start", "recipient"), name="digest_once_a_week")
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(_content_types_to_reporting, _content_types_to_surveys),
    ]
