"""Reads and writes of personnel history: the flat current row, the dated postings, the acting
assignments."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from activity_service.domain.personnel import Acting, Posting
from activity_service.persistence.tables import ActingAssignment, Employee, EmployeePosting
from kinerja_kit.persistence import upsert, values_of

EMPLOYEE_COLUMNS = [c.name for c in Employee.__table__.columns if c.name != "updated_at"]


async def employees(session: AsyncSession, nips: set[str]) -> dict[str, Employee]:
    rows = await session.scalars(sa.select(Employee).where(Employee.nip.in_(nips))) if nips else []
    return {e.nip: e for e in rows}


async def postings_of(session: AsyncSession, nips: set[str]) -> dict[str, list[Posting]]:
    out: dict[str, list[Posting]] = defaultdict(list)
    if nips:
        rows = await session.scalars(sa.select(EmployeePosting).where(EmployeePosting.nip.in_(nips))
                                     .order_by(EmployeePosting.nip, EmployeePosting.valid_from))
        for r in rows:
            out[r.nip].append(Posting(**r.model_dump(exclude={"nip"})))
    return out


async def acting_of(session: AsyncSession, nips: set[str]) -> dict[str, list[Acting]]:
    out: dict[str, list[Acting]] = defaultdict(list)
    if nips:
        rows = await session.scalars(sa.select(ActingAssignment).where(ActingAssignment.nip.in_(nips))
                                     .order_by(ActingAssignment.valid_from, ActingAssignment.for_nip))
        for r in rows:
            out[r.nip].append(Acting(kind=r.kind, for_nip=r.for_nip, valid_from=r.valid_from, valid_until=r.valid_until))
    return out


async def acting_for(session: AsyncSession, nip: str) -> list[tuple[str, Acting]]:
    """Who acts (or acted) for `nip`: (acting official, assignment)."""
    rows = await session.scalars(sa.select(ActingAssignment).where(ActingAssignment.for_nip == nip)
                                 .order_by(ActingAssignment.valid_from))
    return [(r.nip, Acting(kind=r.kind, for_nip=r.for_nip, valid_from=r.valid_from, valid_until=r.valid_until))
            for r in rows]


async def save(session: AsyncSession, flat: list[dict], postings: dict[str, list[Posting]],
               acting: dict[str, list[Acting]], now: datetime) -> None:
    """Write the changed employees whole: flat rows upserted, their postings and acting replaced."""
    if not flat:
        return
    nips = [f["nip"] for f in flat]
    await upsert(session, Employee, [{**f, "updated_at": now} for f in flat])
    await session.execute(sa.delete(EmployeePosting).where(EmployeePosting.nip.in_(nips)))
    await session.execute(sa.delete(ActingAssignment).where(ActingAssignment.nip.in_(nips)))
    rows = [{"nip": n, **values_of(p)} for n in nips for p in postings.get(n, [])]
    if rows:
        await session.execute(sa.insert(EmployeePosting.__table__), rows)
    rows = [{"nip": n, **values_of(a)} for n in nips for a in acting.get(n, [])]
    if rows:
        await session.execute(sa.insert(ActingAssignment.__table__), rows)
