"""Fill the frozen metrics of cases contacted or resolved before the services set them.

Wall-clock minutes from the answer (or the case's opening when it has none), as the services
do; "within the deadline" compares with the deadline stored on the case.
"""

from django.db import migrations

BATCH = 1000


def _minutes(start, end):
    return max(int((end - start).total_seconds() // 60), 0)


def fill_metrics(apps, schema_editor):
    Ticket = apps.get_model("followups", "Ticket")
    todo = (
        Ticket.objects.filter(first_contacted_at__isnull=False, minutes_to_first_contact__isnull=True)
        | Ticket.objects.filter(resolved_at__isnull=False, minutes_to_resolution__isnull=True)
    ).select_related("response")
    batch = []
    for ticket in todo.iterator(chunk_size=BATCH):
        start = ticket.response.submitted_at if ticket.response_id else ticket.opened_at
        if ticket.first_contacted_at is not None and ticket.minutes_to_first_contact is None:
            ticket.minutes_to_first_contact = _minutes(start, ticket.first_contacted_at)
            ticket.first_contact_met = ticket.first_contacted_at <= ticket.first_contact_due_at
        if ticket.resolved_at is not None and ticket.minutes_to_resolution is None:
            ticket.minutes_to_resolution = _minutes(start, ticket.resolved_at)
        batch.append(ticket)
        if len(batch) >= BATCH:
            Ticket.objects.bulk_update(
                batch, ["minutes_to_first_contact", "first_contact_met", "minutes_to_resolution"]
            )
            batch = []
    if batch:
        Ticket.objects.bulk_update(batch, ["minutes_to_first_contact", "first_contact_met", "minutes_to_resolution"])


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0006_event_kinds"),
        ("surveys", "0003_digestdelivery"),
    ]

    operations = [migrations.RunPython(fill_metrics, migrations.RunPython.noop)]
