"""Cases open today whose latest email is the customer's: nobody answered it, so it shows as a
customer reply to read (followups.Ticket.customer_reply_unread_at, new in followups 0012).
Done cases are left alone: their history is not new work."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def mark_unanswered(apps, schema_editor):
    Ticket = apps.get_model("followups", "Ticket")
    Message = apps.get_model("conversations", "Message")
    latest = Message.objects.filter(ticket_id=OuterRef("pk")).order_by("-created_at", "-id")
    tickets = Ticket.objects.filter(
        status__in=["new", "contacted", "waiting"], customer_reply_unread_at__isnull=True
    ).annotate(
        latest_direction=Subquery(latest.values("direction")[:1]), latest_at=Subquery(latest.values("created_at")[:1])
    )
    for ticket in tickets.filter(latest_direction="in").only("id"):
        Ticket.objects.filter(pk=ticket.pk).update(customer_reply_unread_at=ticket.latest_at)


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0006_reply_templates_how_to_reply"),
        ("followups", "0013_customer_replies_and_deadline_kpi"),
    ]

    operations = [migrations.RunPython(mark_unanswered, migrations.RunPython.noop)]
