"""The Inspektorat's desk (issue 13): anomaly flags with their evidence and review, and the
thresholds that raise them (region data, replaceable by an admin)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from kinerja_kit.auth import Principal, require_roles
from kinerja_kit.errors import NotFound
from scoring_service.domain import anomaly as an
from scoring_service.persistence import dashboard as q
from scoring_service.region.dashboard import Thresholds

router = APIRouter(prefix="/v1/inspektorat")
DESK = ("inspektorat", "admin")


class FlagOut(BaseModel):
    id: int
    kind: an.Kind
    period: str
    unit_code: str
    nip: str = Field(description="the employee, or for approval flags the superior, the flag is about")
    evidence: dict[str, Any]
    state: an.State
    reason: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    history: list[dict[str, Any]]
    raised_at: datetime
    updated_at: datetime


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # server-owned or unknown fields are 422, never ignored
    state: str = Field(description="reviewed or dismissed", examples=["dismissed"])
    reason: str | None = Field(default=None, max_length=2000, description="required to dismiss")


def _out(r) -> FlagOut:
    return FlagOut(**r.model_dump())


@router.get("/flags", response_model=list[FlagOut], dependencies=[require_roles(*DESK)])
async def list_flags(
    request: Request,
    period: Annotated[str | None, Query(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$")] = None,
    unit_code: Annotated[str | None, Query(description="the unit and every unit below it")] = None,
    kind: an.Kind | None = None, state: an.State | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="page: ids lower than this")] = None,
) -> list[FlagOut]:
    """Anomaly flags, newest first."""
    db = request.app.state.runtime.db
    async with db.sessions() as session:
        units = None
        if unit_code:
            tree = await request.app.state.dashboard_trees.get(session)
            units = tree.subtree(unit_code)
        rows = await q.flags(session, period=period, units=units, kind=kind.value if kind else None,
                             state=state.value if state else None, limit=limit, before_id=before_id)
        return [_out(r) for r in rows]


@router.post("/flags/{flag_id}/review", response_model=FlagOut)
async def review_flag(flag_id: Annotated[int, Path(ge=1, le=2**31 - 1)],  # an INTEGER key
                      body: ReviewIn, request: Request,
                      principal: Principal = require_roles(*DESK)) -> FlagOut:
    """Mark a flag reviewed, or dismiss it with a reason (new → reviewed → dismissed)."""
    db = request.app.state.runtime.db
    now = datetime.now(timezone.utc)
    async with db.sessions() as session, session.begin():
        row = await q.get_flag(session, flag_id, lock=True)
        if row is None:
            raise NotFound("flag not found")
        target = an.review(row.state, body.state, body.reason)
        row.history = [*row.history, {"from": row.state, "to": target.value, "by": principal.nip,
                                      "at": now.isoformat(), "reason": body.reason}]
        row.state, row.reason, row.reviewed_by, row.reviewed_at = target.value, body.reason, principal.nip, now
        session.add(row)
        await session.flush()
        return _out(row)


class ThresholdsOut(Thresholds):
    source: str = Field(description="region (the packaged file) or admin (a replacement)")


@router.get("/thresholds", response_model=ThresholdsOut, dependencies=[require_roles(*DESK, "pimpinan")])
async def get_thresholds(request: Request) -> ThresholdsOut:
    """The thresholds in force."""
    async with request.app.state.runtime.db.sessions() as session:
        row = await q.thresholds_override(session)
        t = await request.app.state.thresholds.get(session)
    return ThresholdsOut(**t.model_dump(), source="admin" if row else "region")


@router.put("/thresholds", response_model=ThresholdsOut)
async def put_thresholds(body: Thresholds, request: Request,
                         principal: Principal = require_roles("admin")) -> ThresholdsOut:
    """Replace the region's thresholds (validated like the file); flags raised before keep theirs."""
    async with request.app.state.runtime.db.sessions() as session, session.begin():
        await q.put_thresholds(session, body.model_dump(mode="json"), principal.nip, datetime.now(timezone.utc))
    request.app.state.thresholds.invalidate()
    return ThresholdsOut(**body.model_dump(), source="admin")


@router.delete("/thresholds", response_model=ThresholdsOut)
async def reset_thresholds(request: Request,
                           principal: Principal = require_roles("admin")) -> ThresholdsOut:
    """Back to the region's packaged thresholds."""
    async with request.app.state.runtime.db.sessions() as session, session.begin():
        await q.clear_thresholds(session)
    request.app.state.thresholds.invalidate()
    return ThresholdsOut(**request.app.state.thresholds.packaged.model_dump(), source="region")
