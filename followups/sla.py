"""Deadline arithmetic: pure functions, no database."""

from datetime import datetime, timedelta


def first_contact_due(opened_at: datetime, *, hours: int) -> datetime:
    """The first-contact deadline on an elapsed (24/7) clock."""
    if opened_at.tzinfo is None:
        raise ValueError("opened_at must be timezone-aware")
    if hours <= 0:
        raise ValueError("the deadline must be a positive number of hours")
    return opened_at + timedelta(hours=hours)
