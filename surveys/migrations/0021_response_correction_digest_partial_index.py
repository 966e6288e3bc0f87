"""The correction digest indexed only where it is set (anonymous answers): response_correction_digest.

Named answers, most of them, have an empty digest, and each wrote two index entries for it (the
column's index and its `_like` twin, which no query uses). The partial index serves the one lookup,
an anonymous answer by the digest of the key in the respondent's cookie. On a large table the build
reads every answer and holds writes to them meanwhile (a few seconds for ten million answers):
run the migration in a quiet hour.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0020_response_by_customer_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="response",
            index=models.Index(
                condition=~models.Q(correction_digest=""),
                fields=["correction_digest"],
                name="response_correction_digest",
            ),
        ),
        migrations.AlterField(
            model_name="response",
            name="correction_digest",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="correction digest"),
        ),
    ]
