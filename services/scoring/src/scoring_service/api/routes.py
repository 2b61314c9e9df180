"""HTTP routes of the scoring service."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from pydantic import BaseModel

from kinerja_kit.auth import CurrentPrincipal
from scoring_service.persistence import repository as repo

router = APIRouter(prefix="/v1")
READ_ALL_ROLES = ("admin", "pimpinan", "inspektorat", "bpkad")


class CatalogItem(BaseModel):
    code: str
    name: str
    unit: str
    standard_minutes: int | None
    points: Decimal | None
    evidence_required: bool
    allowed_position_kinds: list[str]
    effective_from: date


class PerformanceOut(BaseModel):
    nip: str
    period: str
    scoring_mode: str
    approved_minutes: int
    approved_points: Decimal
    approved_activities: int
    workdays: int
    target_minutes: int
    productivity: Decimal
    activities_by_status: dict[str, int]


@router.get("/catalog", response_model=list[CatalogItem])
async def catalog(request: Request, principal: CurrentPrincipal) -> list[CatalogItem]:
    """Activity types in force today."""
    today = request.app.state.settings.today()
    async with request.app.state.runtime.db.sessions() as session:
        rows = await repo.current_catalog(session, today)
    return [CatalogItem(code=r.code, name=r.name, unit=r.unit, standard_minutes=r.standard_minutes,
                        points=r.points, evidence_required=r.evidence_required,
                        allowed_position_kinds=r.allowed_position_kinds, effective_from=r.effective_from)
            for r in rows]


@router.get("/performance/{nip}/{period}", response_model=PerformanceOut)
async def performance(
    request: Request, principal: CurrentPrincipal, nip: str,
    period: Annotated[str, Path(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")],
) -> PerformanceOut:
    """One employee's month: for the employee, their superior, and read-all roles."""
    region = request.app.state.region
    async with request.app.state.runtime.db.sessions() as session:
        employee = await repo.get_employee(session, nip)
        allowed = principal.nip == nip or principal.has(*READ_ALL_ROLES) or (
            employee is not None and employee.supervisor_nip == principal.nip)
        if employee is None or not allowed:
            raise HTTPException(404, detail="employee not found")
        row = await repo.get_monthly(session, nip, period)
        work_calendar = await request.app.state.calendar.get(session)
        year, mon = map(int, period.split("-"))
        counts = await repo.status_counts(session, nip, date(year, mon, 1),
                                          date(year, mon, calendar.monthrange(year, mon)[1]))
    minutes = row.approved_minutes if row else 0
    points = Decimal(row.approved_points) if row else Decimal(0)
    m = region.month(period, minutes, points, work_calendar)
    return PerformanceOut(nip=nip, period=period, scoring_mode=region.scoring_mode, approved_minutes=minutes,
                          approved_points=points, approved_activities=row.approved_activities if row else 0,
                          workdays=m.workdays, target_minutes=m.target_minutes, productivity=m.productivity,
                          activities_by_status=counts)
