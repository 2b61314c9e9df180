"""Working days for due dates (Mon–Fri; holidays: not yet). Pure."""

from __future__ import annotations

from datetime import datetime, timedelta


def add_working_days(start: datetime, days: int) -> datetime:
    """`start` plus `days` working days (Mon–Fri)."""
    d = start
    while days > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            days -= 1
    return d
