"""A customer's answers, with what the NPS counts, in one index (response_by_customer).

The dashboard and the NPS API filtered on the customers (a region, an age band, a custom
attribute) read the answers of those customers. The index on (customer, submitted_at) now carries
the id, survey, channel, score and re-survey flag too, so PostgreSQL reads those answers from the
index alone instead of scanning every answer (bench/dashboard.py, region filter, all time). It
replaces the unnamed (customer, submitted_at) index, and the customer key's and the survey key's
own indexes go: (customer, submitted_at) and (survey, submitted_at) lead with them, and each index
is one more write per answer. SQLite has no INCLUDE: it
gets the plain two-column index.

The new index is built before the old ones are dropped, so no query is left without one. On a
large table the build holds writes to the answers for its duration (about ten seconds for ten
million answers on the bench machine): run the migration in a quiet hour.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0010_atriskpolicy_moves_to_customerview"),
        ("surveys", "0019_survey_updated_at"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="response",
            index=models.Index(
                fields=["customer", "submitted_at"],
                include=("id", "survey", "channel", "score", "is_resurvey"),
                name="response_by_customer",
            ),
        ),
        migrations.RemoveIndex(
            model_name="response",
            name="surveys_res_custome_543901_idx",
        ),
        migrations.AlterField(
            model_name="response",
            name="customer",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="responses",
                to="crm.customer",
                verbose_name="customer",
            ),
        ),
        migrations.AlterField(
            model_name="response",
            name="survey",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="responses",
                to="surveys.survey",
                verbose_name="survey",
            ),
        ),
    ]
