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
    with pytest.raises(CommandError, match="already loaded"):
        call_command("load_demo_data")
    call_command("load_demo_data", skip_if_loaded=True)
    assert Response.objects.count() == 2000
