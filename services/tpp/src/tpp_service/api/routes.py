"""HTTP routes of the TPP service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from kinerja_contracts.tpp.v1 import ComponentChange, OpdTotal, TppComputedV1
from kinerja_kit.auth import CurrentPrincipal, Principal, require_roles
from tpp_service.application.period_close import close, compute_all, cutoff, recompute, to_event, utcnow
from tpp_service.domain.period import Period, PeriodStatus
from tpp_service.persistence import repository as repo

router = APIRouter(prefix="/v1")
PeriodParam = Annotated[str, Path(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
READ_ALL_ROLES = ("admin", "bpkad", "inspektorat", "pimpinan")


class PendingOut(BaseModel):
    nip: str
    reason: str
    since: datetime


class PeriodOut(BaseModel):
    period: str
    status: str = Field(description="open, cutoff or closed")
    revision: int
    employee_count: int
    total_amount: int
    closed_at: datetime | None
    closed_by: str | None
    cutoff_at: datetime | None = None
    opd_totals: list[OpdTotal] = Field(default_factory=list)
    pending_revisions: list[PendingOut] = Field(default_factory=list, description="inputs that arrived after "
                                                "the close: published by POST …/recompute")


class RevisionOut(BaseModel):
    revision: int
    total_amount: int
    computed_at: datetime
    reason: str | None
    changes: list[ComponentChange]


class SlipOut(TppComputedV1):
    """The payroll record of tpp.computed.v1, plus whether it is final and every revision."""
    revision: int  # 0 for a preview
    status: str  # "final" (period closed) or "preview" (inputs so far, nothing stored)
    revisions: list[RevisionOut] = Field(default_factory=list, description="every revision, oldest first")


class RecomputeOut(BaseModel):
    period: str
    revision: int
    revised: list[TppComputedV1]
    unchanged: list[str] = Field(description="NIPs whose inputs changed nothing")


def _period_out(p: Period, totals: list[OpdTotal] | None = None, pending: list | None = None) -> PeriodOut:
    return PeriodOut(period=p.period, status=p.status, revision=p.revision, employee_count=p.employee_count,
                     total_amount=p.total_amount, closed_at=p.closed_at, closed_by=p.closed_by,
                     cutoff_at=p.cutoff_at, opd_totals=totals or [],
                     pending_revisions=[PendingOut(nip=x.nip, reason=x.reason, since=x.since) for x in pending or []])


EarlyParam = Annotated[bool, Query(description="close the running month before it ends (e.g. December)")]


@router.post("/periods/{period}/cutoff", response_model=PeriodOut)
async def cutoff_period(period: PeriodParam, request: Request, principal: Principal = require_roles("admin"),
                        allow_early: EarlyParam = False) -> PeriodOut:
    """open -> cutoff: fix the instant of the close (its records carry it). Inputs keep arriving
    and are in the close; the close itself takes its snapshot."""
    async with request.app.state.runtime.uow() as uow:
        state = await cutoff(uow, period, today=request.app.state.settings.today(), allow_early=allow_early)
    return _period_out(state)


@router.post("/periods/{period}/close", response_model=PeriodOut)
async def close_period(period: PeriodParam, request: Request, principal: Principal = require_roles("admin"),
                       allow_early: EarlyParam = False) -> PeriodOut:
    """Compute every employee's TPP for the period and publish tpp.computed.v1 (revision 1), then
    the manifest tpp.period.closed.v1 with the control totals per OPD. Cuts the period off first
    when that was not done; safe to retry after a crash (the same records)."""
    today, settings = request.app.state.settings.today(), request.app.state.settings
    runtime = request.app.state.runtime
    async with runtime.uow() as uow:
        await cutoff(uow, period, today=today, allow_early=allow_early)
    async with runtime.uow() as uow:
        work_calendar = await request.app.state.calendar.get(uow.session, fresh=True)
        row = await close(uow, period, request.app.state.rule_sets, work_calendar, principal.nip, today=today,
                          allow_early=allow_early, fault_hold_seconds=settings.fault_close_hold_seconds)
    async with runtime.db.sessions() as session:
        return _period_out(row, await repo.opd_totals(session, period))


@router.post("/periods/{period}/recompute", response_model=RecomputeOut)
async def recompute_period(period: PeriodParam, request: Request,
                           principal: Principal = require_roles("admin")) -> RecomputeOut:
    """Publish the pending revisions of a closed period (inputs that arrived after its close:
    performance, sanctions): each changed slip as revision n + 1 with its reason and the
    difference per component, then the period's new totals."""
    async with request.app.state.runtime.uow() as uow:
        work_calendar = await request.app.state.calendar.get(uow.session, fresh=True)
        revised, unchanged = await recompute(uow, period, request.app.state.rule_sets, work_calendar)
        state = await repo.get_period(uow.session, period)
    return RecomputeOut(period=period, revision=state.revision, revised=revised, unchanged=unchanged)


@router.get("/periods/{period}", response_model=PeriodOut)
async def get_period(period: PeriodParam, request: Request,
                     principal: Principal = require_roles(*READ_ALL_ROLES)) -> PeriodOut:
    """A cut-off or closed period: its counts, control totals per OPD and pending revisions."""
    async with request.app.state.runtime.db.sessions() as session:
        row = await repo.get_period(session, period)
        if row.status == PeriodStatus.OPEN:
            raise HTTPException(404, detail=f"period {period} is not cut off or closed")
        totals = await repo.opd_totals(session, period)
        pending = await repo.pending(session, period)
    return _period_out(row, totals, pending)


@router.get("/tpp/{period}/{nip}", response_model=SlipOut)
async def slip(period: PeriodParam, nip: str, request: Request, principal: CurrentPrincipal) -> SlipOut:
    """The slip: the closed period's latest revision, or a preview from the inputs so far."""
    if principal.nip != nip and not principal.has(*READ_ALL_ROLES):
        raise HTTPException(404, detail="slip not found")
    async with request.app.state.runtime.db.sessions() as session:
        rows = await repo.computations(session, period, nip)
        if rows:
            return SlipOut(**rows[-1].model_dump(), status="final", revisions=[
                RevisionOut(revision=r.revision, total_amount=r.total_amount, computed_at=r.computed_at,
                            reason=r.reason, changes=r.changes) for r in rows])
        if (await repo.get_period(session, period)).status == PeriodStatus.CLOSED:
            raise HTTPException(404, detail="slip not found")
        rules, results = await compute_all(session, period, request.app.state.rule_sets,
                                           await request.app.state.calendar.get(session), only_nip=nip)
    if not results:
        raise HTTPException(404, detail="slip not found")
    ev = to_event(*results[0], period, 1, rules, utcnow())
    return SlipOut(**{**ev.model_dump(), "revision": 0, "status": "preview"})
