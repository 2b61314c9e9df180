"""Queries and writes of the scoring service: rows in, domain objects out."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_contracts.catalog.v1 import ActivityTypeV1
from kinerja_contracts.org.v1 import EmployeeV1
from kinerja_kit.persistence import forget, read_once, upsert, values_of
from scoring_service.domain.score import Month, Score, ScoreStatus
from scoring_service.domain.scoring import CatalogType
from scoring_service.persistence.tables import AttendanceDay, CatalogEntry, Employee, MonthRow, ScoreRow

LIVE = (ScoreStatus.SCORED.value, ScoreStatus.APPROVED.value)


async def upsert_catalog(session: AsyncSession, t: ActivityTypeV1) -> bool:
    """Store one catalog version; True when it was new or changed."""
    forget(session, _CATALOG, t.code)  # read before in this unit of work: stale now
    return await upsert(session, CatalogEntry, t.model_dump(mode="json") | {"effective_from": t.effective_from,
                                                                           "points": t.points},
                        only_if_changed=True) > 0


_CATALOG = "scoring.catalog"


async def catalog_versions(session: AsyncSession, code: str) -> list[CatalogType]:
    """A type's active versions, read once per unit of work (a poll's activities mostly share types)."""
    async def load() -> list[CatalogType]:
        rows = await session.scalars(sa.select(CatalogEntry).where(CatalogEntry.code == code, CatalogEntry.active))
        return [CatalogType(r.code, r.unit, r.standard_minutes, r.points, r.effective_from, r.max_daily_volume)
                for r in rows]
    return list(await read_once(session, _CATALOG, code, load))


async def catalog_history(session: AsyncSession, code: str) -> list[CatalogEntry]:
    """Every version of one type, oldest first (inactive ones included)."""
    return list((await session.scalars(
        sa.select(CatalogEntry).where(CatalogEntry.code == code).order_by(CatalogEntry.effective_from))).all())


async def catalog_keys(session: AsyncSession) -> frozenset[tuple[str, date]]:
    """(code, effective_from) of every stored version."""
    return frozenset((await session.execute(sa.select(CatalogEntry.code, CatalogEntry.effective_from))).tuples())


async def get_catalog_version(session: AsyncSession, code: str, effective_from: date) -> CatalogEntry | None:
    return await session.get(CatalogEntry, (code, effective_from))


async def current_catalog(session: AsyncSession, today: date) -> list[CatalogEntry]:
    rows = (await session.scalars(
        sa.select(CatalogEntry).where(CatalogEntry.effective_from <= today).order_by(CatalogEntry.code, CatalogEntry.effective_from)
    )).all()
    latest: dict[str, CatalogEntry] = {}
    for r in rows:
        latest[r.code] = r
    return [r for r in latest.values() if r.active]


async def upsert_employee(session: AsyncSession, e: EmployeeV1) -> None:
    forget(session, _EMPLOYEES, e.nip)  # read before in this unit of work: stale now
    await upsert(session, Employee, dict(nip=e.nip, name=e.name, unit_code=e.unit_code,
                                         position_kind=e.position_kind.value, kelas_jabatan=e.kelas_jabatan,
                                         supervisor_nip=e.supervisor_nip, active=e.active))


_EMPLOYEES = "scoring.employees"


async def get_employee(session: AsyncSession, nip: str) -> Employee | None:
    """Loaded once per unit of work (price, the month and the dashboard each look)."""
    return await read_once(session, _EMPLOYEES, nip, lambda: session.get(Employee, nip))


async def approved_minutes_on(session: AsyncSession, nip: str, work_date: date, exclude_activity: str) -> int:
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(ScoreRow.minutes), 0)).where(
            ScoreRow.nip == nip, ScoreRow.work_date == work_date, ScoreRow.status == ScoreStatus.APPROVED.value,
            ScoreRow.activity_id != exclude_activity,
        )
    )
    return int(total or 0)


async def volume_on(session: AsyncSession, nip: str, work_date: date, type_code: str, exclude_activity: str) -> int:
    """Volume of the employee's other live entries of one type on one day (the daily maximum)."""
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(ScoreRow.credited_volume), 0)).where(
            ScoreRow.nip == nip, ScoreRow.work_date == work_date, ScoreRow.type_code == type_code,
            ScoreRow.status.in_(LIVE), ScoreRow.activity_id != exclude_activity,
        )
    )
    return int(total or 0)


async def get_score(session: AsyncSession, activity_id: str, *, lock: bool = False) -> Score | None:
    stmt = sa.select(ScoreRow).where(ScoreRow.activity_id == activity_id).execution_options(populate_existing=True)
    row = (await session.scalars(stmt.with_for_update() if lock else stmt)).first()
    if row is None:
        return None
    data = row.model_dump(exclude={"credited_volume", "explanation"})
    return Score(**{**data, "status": ScoreStatus(row.status)})


async def save_score(session: AsyncSession, score: Score, *, credited_volume: int | None = None,
                     explanation: dict | None = None) -> None:
    values = values_of(score)
    if credited_volume is not None:
        values |= {"credited_volume": credited_volume, "explanation": explanation}
    await upsert(session, ScoreRow, values)


async def month_for_update(session: AsyncSession, nip: str, period: str) -> Month:
    row = await session.get(MonthRow, (nip, period), with_for_update=True, populate_existing=True)
    if row is None:
        return Month(nip=nip, period=period)
    return Month(nip=row.nip, period=row.period, approved_minutes=row.approved_minutes,
                 approved_points=Decimal(row.approved_points), approved_activities=row.approved_activities,
                 version=row.version)


async def save_month(session: AsyncSession, month: Month, now: datetime, *, productivity: Decimal | None = None,
                     blended: Decimal | None = None) -> None:
    values = values_of(month) | {"updated_at": now}
    if productivity is not None:
        values |= {"productivity": productivity, "blended_productivity": blended}
    await upsert(session, MonthRow, values)


async def record_attendance(session: AsyncSession, nip: str, work_date: date, status: str) -> bool:
    """Store a day's status; True when it changed whether the day is an unexcused absence."""
    before = await session.get(AttendanceDay, (nip, work_date))
    was = before is not None and before.status == UNEXCUSED
    await upsert(session, AttendanceDay, dict(nip=nip, work_date=work_date, status=status))
    return was != (status == UNEXCUSED)


UNEXCUSED = "tanpa_keterangan"


async def month_counts(session: AsyncSession, nip: str, first: date, last: date) -> tuple[dict[str, int], int]:
    """The month's activities per status and its unexcused absences, in one round trip."""
    rows = await session.execute(sa.union_all(
        sa.select(ScoreRow.status, sa.func.count()).where(
            ScoreRow.nip == nip, ScoreRow.work_date >= first, ScoreRow.work_date <= last).group_by(ScoreRow.status),
        sa.select(sa.null(), sa.func.count()).select_from(AttendanceDay).where(
            AttendanceDay.nip == nip, AttendanceDay.work_date >= first, AttendanceDay.work_date <= last,
            AttendanceDay.status == UNEXCUSED)))
    counts, absences = {}, 0
    for status, n in rows:
        if status is None:
            absences = int(n)
        else:
            counts[status] = int(n)
    return counts, absences


async def subordinates_k(session: AsyncSession, supervisor_nip: str, period: str) -> list[Decimal]:
    """K (after the absence cap) of each active direct subordinate in the month; 0 without work."""
    rows = await session.execute(
        sa.select(sa.func.coalesce(MonthRow.productivity, 0))
        .select_from(Employee)
        .outerjoin(MonthRow, sa.and_(MonthRow.nip == Employee.nip, MonthRow.period == period))
        .where(Employee.supervisor_nip == supervisor_nip, Employee.active, Employee.nip != supervisor_nip)
        .order_by(Employee.nip)
    )
    return [Decimal(k) for (k,) in rows]


async def get_monthly(session: AsyncSession, nip: str, period: str) -> MonthRow | None:
    return await session.get(MonthRow, (nip, period))


async def scores_in(session: AsyncSession, nip: str, period: str) -> list[ScoreRow]:
    first = date(*map(int, period.split("-")), 1)
    last = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return list((await session.scalars(sa.select(ScoreRow).where(
        ScoreRow.nip == nip, ScoreRow.work_date >= first, ScoreRow.work_date < last,
    ).order_by(ScoreRow.work_date, ScoreRow.scored_at))).all())
