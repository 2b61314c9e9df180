"""Queries and writes of the activity service."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from activity_service.domain.activities import OPEN_STATUSES
from activity_service.persistence.tables import Activity, ActivityType, ClosedPeriod, Employee
from kinerja_contracts.catalog.v1 import ActivityTypeV1
from kinerja_contracts.org.v1 import EmployeeV1


async def get_employee(session: AsyncSession, nip: str, *, lock: bool = False) -> Employee | None:
    """`lock` serialises one employee's writes (e.g. the overlap check of two concurrent posts)."""
    return await session.get(Employee, nip, with_for_update=lock)


async def existing_nips(session: AsyncSession) -> set[str]:
    return set((await session.scalars(sa.select(Employee.nip))).all())


async def upsert_employee(session: AsyncSession, emp: EmployeeV1, now: datetime) -> None:
    row = await session.get(Employee, emp.nip)
    data = emp.model_dump(mode="json")
    if row is None:
        session.add(Employee(**data, updated_at=now))
    else:
        for k, v in data.items():
            setattr(row, k, v)
        row.updated_at = now


async def get_type(session: AsyncSession, code: str, work_date: date) -> ActivityType | None:
    """The version in force on `work_date`, else the earliest later one (to say when it starts)."""
    versions = list(await session.scalars(
        sa.select(ActivityType).where(ActivityType.code == code).order_by(ActivityType.effective_from)))
    in_force = [v for v in versions if v.effective_from <= work_date]
    return in_force[-1] if in_force else (versions[0] if versions else None)


async def upsert_type(session: AsyncSession, t: ActivityTypeV1) -> None:
    row = await session.get(ActivityType, (t.code, t.effective_from))
    data = t.model_dump()
    data["unit"] = t.unit.value
    if row is None:
        session.add(ActivityType(**data))
    else:
        for k, v in data.items():
            setattr(row, k, v)


async def taken_spans(session: AsyncSession, nip: str, work_date: date) -> list[tuple[time, time]]:
    rows = await session.execute(
        sa.select(Activity.start_time, Activity.end_time).where(
            Activity.nip == nip, Activity.work_date == work_date, Activity.status.in_(OPEN_STATUSES)
        )
    )
    return [(r.start_time, r.end_time) for r in rows]


async def get_activity(session: AsyncSession, activity_id: str) -> Activity | None:
    return await session.get(Activity, activity_id)


async def list_month(session: AsyncSession, nip: str, first: date, last: date) -> list[Activity]:
    rows = await session.scalars(
        sa.select(Activity)
        .where(Activity.nip == nip, Activity.work_date >= first, Activity.work_date <= last)
        .order_by(Activity.work_date, Activity.start_time)
    )
    return list(rows)


async def is_closed(session: AsyncSession, work_date: date) -> bool:
    return await session.get(ClosedPeriod, f"{work_date.year:04d}-{work_date.month:02d}") is not None


async def mark_closed(session: AsyncSession, period: str, closed_at: datetime) -> None:
    if await session.get(ClosedPeriod, period) is None:
        session.add(ClosedPeriod(period=period, closed_at=closed_at))
