"""Rules for logging an activity. Pure functions: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from kinerja_kit.http import FieldError

SUBMITTED = "submitted"
PENDING_APPROVAL = "pending_approval"
DECISION_STATUS = {"approve": "approved", "reject": "rejected", "return": "returned"}
OPEN_STATUSES = {SUBMITTED, PENDING_APPROVAL, "approved", "returned"}  # occupy their time span


@dataclass(frozen=True)
class TypeInfo:
    code: str
    active: bool
    allowed_position_kinds: list[str]
    effective_from: date = date.min


def working_days_between(earlier: date, later: date) -> int:
    """Working days (Mon–Fri) after `earlier` up to and including `later`."""
    days, d = 0, earlier
    while d < later:
        d += timedelta(days=1)
        if d.weekday() < 5:
            days += 1
    return days


def check_new_activity(
    *,
    type_info: TypeInfo | None,
    position_kind: str,
    work_date: date,
    start_time: time,
    end_time: time,
    today: date,
    backdate_working_days: int,
    taken_spans: list[tuple[time, time]],
    period_closed: bool = False,
) -> None:
    """Raise FieldError naming the first offending field, or return when the activity may be logged."""
    if type_info is None or not type_info.active:
        raise FieldError("type_code", "unknown activity type")
    if type_info.allowed_position_kinds and position_kind not in type_info.allowed_position_kinds:
        raise FieldError("type_code", f"not allowed for position kind {position_kind}")
    if end_time <= start_time:
        raise FieldError("end_time", "must be after start_time")
    if work_date > today:
        raise FieldError("date", "must not be in the future")
    if working_days_between(work_date, today) > backdate_working_days:
        raise FieldError("date", f"older than the backdate window of {backdate_working_days} working days")
    if work_date < type_info.effective_from:
        raise FieldError("type_code", f"not in force before {type_info.effective_from.isoformat()}")
    if period_closed:
        raise FieldError("date", "the month's TPP period is closed")
    for start, end in taken_spans:
        if start_time < end and start < end_time:
            raise FieldError("start_time", f"overlaps another activity from {start:%H:%M} to {end:%H:%M}", 409)
