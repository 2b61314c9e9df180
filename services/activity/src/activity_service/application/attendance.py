"""e-Absen attendance intake: a batch of days, the valid ones kept and published, each refusal
reported with its index — in the caller's unit of work."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from activity_service.domain.attendance import AttendanceDay, WorkingHours
from activity_service.persistence import repository as repo
from activity_service.persistence.reference import ReferenceCache
from kinerja_contracts.attendance.v1 import AttendanceRecordedV1
from kinerja_contracts.topics import ATTENDANCE_RECORDED
from kinerja_kit.errors import DomainError
from kinerja_kit.outbox import UnitOfWork


async def record_batch(uow: UnitOfWork, reference: ReferenceCache, records: list[tuple[int, Any]],
                       errors: list[dict], *, hours: WorkingHours, today: date, correction: bool) -> int:
    """`records`: (index, parsed record); refusals are appended to `errors`. A later record for
    the same employee and day replaces an earlier one (in the batch and in storage). Returns how
    many days were stored and published."""
    known = await repo.active_nips_among(uow.session, {r.nip for _, r in records})
    days: dict[tuple[str, date], AttendanceDay] = {}
    for index, r in records:
        if r.nip not in known:
            errors.append({"index": index, "field": "nip", "message": "unknown or inactive employee"})
            continue
        if not correction and await reference.is_closed(uow.session, r.work_date):
            errors.append({"index": index, "field": "date",
                           "message": "the month's TPP period is closed (an admin may send ?correction=true)"})
            continue
        try:
            day = AttendanceDay.record(nip=r.nip, work_date=r.work_date, status=r.status.value, check_in=r.check_in,
                                       check_out=r.check_out, late_minutes=r.late_minutes,
                                       early_leave_minutes=r.early_leave_minutes, apel_missed=r.apel_missed,
                                       leave_type=r.leave_type, hours=hours, today=today)
        except DomainError as exc:
            errors.append({"index": index, "field": exc.field or "record", "message": exc.message})
            continue
        days.pop((day.nip, day.work_date), None)
        days[(day.nip, day.work_date)] = day
    now = datetime.now(timezone.utc)
    kept = list(days.values())
    await repo.save_attendance(uow.session, kept, now)
    await uow.emit_many(ATTENDANCE_RECORDED, [AttendanceRecordedV1(
        nip=d.nip, work_date=d.work_date, status=d.status, leave_type=d.leave_type, check_in=d.check_in,
        check_out=d.check_out, late_minutes=d.late_minutes, early_leave_minutes=d.early_leave_minutes,
        apel_missed=d.apel_missed, source="e-absen", recorded_at=now) for d in kept])
    return len(kept)
