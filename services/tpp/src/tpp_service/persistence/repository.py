"""Queries and writes of the TPP service."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_kit.persistence import upsert, values_of
from tpp_service.domain.compute import AttendanceDay
from tpp_service.domain.period import Period, PeriodStatus
from kinerja_contracts.tpp.v1 import OpdTotal
from tpp_service.persistence.tables import (
    COUNTING_DAY, UNEXCUSED_DAY, AppraisalInput, AttendanceInput, Computation, Employee, PendingRevision,
    PerformanceInput, PeriodRow, SanctionInput, SlaInput,
)


def _for(stmt, column, nip: str | tuple[str, str] | None):
    """Restrict a bulk query to one employee (a slip preview) or to a NIP range (a chunk of the close)."""
    if isinstance(nip, tuple):
        return stmt.where(column.between(*nip))
    return stmt.where(column == nip) if nip else stmt


async def active_employees(session: AsyncSession, nip: str | None = None, *, after: str | None = None,
                           limit: int | None = None) -> list[Employee]:
    """Employees active now, and those with a personnel history (a leaver is paid their days), by
    NIP; `after`/`limit` page through them (the close goes chunk by chunk)."""
    stmt = _for(sa.select(Employee).where(sa.or_(Employee.active, Employee.history.is_not(None))), Employee.nip, nip)
    if after is not None:
        stmt = stmt.where(Employee.nip > after)
    return list(await session.scalars(stmt.order_by(Employee.nip).limit(limit)))


async def employee_rows(session: AsyncSession, *, after: str | None, limit: int) -> list[sa.Row]:
    """One page of active_employees as plain rows (the close: no ORM objects)."""
    e = Employee.__table__.c
    stmt = sa.select(*Employee.__table__.c).where(sa.or_(e.active, e.history.is_not(None)))
    if after is not None:
        stmt = stmt.where(e.nip > after)
    return list((await session.execute(stmt.order_by(e.nip).limit(limit))).all())


async def performance_by_nip(session: AsyncSession, period: str, nip: str | tuple[str, str] | None = None
                             ) -> dict[str, sa.Row]:
    p = PerformanceInput.__table__.c
    stmt = _for(sa.select(*PerformanceInput.__table__.c).where(p.period == period), p.nip, nip)
    return {r.nip: r for r in await session.execute(stmt)}


async def attendance_by_nip(session: AsyncSession, first: date, last: date,
                            nip: str | tuple[str, str] | None = None, *, counting_only: bool = False
                            ) -> dict[str, list[AttendanceDay]]:
    """The month's attendance days per employee. `counting_only`: without the plain present days
    (no deduction, no leave; ~5 in 6 rows), read from their partial covering index."""
    a = AttendanceInput.__table__.c
    stmt = sa.select(a.nip, a.status, a.late_minutes, a.early_leave_minutes, a.missing_check_in, a.missing_check_out,
                     a.apel_missed).where(a.work_date >= first, a.work_date <= last)
    if counting_only:
        stmt = stmt.where(sa.text(COUNTING_DAY))
    out: dict[str, list[AttendanceDay]] = defaultdict(list)
    for nip_, *day in (await session.execute(_for(stmt, a.nip, nip).order_by(a.nip, a.work_date))).tuples():
        out[nip_].append(AttendanceDay(*day))
    return out


async def sanctions_by_nip(session: AsyncSession, first: date, last: date,
                           nip: str | tuple[str, str] | None = None) -> dict[str, list[sa.Row]]:
    s = SanctionInput.__table__.c
    rows = await session.execute(_for(sa.select(s.nip, s.cut_percent).where(
        s.effective_from <= last, s.effective_until >= first), s.nip, nip))
    out: dict[str, list[sa.Row]] = defaultdict(list)
    for r in rows:
        out[r.nip].append(r)
    return out


async def escalations_by_nip(session: AsyncSession, period: str, nip: str | tuple[str, str] | None = None
                             ) -> dict[str, int]:
    """Tasks each approver let escalate in the month (the optional unvalidated_penalty)."""
    rows = await session.execute(_for(sa.select(SlaInput.nip, SlaInput.escalated_count)
                                      .where(SlaInput.period == period), SlaInput.nip, nip))
    return dict(rows.all())


async def unexcused_in_year(session: AsyncSession, first: date, last: date,
                            nip: str | tuple[str, str] | None = None) -> dict[str, int]:
    """Days tanpa keterangan from `first` (1 January) to `last` per employee (PP 94/2021), from
    their partial index."""
    a = AttendanceInput.__table__.c
    rows = await session.execute(_for(
        sa.select(a.nip, sa.func.count()).where(a.work_date >= first, a.work_date <= last, sa.text(UNEXCUSED_DAY))
        .group_by(a.nip), a.nip, nip))
    return dict(rows.all())


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


async def computations(session: AsyncSession, period: str, nip: str) -> list[Computation]:
    """Every revision of one employee's slip, oldest first."""
    return list(await session.scalars(sa.select(Computation).where(
        Computation.period == period, Computation.nip == nip).order_by(Computation.revision)))


def _latest_per_employee(period: str):
    latest = (sa.select(Computation.nip, sa.func.max(Computation.revision).label("revision"))
              .where(Computation.period == period).group_by(Computation.nip).subquery())
    return sa.select(Computation).join(latest, sa.and_(Computation.nip == latest.c.nip,
                                                      Computation.revision == latest.c.revision)).where(
        Computation.period == period)


async def latest_computations(session: AsyncSession, period: str) -> list[Computation]:
    """The slip in force of every employee of a closed period (their latest revision), by unit and NIP."""
    return list(await session.scalars(_latest_per_employee(period).order_by(Computation.unit_code, Computation.nip)))


async def opd_totals(session: AsyncSession, period: str) -> list[OpdTotal]:
    latest = _latest_per_employee(period).subquery()
    fields = ("base_amount", "kinerja_amount", "disiplin_amount", "deductions", "total_amount", "bpjs_amount",
              "pph21_amount", "net_amount")
    rows = await session.execute(sa.select(
        latest.c.unit_code, sa.func.count(), *(sa.func.coalesce(sa.func.sum(latest.c[f]), 0) for f in fields))
        .group_by(latest.c.unit_code).order_by(latest.c.unit_code))
    return [OpdTotal(unit_code=u, employee_count=n, **{f: int(v) for f, v in zip(fields, values)})
            for u, n, *values in rows]


async def mark_pending(session: AsyncSession, period: str, nip: str, reason: str, now) -> None:
    """An input reached a closed period: the employee's next revision waits for a recompute."""
    existing = await session.get(PendingRevision, (period, nip))
    if existing is not None and reason in existing.reason:
        return
    text = f"{existing.reason}; {reason}" if existing else reason
    await upsert(session, PendingRevision, dict(period=period, nip=nip, reason=text[:2000],
                                                since=existing.since if existing else now))


async def pending(session: AsyncSession, period: str) -> list[PendingRevision]:
    return list(await session.scalars(sa.select(PendingRevision).where(PendingRevision.period == period)
                                      .order_by(PendingRevision.nip)))


async def clear_pending(session: AsyncSession, period: str, nip: str | None = None) -> None:
    stmt = sa.delete(PendingRevision).where(PendingRevision.period == period)
    await session.execute(stmt.where(PendingRevision.nip == nip) if nip else stmt)


async def appraisals_for(session: AsyncSession, period: str) -> dict[str, AppraisalInput]:
    """Per employee, the final appraisal that covers the month: the narrowest span, then the latest."""
    year, month = map(int, period.split("-"))
    rows = await session.scalars(sa.select(AppraisalInput).where(
        AppraisalInput.year == year, AppraisalInput.month_from <= month, AppraisalInput.month_until >= month))
    best: dict[str, AppraisalInput] = {}
    for r in rows:
        key = (r.month_until - r.month_from, -r.finalized_at.timestamp())
        b = best.get(r.nip)
        if b is None or key < (b.month_until - b.month_from, -b.finalized_at.timestamp()):
            best[r.nip] = r
    return best
