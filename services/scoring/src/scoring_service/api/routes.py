"""HTTP routes of monthly performance."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request

from kinerja_contracts.activity.v1 import ScoreExplanation
from kinerja_contracts.performance.v1 import PerformanceMonthlyV1
from kinerja_kit.auth import CurrentPrincipal
from scoring_service.application.scoring import month_view, monthly_event
from scoring_service.domain.score import Month
from scoring_service.persistence import repository as repo

router = APIRouter(prefix="/v1")
READ_ALL_ROLES = ("admin", "pimpinan", "inspektorat", "bpkad")


class ActivityScoreOut(ScoreExplanation):
    activity_id: str
    work_date: str
    type_code: str
    status: str
    minutes: int
    points: str


class PerformanceOut(PerformanceMonthlyV1):
    activities_by_status: dict[str, int]
    activities: list[ActivityScoreOut] = []


@router.get("/performance/{nip}/{period}", response_model=PerformanceOut)
async def performance(
    request: Request, principal: CurrentPrincipal, nip: str,
    period: Annotated[str, Path(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM")],
) -> PerformanceOut:
    """One employee's month with the explanation of K and of each activity's number: for the
    employee, their superior, and read-all roles."""
    region = request.app.state.region
    async with request.app.state.runtime.db.sessions() as session:
        employee = await repo.get_employee(session, nip)
        allowed = principal.nip == nip or principal.has(*READ_ALL_ROLES) or (
            employee is not None and employee.supervisor_nip == principal.nip)
        if employee is None or not allowed:
            raise HTTPException(404, detail="employee not found")
        row = await repo.get_monthly(session, nip, period)
        month = Month(nip=nip, period=period) if row is None else Month(
            nip=nip, period=period, approved_minutes=row.approved_minutes, approved_points=row.approved_points,
            approved_activities=row.approved_activities, version=row.version)
        v = await month_view(session, month, region, await request.app.state.calendar.get(session))
        scores = await repo.scores_in(session, nip, period)
    event = monthly_event(v, region, row.updated_at if row else datetime.now(timezone.utc))
    return PerformanceOut(**event.model_dump(), activities_by_status=v.counts, activities=[
        ActivityScoreOut(activity_id=s.activity_id, work_date=s.work_date.isoformat(), type_code=s.type_code,
                         status=s.status, minutes=s.minutes, points=str(s.points), **(s.explanation or {
                             "rule_version": "", "scoring_mode": region.scoring_mode, "standard_value": 0,
                             "volume": s.quantity, "weight": 1, "formula": ""}))
        for s in scores])
