"""Use cases of the 9-box talent grid: import potential (assessment results), place each employee
of a unit in a box for a period, and publish talent.box-assigned.v1 when a box is assigned (on an
import, and when a predikat becomes final)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_contracts.talent.v1 import Potential, TalentBoxAssignedV1
from kinerja_contracts.topics import TALENT_BOX_ASSIGNED
from kinerja_kit.outbox import UnitOfWork
from scoring_service.domain import talent as grid_
from scoring_service.domain.appraisal import period_months
from scoring_service.domain.scoring import period_bounds
from scoring_service.persistence import appraisal as store
from scoring_service.persistence.tables import Employee
from scoring_service.region.appraisal import AppraisalRules

COLUMNS = ("nip", "potential", "assessed_on")
OPTIONAL = ("score", "instrument")
MAX_ROWS = 50_000


@dataclass(frozen=True)
class Placement:
    employee: Employee
    box: int | None  # None: no potential assessed by the period's end
    performance: grid_.Performance
    potential: str | None
    assessed_on: date | None


def period_end(period: str) -> date:
    year, _, last = period_months(period)
    return period_bounds(f"{year:04d}-{last:02d}")[1]


def months_of(period: str) -> list[str]:
    year, first, last = period_months(period)
    return [f"{year:04d}-{m:02d}" for m in range(first, last + 1)]


async def place(session: AsyncSession, rules: AppraisalRules, people: list[Employee], period: str) -> list[Placement]:
    nips = [e.nip for e in people]
    final = await store.final_predikat(session, nips, period)
    ks = await store.monthly_k(session, [n for n in nips if n not in final], months_of(period))
    potentials = await store.potentials(session, nips, period_end(period))
    out = []
    for e in people:
        perf = grid_.from_predikat(final[e.nip], rules.performance_from_predikat) if e.nip in final else \
            grid_.from_productivity(grid_.mean_k(ks.get(e.nip, [])), rules.productivity_thresholds)
        pot = potentials.get(e.nip)
        out.append(Placement(e, grid_.box(perf.level, Potential(pot.potential)) if pot else None, perf,
                             pot.potential if pot else None, pot.assessed_on if pot else None))
    return out


async def assign(uow: UnitOfWork, rules: AppraisalRules, nips: list[str], period: str, now: datetime) -> int:
    """Publish the box of each employee with a potential (talent.box-assigned.v1)."""
    people = list((await store.employees(uow.session, nips)).values())
    placed = [p for p in await place(uow.session, rules, people, period) if p.box is not None]
    await uow.emit_many(TALENT_BOX_ASSIGNED, [TalentBoxAssignedV1(
        nip=p.employee.nip, unit_code=p.employee.unit_code, period=period, box=p.box,
        succession_pool=grid_.in_succession_pool(p.box), performance=p.performance.level,
        performance_source=p.performance.source, predikat=p.performance.predikat,
        productivity=p.performance.productivity, potential=p.potential, potential_assessed_on=p.assessed_on,
        assigned_at=now) for p in placed])
    return len(placed)


def parse_potential_csv(text: str, known: set[str], today: date) -> tuple[list[dict], list[dict]]:
    """Rows of `nip,potential,assessed_on[,score,instrument]`; every error with its row and field."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if missing := [c for c in COLUMNS if c not in header]:
        return [], [{"row": 1, "field": missing[0], "message": "required column missing"}]
    if unknown := [c for c in header if c not in COLUMNS + OPTIONAL]:
        return [], [{"row": 1, "field": unknown[0], "message": "unknown column"}]
    rows, errors, seen = [], [], set()
    for i, raw in enumerate(reader, start=2):
        if i - 1 > MAX_ROWS:
            errors.append({"row": i, "field": "file", "message": f"at most {MAX_ROWS} rows"})
            break
        r = {k.strip(): (v or "").strip() for k, v in raw.items() if k}

        def err(f, m):
            errors.append({"row": i, "field": f, "message": m})
        if r["nip"] not in known:
            err("nip", "not an employee in the organisation data")
            continue
        if r["potential"] not in {p.value for p in Potential}:
            err("potential", "rendah, menengah or tinggi")
            continue
        try:
            on = date.fromisoformat(r["assessed_on"])
        except ValueError:
            err("assessed_on", "YYYY-MM-DD")
            continue
        if on > today:
            err("assessed_on", "must not be in the future")
            continue
        score = None
        if r.get("score"):
            try:
                score = Decimal(r["score"])
            except InvalidOperation:
                err("score", "a number")
                continue
            if not 0 <= score <= 1000:
                err("score", "between 0 and 1000")
                continue
        if (r["nip"], on) in seen:
            err("assessed_on", "the same employee and date twice")
            continue
        seen.add((r["nip"], on))
        rows.append({"nip": r["nip"], "potential": r["potential"], "assessed_on": on, "score": score,
                     "instrument": r.get("instrument") or None})
    return rows, errors
