from datetime import UTC, datetime

import pytest

from followups import sla


def test_elapsed_deadline_is_hours_after_the_answer():
    start = datetime(2026, 3, 27, 18, 0, tzinfo=UTC)  # across the spring DST change in Paris
    assert sla.first_contact_due(start, hours=48) == datetime(2026, 3, 29, 18, 0, tzinfo=UTC)


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        sla.first_contact_due(datetime(2026, 1, 1), hours=48)


@pytest.mark.parametrize("hours", [0, -5])
def test_deadline_must_be_positive(hours):
    with pytest.raises(ValueError):
        sla.first_contact_due(datetime(2026, 1, 1, tzinfo=UTC), hours=hours)
