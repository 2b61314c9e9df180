"""HTTP routes of e-Absen attendance: the batch intake and one employee's month."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import TypeAdapter, ValidationError

from activity_service.api.idempotency import IdempotencyKeyHeader, fingerprint, once
from activity_service.api.schemas import AttendanceBatchIn, AttendanceBatchOut, AttendanceDayOut, AttendanceIn
from activity_service.application import attendance
from activity_service.domain.attendance import WorkingHours
from activity_service.persistence import repository as repo
from kinerja_kit.auth import CurrentPrincipal, Principal, require_roles

router = APIRouter(prefix="/v1")
ATTENDANCE_RECORD = TypeAdapter(AttendanceIn)


@router.post("/attendance", response_model=AttendanceBatchOut)
async def post_attendance(body: AttendanceBatchIn, request: Request,
                          correction: Annotated[bool, Query(description="admin: days in a closed month")] = False,
                          key: IdempotencyKeyHeader = None,
                          principal: Principal = require_roles("admin", "absensi")) -> AttendanceBatchOut:
    """A batch of e-Absen days (up to 5,000): valid ones are stored and published
    (attendance.recorded.v1), each refused one reported by index and field."""
    if correction and not principal.has("admin"):
        raise HTTPException(403, detail="only an admin sends corrections to a closed month")
    errors: list[dict] = []
    parsed = []
    for index, raw in enumerate(body.records):
        try:
            parsed.append((index, ATTENDANCE_RECORD.validate_python(raw)))
        except ValidationError as exc:
            errors += [{"index": index, "field": ".".join(map(str, e["loc"])) or "record", "message": e["msg"]}
                       for e in exc.errors()]
    settings = request.app.state.settings
    hours = WorkingHours(settings.work_start, settings.work_end)

    async def write(uow):
        found = list(errors)
        accepted = await attendance.record_batch(uow, request.app.state.reference, parsed, found, hours=hours,
                                                 today=settings.today(), correction=correction)
        return AttendanceBatchOut(accepted=accepted, errors=sorted(found, key=lambda e: e["index"]))
    return await once(request.app.state.runtime, nip=principal.nip, key=key, status=200, write=write,
                      fp=fingerprint("POST", str(request.url), body.records))


@router.get("/attendance/{nip}/{month}", response_model=list[AttendanceDayOut])
async def get_attendance(nip: str, request: Request, principal: CurrentPrincipal,
                         month: Annotated[str, Path(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM")],
                         ) -> list[AttendanceDayOut]:
    """One employee's month: the employee, their atasan langsung, admin, bpkad, inspektorat."""
    year, mon = map(int, month.split("-"))
    first, last = date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])
    async with request.app.state.runtime.db.sessions() as session:
        owner = await repo.get_employee(session, nip)
        allowed = owner is not None and (nip == principal.nip or principal.has("admin", "bpkad", "inspektorat")
                                         or owner.supervisor_nip == principal.nip)
        if not allowed:
            raise HTTPException(404, detail="employee not found")
        rows = await repo.attendance_month(session, nip, first, last)
    return [AttendanceDayOut(**{**r.model_dump(), "date": r.work_date}) for r in rows]
