from django.db import migrations


def mark_resurvey_links(apps, schema_editor):
    """Links sent before the flag existed: a case's re-survey link is one."""
    Invitation = apps.get_model("surveys", "Invitation")
    Ticket = apps.get_model("followups", "Ticket")
    linked = Ticket.objects.filter(resurvey_invitation__isnull=False).values("resurvey_invitation_id")
    Invitation.objects.filter(id__in=linked).update(is_resurvey=True)


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0010_inbox_search_trigram_indexes"),
        ("surveys", "0007_invitation_is_resurvey"),
    ]

    operations = [migrations.RunPython(mark_resurvey_links, migrations.RunPython.noop)]
