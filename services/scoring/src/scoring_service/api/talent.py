"""HTTP routes of the 9-box talent grid: potential imported from assessment results (CSV) and the
grid of a unit for a period. Pimpinan, admin (BKPSDMD) only."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Annotated

from fastapi import Query, Request
from fastapi import APIRouter
from pydantic import BaseModel, Field

from kinerja_kit.auth import Principal, require_roles
from kinerja_kit.http import FieldError, problem
from scoring_service.application import talent as use
from scoring_service.domain.talent import SUCCESSION_POOL
from scoring_service.persistence import appraisal as store

router = APIRouter(prefix="/v1")
GRID_ROLES = ("pimpinan", "admin")
MAX_FILE_BYTES = 5 * 1024 * 1024
PERIOD = r"^(19|20)[0-9]{2}(-(0[1-9]|1[0-2]|Q[1-4]))?$"


class PotentialImportOut(BaseModel):
    imported: int
    dry_run: bool = False
    boxes_assigned: int = Field(0, description="talent.box-assigned.v1 published for `period`")
    period: str
    errors: list[dict] = Field(default_factory=list)


class PlacedOut(BaseModel):
    nip: str
    name: str
    box: int | None
    performance: str
    performance_source: str = Field(description="predikat (a final appraisal of the period) or productivity (mean K)")
    predikat: str | None = None
    productivity: str | None = None
    potential: str | None
    potential_assessed_on: date | None


class NineBoxOut(BaseModel):
    unit_code: str
    period: str
    boxes: dict[str, list[PlacedOut]] = Field(description="box 1-9 -> its employees")
    succession_pool: list[PlacedOut] = Field(description="boxes 7, 8 and 9")
    unassessed: list[PlacedOut] = Field(description="no potential assessed by the period's end")


@router.post("/talent/potential", response_model=PotentialImportOut,
             responses={422: {"description": "rows refused: `errors` by row and field; nothing stored"}},
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}, "example": (
                 "nip,potential,assessed_on,score,instrument\n198503302010011002,tinggi,2026-11-20,82.5,Assessment Center BKD\n")}}}})
async def import_potential(request: Request, principal: Principal = require_roles("admin"),
                           period: Annotated[str | None, Query(pattern=PERIOD, description="the grid period whose boxes "
                                                               "are published; this year by default")] = None,
                           dry_run: Annotated[bool, Query(description="validate and count, store nothing")] = False):
    """BKPSDMD (admin) imports potential per employee from assessment results, CSV
    `nip,potential,assessed_on[,score,instrument]` (potential rendah / menengah / tinggi), all or
    nothing; each employee's box for `period` is then published (talent.box-assigned.v1)."""
    raw = await request.body()
    if len(raw) > MAX_FILE_BYTES:
        raise FieldError("file", f"larger than {MAX_FILE_BYTES} bytes", 413)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FieldError("file", "must be UTF-8 text") from None
    today = request.app.state.settings.today()
    period = period or str(today.year)
    async with request.app.state.runtime.uow() as uow:
        nips = {line.split(",", 1)[0].strip() for line in text.splitlines()[1:] if line.strip()}
        known = set((await store.employees(uow.session, list(nips))).keys()) if nips else set()
        rows, errors = use.parse_potential_csv(text, known, today)
        if errors:
            return problem(422, f"{len(errors)} error(s); nothing was imported", errors=errors)
        if not rows:
            raise FieldError("file", "no rows")
        if dry_run:
            return PotentialImportOut(imported=len(rows), dry_run=True, period=period)
        now = datetime.now(timezone.utc)
        await store.save_potentials(uow.session, [r | {"imported_by": principal.nip, "imported_at": now} for r in rows])
        assigned = await use.assign(uow, request.app.state.appraisal_rules, sorted({r["nip"] for r in rows}), period, now)
    return PotentialImportOut(imported=len(rows), boxes_assigned=assigned, period=period)


@router.get("/talent/nine-box", response_model=NineBoxOut)
async def nine_box(request: Request, unit_code: Annotated[str, Query(min_length=1, max_length=50)],
                   period: Annotated[str, Query(pattern=PERIOD, description="YYYY, YYYY-MM or YYYY-Qn")],
                   principal: Principal = require_roles(*GRID_ROLES)) -> NineBoxOut:
    """Every active employee of the unit in a box 1-9: performance from the final predikat of the
    period, else from K (region mapping), × the latest potential assessed by the period's end;
    the succession pool is boxes 7, 8 and 9."""
    async with request.app.state.runtime.db.sessions() as session:
        placed = await use.place(session, request.app.state.appraisal_rules,
                                 await store.unit_employees(session, unit_code), period)
    out = [PlacedOut(nip=p.employee.nip, name=p.employee.name, box=p.box, performance=p.performance.level.value,
                     performance_source=p.performance.source,
                     predikat=p.performance.predikat.value if p.performance.predikat else None,
                     productivity=str(p.performance.productivity) if p.performance.productivity is not None else None,
                     potential=p.potential, potential_assessed_on=p.assessed_on) for p in placed]
    return NineBoxOut(unit_code=unit_code, period=period,
                      boxes={str(b): [o for o in out if o.box == b] for b in range(1, 10)},
                      succession_pool=[o for o in out if o.box in SUCCESSION_POOL],
                      unassessed=[o for o in out if o.box is None])
