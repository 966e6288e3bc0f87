"""Helpers for the apps' privacy modules (`<app>/privacy.py`, found by the privacy room).

Each app that holds personal data about customers writes its own export and erase functions;
these two keep the export document alike across apps: plain JSON values, staff by username.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal


def plain(value):
    """A value JSON can hold as is: ISO dates, decimals and UUIDs as strings."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def username(user) -> str | None:
    """How an export names a member of staff: by username (None for the system)."""
    return user.get_username() if user is not None else None
