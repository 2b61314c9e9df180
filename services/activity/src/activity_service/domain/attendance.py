"""One employee's attendance for one day (DOMAIN.md, Attendance). Pure.

Late and early minutes are what the e-Absen system says, or, when it sends only the times, the
minutes after the start or before the end of the region's working hours on a working status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from kinerja_kit.errors import InvalidField

WORKING = frozenset({"hadir", "terlambat", "pulang_cepat"})  # due at work that day
LEAVE = frozenset({"cuti"})


@dataclass(frozen=True)
class WorkingHours:
    start: time = time(7, 30)
    end: time = time(16, 0)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


@dataclass(frozen=True)
class AttendanceDay:
    nip: str
    work_date: date
    status: str
    check_in: time | None = None
    check_out: time | None = None
    late_minutes: int = 0
    early_leave_minutes: int = 0
    apel_missed: bool = False
    leave_type: str | None = None

    @classmethod
    def record(cls, *, nip: str, work_date: date, status: str, check_in: time | None, check_out: time | None,
               late_minutes: int | None, early_leave_minutes: int | None, apel_missed: bool,
               leave_type: str | None, hours: WorkingHours, today: date) -> "AttendanceDay":
        """A day as e-Absen reports it, checked, with late/early minutes derived where not sent."""
        if work_date > today:
            raise InvalidField("date", "must not be in the future")
        if check_in and check_out and check_out < check_in:
            raise InvalidField("check_out", "must not be before check_in")
        if status in LEAVE and not leave_type:
            raise InvalidField("leave_type", "required when status is cuti")
        working = status in WORKING
        if late_minutes is None:
            late_minutes = max(0, _minutes(check_in) - _minutes(hours.start)) if working and check_in else 0
        if early_leave_minutes is None:
            early_leave_minutes = max(0, _minutes(hours.end) - _minutes(check_out)) if working and check_out else 0
        return cls(nip=nip, work_date=work_date, status=status, check_in=check_in, check_out=check_out,
                   late_minutes=late_minutes, early_leave_minutes=early_leave_minutes,
                   apel_missed=apel_missed, leave_type=leave_type)
