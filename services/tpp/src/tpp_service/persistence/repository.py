"""Queries and writes of the TPP service."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_kit.persistence import upsert, values_of
from tpp_service.domain.period import Period, PeriodStatus
from tpp_service.persistence.tables import (
    AttendanceInput, Computation, Employee, PerformanceInput, PeriodRow, SanctionInput,
)


def _for(stmt, column, nip: str | None):
    """Restrict a bulk query to one employee when `nip` is given (a slip preview)."""
    return stmt.where(column == nip) if nip else stmt


async def active_employees(session: AsyncSession, nip: str | None = None) -> list[Employee]:
    """Employees active now, and those with a personnel history (a leaver is paid their days)."""
    stmt = _for(sa.select(Employee).where(sa.or_(Employee.active, Employee.history.is_not(None))), Employee.nip, nip)
    return list(await session.scalars(stmt.order_by(Employee.nip)))


async def performance_by_nip(session: AsyncSession, period: str, nip: str | None = None) -> dict[str, PerformanceInput]:
    stmt = _for(sa.select(PerformanceInput).where(PerformanceInput.period == period), PerformanceInput.nip, nip)
    return {r.nip: r for r in await session.scalars(stmt)}


async def attendance_by_nip(session: AsyncSession, first: date, last: date,
                            nip: str | None = None) -> dict[str, list[AttendanceInput]]:
    rows = await session.scalars(_for(
        sa.select(AttendanceInput).where(AttendanceInput.work_date >= first, AttendanceInput.work_date <= last),
        AttendanceInput.nip, nip))
    out: dict[str, list[AttendanceInput]] = defaultdict(list)
    for r in rows:
        out[r.nip].append(r)
    return out


async def sanctions_by_nip(session: AsyncSession, first: date, last: date,
                           nip: str | None = None) -> dict[str, list[SanctionInput]]:
    rows = await session.scalars(_for(sa.select(SanctionInput).where(
        SanctionInput.effective_from <= last, SanctionInput.effective_until >= first), SanctionInput.nip, nip))
    out: dict[str, list[SanctionInput]] = defaultdict(list)
    for r in rows:
        out[r.nip].append(r)
    return out


async def get_period(session: AsyncSession, period: str, *, lock: bool = False) -> Period:
    """The period's state; a month never closed has no row and is open."""
    row = await session.get(PeriodRow, period, with_for_update=lock, populate_existing=True)
    if row is None:
        return Period(period=period)
    return Period(**{**row.model_dump(), "status": PeriodStatus(row.status)})


async def save_period(session: AsyncSession, p: Period) -> None:
    await upsert(session, PeriodRow, values_of(p))


async def latest_computation(session: AsyncSession, period: str, nip: str) -> Computation | None:
    return (await session.scalars(
        sa.select(Computation).where(Computation.period == period, Computation.nip == nip)
        .order_by(Computation.revision.desc()).limit(1))).first()
