import pytest
from django.core.management import CommandError, call_command

from followups.models import Ticket
from surveys.models import Response
from surveys.selectors import nps_summary


@pytest.mark.slow
def test_demo_data_loads_once_and_is_realistic(db, capsys):
    call_command("load_demo_data", seed=1)
    out = capsys.readouterr().out
    assert "manager" in out and "agent1" in out
    assert Response.objects.count() == 2000
    summary = nps_summary()
    assert 10 < summary.score < 40
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert {"new", "resolved"} <= statuses
    # The follow-up figures the dashboard reads are frozen on the cases, as the services do.
    contacted = Ticket.objects.filter(first_contacted_at__isnull=False)
    assert contacted.exists() and not contacted.filter(minutes_to_first_contact__isnull=True).exists()
    assert contacted.filter(first_contact_met=True).exists() and contacted.filter(first_contact_met=False).exists()
    resurveyed = Ticket.objects.filter(resurvey_score__isnull=False)
    assert resurveyed.exists()
    assert all(t.resurvey_invitation.response.score == t.resurvey_score for t in resurveyed)
    with pytest.raises(CommandError, match="already loaded"):
        call_command("load_demo_data")
    call_command("load_demo_data", skip_if_loaded=True)
    assert Response.objects.count() == 2000
