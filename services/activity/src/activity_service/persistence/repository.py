"""Queries and writes of the activity service: rows in, domain objects out."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from activity_service.domain.activity import OCCUPYING, Activity, ActivityStatus
from activity_service.domain.attendance import AttendanceDay
from activity_service.domain.discipline import Sanction
from activity_service.persistence.tables import (
    ActivityRow, ActivityType, AttendanceRow, ClosedPeriod, Employee, EvidenceRow, IdempotencyKey, SanctionRow,
)
from kinerja_contracts.catalog.v1 import ActivityTypeV1
from kinerja_kit.persistence import upsert, values_of


async def get_employee(session: AsyncSession, nip: str, *, lock: bool = False) -> Employee | None:
    """`lock` serialises one employee's writes (e.g. the overlap check of two concurrent posts)."""
    return await session.get(Employee, nip, with_for_update=lock)


async def existing_nips(session: AsyncSession) -> set[str]:
    return set((await session.scalars(sa.select(Employee.nip))).all())


async def upsert_type(session: AsyncSession, t: ActivityTypeV1) -> None:
    await upsert(session, ActivityType, t.model_dump(include={
        "code", "effective_from", "name", "evidence_required", "allowed_position_kinds", "active"}))


async def taken_spans(session: AsyncSession, nip: str, work_date: date,
                      exclude_id: str | None = None) -> list[tuple[time, time]]:
    stmt = sa.select(ActivityRow.start_time, ActivityRow.end_time).where(
        ActivityRow.nip == nip, ActivityRow.work_date == work_date,
        ActivityRow.status.in_([s.value for s in OCCUPYING]))
    if exclude_id:
        stmt = stmt.where(ActivityRow.id != exclude_id)
    return [(r.start_time, r.end_time) for r in await session.execute(stmt)]


def _activity(row: ActivityRow) -> Activity:
    return Activity(**{**row.model_dump(), "status": ActivityStatus(row.status)})


async def get_activity(session: AsyncSession, activity_id: str, *, lock: bool = False) -> Activity | None:
    stmt = sa.select(ActivityRow).where(ActivityRow.id == activity_id).execution_options(populate_existing=True)
    row = (await session.scalars(stmt.with_for_update() if lock else stmt)).first()
    return _activity(row) if row else None


async def save_activity(session: AsyncSession, activity: Activity) -> None:
    await upsert(session, ActivityRow, values_of(activity))


async def list_month(session: AsyncSession, nip: str, first: date, last: date, *, limit: int = 500,
                     after: tuple[date, time, str] | None = None) -> list[Activity]:
    """One employee's month in (date, start, id) order, a page at a time (keyset: `after` the last row)."""
    stmt = (sa.select(ActivityRow)
            .where(ActivityRow.nip == nip, ActivityRow.work_date >= first, ActivityRow.work_date <= last))
    if after is not None:
        stmt = stmt.where(sa.tuple_(ActivityRow.work_date, ActivityRow.start_time, ActivityRow.id) > sa.tuple_(*after))
    rows = await session.scalars(stmt.order_by(ActivityRow.work_date, ActivityRow.start_time, ActivityRow.id)
                                 .limit(limit))
    return [_activity(r) for r in rows]


async def mark_closed(session: AsyncSession, period: str, closed_at: datetime) -> None:
    await upsert(session, ClosedPeriod, {"period": period, "closed_at": closed_at}, update=False)  # the first stands


async def remembered(session: AsyncSession, nip: str, key: str) -> IdempotencyKey | None:
    return await session.get(IdempotencyKey, (nip, key))


async def remember(session: AsyncSession, nip: str, key: str, fingerprint: str, status: int, body: dict,
                   now: datetime) -> None:
    """Plain insert: a concurrent twin with the same key fails on the primary key (its write rolls back)."""
    session.add(IdempotencyKey(nip=nip, key=key, fingerprint=fingerprint, status=status, body=body, created_at=now))
    await session.flush()


async def forget_keys_before(session: AsyncSession, cutoff: datetime) -> int:
    return (await session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))).rowcount or 0


async def active_nips_among(session: AsyncSession, nips: set[str]) -> set[str]:
    if not nips:
        return set()
    return set(await session.scalars(sa.select(Employee.nip).where(Employee.nip.in_(nips), Employee.active)))


async def save_attendance(session: AsyncSession, days: list[AttendanceDay], now: datetime) -> None:
    await upsert(session, AttendanceRow, [{**values_of(d), "updated_at": now} for d in days])


async def attendance_month(session: AsyncSession, nip: str, first: date, last: date) -> list[AttendanceRow]:
    return list(await session.scalars(sa.select(AttendanceRow).where(
        AttendanceRow.nip == nip, AttendanceRow.work_date >= first, AttendanceRow.work_date <= last)
        .order_by(AttendanceRow.work_date)))


async def add_evidence(session: AsyncSession, activity_id: str, files: list[tuple[str, str, int]],
                       now: datetime) -> None:
    """files: (sha256, content_type, size); the same file twice on one activity is kept once."""
    await upsert(session, EvidenceRow, [dict(activity_id=activity_id, sha256=s, content_type=t, size=n, added_at=now)
                                        for s, t, n in dict((f[0], f) for f in files).values()], update=False)


async def evidence_of(session: AsyncSession, activity_ids: list[str]) -> dict[str, list[EvidenceRow]]:
    out: dict[str, list[EvidenceRow]] = {}
    if activity_ids:
        for r in await session.scalars(sa.select(EvidenceRow).where(EvidenceRow.activity_id.in_(activity_ids))
                                       .order_by(EvidenceRow.added_at, EvidenceRow.sha256)):
            out.setdefault(r.activity_id, []).append(r)
    return out


async def add_sanction(session: AsyncSession, sanction: Sanction) -> bool:
    """Store a new sanction; False (nothing written) when the employee already has one under the
    same decree number (ON CONFLICT (nip, sk_number) DO NOTHING: a concurrent twin waits, then
    finds it)."""
    return await upsert(session, SanctionRow, values_of(sanction), key=["nip", "sk_number"], update=False) == 1


def _sanction(row: SanctionRow) -> Sanction:
    return Sanction(**row.model_dump())


async def sanctions_of(session: AsyncSession, nip: str) -> list[Sanction]:
    """One employee's sanctions, newest start first."""
    rows = await session.scalars(sa.select(SanctionRow).where(SanctionRow.nip == nip)
                                 .order_by(SanctionRow.effective_from.desc(), SanctionRow.created_at.desc(),
                                           SanctionRow.sanction_id))
    return [_sanction(r) for r in rows]
