"""The approval SLA's dates (DOMAIN.md, Approval; issue 9). Pure.

A pending task is due N working days after it was assigned (`due_at`, set when routed). One
working day before, its approver is reminded: the same time of day on the last working day before
the deadline's date, in the region's time zone. When the deadline passes, the task escalates once
to the next superior; the approver who let it pass is flagged and counted in the month of the
escalation (region time)."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from kinerja_contracts.calendar.v1 import WorkCalendar

MAX_DAYS_BACK = 366  # a calendar without any working day for a year is not a calendar


def reminder_at(due_at: datetime, calendar: WorkCalendar, tz: ZoneInfo) -> datetime:
    """One working day before `due_at`: the previous working day, same local time (UTC out)."""
    d = due_at.astimezone(tz)
    for _ in range(MAX_DAYS_BACK):
        d -= timedelta(days=1)
        if calendar.is_working_day(d.date()):
            break
    return d.astimezone(timezone.utc)


def reminder_horizon(now: datetime, calendar: WorkCalendar, tz: ZoneInfo) -> datetime:
    """Every deadline whose reminder is due at `now` lies before this instant (a bound for the query):
    `reminder_at(due) <= now` needs the deadline's date on or before the first working day after
    today, so before the start of the day after that one."""
    d = now.astimezone(tz).date()
    for _ in range(MAX_DAYS_BACK):
        d += timedelta(days=1)
        if calendar.is_working_day(d):
            break
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=tz).astimezone(timezone.utc)


def month_of(at: datetime, tz: ZoneInfo) -> str:
    """The month (YYYY-MM) of `at` in the region's time zone."""
    return f"{at.astimezone(tz):%Y-%m}"
