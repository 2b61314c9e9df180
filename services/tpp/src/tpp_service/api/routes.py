"""HTTP routes of the TPP service."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel

from kinerja_contracts.tpp.v1 import BreakdownLine
from kinerja_kit.auth import CurrentPrincipal, Principal, require_roles
from kinerja_kit.http import FieldError
from tpp_service.period_close import AlreadyClosed, close, compute_all, month_bounds, to_event, utcnow
from tpp_service.persistence import repository as repo
from tpp_service.persistence.tables import Period as PeriodRow

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


class SlipOut(BaseModel):
    nip: str
    period: str
    revision: int
    status: str  # "final" (period closed) or "preview" (inputs so far, nothing stored)
    name: str
    unit_code: str
    employee_type: str
    kelas_jabatan: int
    base_amount: int
    kinerja_amount: int
    disiplin_amount: int
    deductions: int
    total_amount: int
    productivity: Decimal
    discipline_factor: Decimal
    rule_set: str
    breakdown: list[BreakdownLine]
    computed_at: datetime


def _period_out(p: PeriodRow) -> PeriodOut:
    return PeriodOut(**p.model_dump())


@router.post("/periods/{period}/close", response_model=PeriodOut)
async def close_period(
    period: PeriodParam, request: Request, principal: Principal = require_roles("admin"),
    allow_early: Annotated[bool, Query(description="close the running month before it ends (e.g. December)")] = False,
) -> PeriodOut:
    """Compute every active employee's TPP for the period and publish tpp.computed.v1 (revision 1)."""
    first, last = month_bounds(period)
    today = datetime.now(ZoneInfo(request.app.state.tpp_settings.timezone)).date()
    if first > today:
        raise FieldError("period", "the month has not started")
    if last >= today and not allow_early:
        raise FieldError("period", "the month has not ended; pass allow_early=true to close it now")
    runtime, rule_sets = request.app.state.runtime, request.app.state.rule_sets
    async with runtime.uow() as uow:
        try:
            row = await close(uow, period, rule_sets, principal.nip)
        except AlreadyClosed:
            raise HTTPException(409, detail=f"period {period} is already closed") from None
        except LookupError as exc:
            raise FieldError("period", str(exc)) from None
    return _period_out(row)


@router.get("/periods/{period}", response_model=PeriodOut)
async def get_period(period: PeriodParam, request: Request,
                     principal: Principal = require_roles(*READ_ALL_ROLES)) -> PeriodOut:
    async with request.app.state.runtime.db.sessions() as session:
        row = await repo.get_period(session, period)
    if row is None:
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
        if await repo.get_period(session, period) is not None:
            raise HTTPException(404, detail="slip not found")
        try:
            rules, results = await compute_all(session, period, request.app.state.rule_sets, only_nip=nip)
        except LookupError as exc:
            raise FieldError("period", str(exc)) from None
    if not results:
        raise HTTPException(404, detail="slip not found")
    ev = to_event(*results[0], period, 1, rules, utcnow())
    return SlipOut(**{**ev.model_dump(), "revision": 0, "status": "preview"})
