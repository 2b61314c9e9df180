"""Queries and writes of the scoring service."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_contracts.catalog.v1 import ActivityTypeV1
from kinerja_contracts.org.v1 import EmployeeV1
from scoring_service.domain.scoring import CatalogType
from scoring_service.persistence.tables import CatalogEntry, Employee, MonthlyPerformance, Score


async def upsert_catalog(session: AsyncSession, t: ActivityTypeV1) -> bool:
    """Store one catalog version; True when it was new or changed."""
    row = await session.get(CatalogEntry, (t.code, t.effective_from))
    data = t.model_dump(exclude={"effective_from", "code"})
    data["unit"] = t.unit.value
    if row is None:
        session.add(CatalogEntry(code=t.code, effective_from=t.effective_from, **data))
        return True
    changed = any(getattr(row, k) != v for k, v in data.items())
    for k, v in data.items():
        setattr(row, k, v)
    return changed


async def catalog_versions(session: AsyncSession, code: str) -> list[CatalogType]:
    rows = await session.scalars(sa.select(CatalogEntry).where(CatalogEntry.code == code, CatalogEntry.active))
    return [CatalogType(r.code, r.unit, r.standard_minutes, r.points, r.effective_from) for r in rows]


async def current_catalog(session: AsyncSession, today: date) -> list[CatalogEntry]:
    rows = (await session.scalars(
        sa.select(CatalogEntry).where(CatalogEntry.effective_from <= today).order_by(CatalogEntry.code, CatalogEntry.effective_from)
    )).all()
    latest: dict[str, CatalogEntry] = {}
    for r in rows:
        latest[r.code] = r
    return [r for r in latest.values() if r.active]


async def upsert_employee(session: AsyncSession, e: EmployeeV1) -> None:
    row = await session.get(Employee, e.nip)
    data = dict(name=e.name, unit_code=e.unit_code, position_kind=e.position_kind.value,
                kelas_jabatan=e.kelas_jabatan, supervisor_nip=e.supervisor_nip, active=e.active)
    if row is None:
        session.add(Employee(nip=e.nip, **data))
    else:
        for k, v in data.items():
            setattr(row, k, v)


async def get_employee(session: AsyncSession, nip: str) -> Employee | None:
    return await session.get(Employee, nip)


async def approved_minutes_on(session: AsyncSession, nip: str, work_date: date, exclude_activity: str) -> int:
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Score.minutes), 0)).where(
            Score.nip == nip, Score.work_date == work_date, Score.status == "approved",
            Score.activity_id != exclude_activity,
        )
    )
    return int(total or 0)


async def get_score(session: AsyncSession, activity_id: str) -> Score | None:
    return await session.get(Score, activity_id)


async def monthly_for_update(session: AsyncSession, nip: str, period: str, now: datetime) -> MonthlyPerformance:
    row = await session.get(MonthlyPerformance, (nip, period), with_for_update=True)
    if row is None:
        row = MonthlyPerformance(nip=nip, period=period, updated_at=now)
        session.add(row)
    return row


async def get_monthly(session: AsyncSession, nip: str, period: str) -> MonthlyPerformance | None:
    return await session.get(MonthlyPerformance, (nip, period))


async def status_counts(session: AsyncSession, nip: str, first: date, last: date) -> dict[str, int]:
    rows = await session.execute(
        sa.select(Score.status, sa.func.count()).where(
            Score.nip == nip, Score.work_date >= first, Score.work_date <= last
        ).group_by(Score.status)
    )
    return {status: n for status, n in rows}
