# The at-risk policy comes from the CRM (crm.0007) with its table, crm_atriskpolicy, and its rows:
# only Django's idea of which app owns it changes.

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("crm", "0010_atriskpolicy_moves_to_customerview"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AtRiskPolicy",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("inactivity_factor", models.DecimalField(decimal_places=1, default=2, max_digits=4, verbose_name="no purchase for longer than k × the usual interval (k)")),
                        ("min_purchases_for_interval", models.PositiveSmallIntegerField(default=3, verbose_name="purchases needed to know the usual interval")),
                        ("cart_abandoned_days", models.PositiveSmallIntegerField(default=14, verbose_name="cart abandoned without purchase in the last (days)")),
                        ("unsubscribed_days", models.PositiveSmallIntegerField(default=30, verbose_name="newsletter unsubscribe in the last (days)")),
                        ("detractor_days", models.PositiveSmallIntegerField(default=90, verbose_name="detractor answer in the last (days)")),
                    ],
                    options={
                        "verbose_name": "at-risk policy",
                        "verbose_name_plural": "at-risk policy",
                        "db_table": "crm_atriskpolicy",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
