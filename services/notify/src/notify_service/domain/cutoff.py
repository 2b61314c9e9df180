"""The month's cutoff and the low-activity reminder day, by the region calendar. Pure.

The cutoff is the last working day of the month; employees who have logged little work are
reminded two working days before it (a cutoff on Monday 30 November reminds on Thursday 26th)."""

from __future__ import annotations

import calendar as _calendar
from datetime import date, timedelta

from kinerja_contracts.calendar.v1 import WorkCalendar

REMIND_WORKING_DAYS_BEFORE = 2


def cutoff_day(cal: WorkCalendar, year: int, month: int) -> date:
    """The last working day of the month (its last day when, oddly, none is a working day)."""
    last = date(year, month, _calendar.monthrange(year, month)[1])
    d = last
    while d.month == month:
        if cal.is_working_day(d):
            return d
        d -= timedelta(days=1)
    return last


def low_activity_reminder_day(cal: WorkCalendar, year: int, month: int,
                              before: int = REMIND_WORKING_DAYS_BEFORE) -> date:
    """`before` working days before the cutoff (not earlier than the 1st of the month)."""
    d, left = cutoff_day(cal, year, month), before
    first = date(year, month, 1)
    while left > 0 and d > first:
        d -= timedelta(days=1)
        if cal.is_working_day(d):
            left -= 1
    return d


def period_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"
