"""HTTP routes of the TPP service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel

from kinerja_contracts.tpp.v1 import TppComputedV1
from kinerja_kit.auth import CurrentPrincipal, Principal, require_roles
from tpp_service.application.period_close import close, compute_all, to_event, utcnow
from tpp_service.domain.period import Period, PeriodStatus
from tpp_service.persistence import repository as repo

router = APIRouter(prefix="/v1")
PeriodParam = Annotated[str, Path(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
READ_ALL_ROLES = ("admin", "bpkad", "inspektorat", "pimpinan")


class PeriodOut(BaseModel):
    period: str
    status: str
    revision: int
    employee_count: int
    total_amount: int
    closed_at: datetime
    closed_by: str


class SlipOut(TppComputedV1):
    """The payroll record of tpp.computed.v1, plus whether it is final."""
    revision: int  # 0 for a preview
    status: str  # "final" (period closed) or "preview" (inputs so far, nothing stored)


def _period_out(p: Period) -> PeriodOut:
    return PeriodOut(period=p.period, status=p.status, revision=p.revision, employee_count=p.employee_count,
                     total_amount=p.total_amount, closed_at=p.closed_at, closed_by=p.closed_by)


@router.post("/periods/{period}/close", response_model=PeriodOut)
async def close_period(
    period: PeriodParam, request: Request, principal: Principal = require_roles("admin"),
    allow_early: Annotated[bool, Query(description="close the running month before it ends (e.g. December)")] = False,
) -> PeriodOut:
    """Compute every active employee's TPP for the period and publish tpp.computed.v1 (revision 1)."""
    today = request.app.state.settings.today()
    async with request.app.state.runtime.uow() as uow:
        work_calendar = await request.app.state.calendar.get(uow.session, fresh=True)
        row = await close(uow, period, request.app.state.rule_sets, work_calendar, principal.nip, today=today,
                          allow_early=allow_early)
    return _period_out(row)


@router.get("/periods/{period}", response_model=PeriodOut)
async def get_period(period: PeriodParam, request: Request,
                     principal: Principal = require_roles(*READ_ALL_ROLES)) -> PeriodOut:
    async with request.app.state.runtime.db.sessions() as session:
        row = await repo.get_period(session, period)
    if row.status != PeriodStatus.CLOSED:
        raise HTTPException(404, detail=f"period {period} is not closed")
    return _period_out(row)


@router.get("/tpp/{period}/{nip}", response_model=SlipOut)
async def slip(period: PeriodParam, nip: str, request: Request, principal: CurrentPrincipal) -> SlipOut:
    """The slip: the closed period's latest revision, or a preview from the inputs so far."""
    if principal.nip != nip and not principal.has(*READ_ALL_ROLES):
        raise HTTPException(404, detail="slip not found")
    async with request.app.state.runtime.db.sessions() as session:
        row = await repo.latest_computation(session, period, nip)
        if row is not None:
            return SlipOut(**row.model_dump(), status="final")
        if (await repo.get_period(session, period)).status == PeriodStatus.CLOSED:
            raise HTTPException(404, detail="slip not found")
        rules, results = await compute_all(session, period, request.app.state.rule_sets,
                                           await request.app.state.calendar.get(session), only_nip=nip)
    if not results:
        raise HTTPException(404, detail="slip not found")
    ev = to_event(*results[0], period, 1, rules, utcnow())
    return SlipOut(**{**ev.model_dump(), "revision": 0, "status": "preview"})
