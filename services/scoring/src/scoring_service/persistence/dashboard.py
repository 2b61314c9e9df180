"""Queries and writes of the dashboard read model and the anomaly desk (aggregates in SQL)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_kit.persistence import upsert
from scoring_service.domain.anomaly import Candidate, DecisionFact, Entry
from scoring_service.domain.dashboard import OrgEmployee
from scoring_service.persistence.tables import (
    AnomalyFlag, AnomalyThresholdsRow, AttendanceDay, DashActivity, DashChange, DashEvidence, DashTask, DashUnit,
    Employee, MonthRow, ScoreRow,
)

WITHDRAWN = "withdrawn"


def _insert(session: AsyncSession):
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


# --- writes (consumers) ------------------------------------------------------------------------

async def upsert_unit(session: AsyncSession, unit_code: str, unit_name: str) -> None:
    await upsert(session, DashUnit, {"unit_code": unit_code, "unit_name": unit_name}, only_if_changed=True)


async def record_activity(session: AsyncSession, *, activity_id: str, nip: str, work_date: date, start_minute: int,
                          end_minute: int, revision: int, submitted_at: datetime, evidence: list[str]) -> bool:
    """Store (or revise) an activity's span and evidence; False for a revision older than the stored one."""
    values = dict(activity_id=activity_id, nip=nip, work_date=work_date, start_minute=start_minute,
                  end_minute=end_minute, revision=revision, submitted_at=submitted_at, first_submitted_at=submitted_at,
                  withdrawn=False)
    if not (revision == 0 and await upsert(session, DashActivity, values, update=False)):  # new: one statement
        row = await session.get(DashActivity, activity_id, with_for_update=True)
        if row is not None and revision < row.revision:
            return False
        first = row.first_submitted_at if row is not None else submitted_at
        await upsert(session, DashActivity, values | {"first_submitted_at": first})
        if row is not None:  # a revision replaces the evidence it stored
            await session.execute(sa.delete(DashEvidence).where(DashEvidence.activity_id == activity_id))
    if evidence:
        await upsert(session, DashEvidence, [dict(sha256=s, activity_id=activity_id, nip=nip)
                                             for s in sorted(set(evidence))], update=False)
    return True


async def withdraw_activity(session: AsyncSession, activity_id: str) -> DashActivity | None:
    await session.execute(sa.update(DashActivity).where(DashActivity.activity_id == activity_id).values(withdrawn=True))
    await session.execute(sa.update(DashTask).where(DashTask.activity_id == activity_id).values(closed=True))
    return await session.get(DashActivity, activity_id)


async def task_requested(session: AsyncSession, *, task_id: str, activity_id: str, nip: str, approver_nip: str,
                         requested_at: datetime) -> None:
    stmt = _insert(session)(DashTask).values(task_id=task_id, activity_id=activity_id, nip=nip,
                                             approver_nip=approver_nip, requested_at=requested_at, closed=False)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["task_id"], set_={"approver_nip": approver_nip, "requested_at": requested_at}))


async def task_escalated(session: AsyncSession, task_id: str, to_approver: str) -> None:
    await session.execute(sa.update(DashTask).where(DashTask.task_id == task_id).values(approver_nip=to_approver))


async def task_decided(session: AsyncSession, *, task_id: str, activity_id: str, nip: str, approver_nip: str,
                       decided_at: datetime, decision: str) -> None:
    stmt = _insert(session)(DashTask).values(task_id=task_id, activity_id=activity_id, nip=nip,
                                             decided_by=approver_nip, decided_at=decided_at, decision=decision,
                                             closed=True)
    await session.execute(stmt.on_conflict_do_update(index_elements=["task_id"], set_={
        "decided_by": approver_nip, "decided_at": decided_at, "decision": decision, "closed": True}))


CHANGES_KEPT = 1_000_000  # about five days of a city of 20,000; a stream resumed from before gets a snapshot


async def log_change(session: AsyncSession, unit_code: str, kind: str, nip: str, ref: str | None,
                     at: datetime) -> None:
    row = DashChange(unit_code=unit_code, kind=kind, nip=nip, ref=ref, at=at)
    session.add(row)
    await session.flush()
    if row.id and row.id % 1000 == 0:  # every thousandth change trims the log (by id: the primary key)
        await session.execute(sa.delete(DashChange).where(DashChange.id <= row.id - CHANGES_KEPT))


async def min_change_id(session: AsyncSession) -> int:
    return int(await session.scalar(sa.select(sa.func.min(DashChange.id))) or 0)


async def save_flag(session: AsyncSession, c: Candidate, unit_code: str, now: datetime) -> None:
    """Insert the flag, or refresh its evidence (its review state is kept)."""
    stmt = _insert(session)(AnomalyFlag).values(
        kind=c.kind.value, subject_key=c.subject_key, period=c.period, unit_code=unit_code, nip=c.nip,
        evidence=c.evidence, state="new", history=[], raised_at=now, updated_at=now)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["kind", "subject_key"],
        set_={"evidence": stmt.excluded.evidence, "updated_at": now, "nip": c.nip, "unit_code": unit_code}))


# --- facts for the detectors ------------------------------------------------------------------

def utc(dt: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they were stored as UTC."""
    return dt.replace(tzinfo=timezone.utc) if dt is not None and dt.tzinfo is None else dt


def _entry(r: DashActivity) -> Entry:
    return Entry(r.activity_id, r.nip, r.work_date, r.start_minute, r.end_minute, utc(r.first_submitted_at))


def _live_entries():
    return (sa.select(DashActivity).outerjoin(ScoreRow, ScoreRow.activity_id == DashActivity.activity_id)
            .where(~DashActivity.withdrawn, sa.or_(ScoreRow.status.is_(None), ScoreRow.status != WITHDRAWN)))


async def entries_on(session: AsyncSession, nip: str, day: date) -> list[Entry]:
    rows = await session.scalars(_live_entries().where(DashActivity.nip == nip, DashActivity.work_date == day))
    return [_entry(r) for r in rows]


async def entries_submitted_between(session: AsyncSession, nip: str, start: datetime, end: datetime) -> list[Entry]:
    rows = await session.scalars(_live_entries().where(
        DashActivity.nip == nip, DashActivity.first_submitted_at >= start, DashActivity.first_submitted_at <= end))
    return [_entry(r) for r in rows]


async def evidence_uses(session: AsyncSession, sha256: str) -> list[tuple[str, str, date]]:
    rows = await session.execute(
        sa.select(DashEvidence.activity_id, DashEvidence.nip, DashActivity.work_date)
        .join(DashActivity, DashActivity.activity_id == DashEvidence.activity_id)
        .where(DashEvidence.sha256 == sha256, ~DashActivity.withdrawn).order_by(DashActivity.work_date).limit(500))
    return [tuple(r) for r in rows]


async def attendance_status(session: AsyncSession, nip: str, day: date) -> str | None:
    row = await session.get(AttendanceDay, (nip, day))
    return row.status if row else None


async def approvals_between(session: AsyncSession, approver: str, start: datetime, end: datetime) -> list[DecisionFact]:
    rows = await session.execute(
        sa.select(DashTask.activity_id, DashTask.decided_at, DashTask.decision)
        .where(DashTask.decided_by == approver, DashTask.decided_at >= start, DashTask.decided_at < end)
        .order_by(DashTask.decided_at))
    return [DecisionFact(a, utc(d), dec) for a, d, dec in rows]


async def count_approvals_between(session: AsyncSession, approver: str, start: datetime, end: datetime) -> int:
    return int(await session.scalar(sa.select(sa.func.count()).select_from(DashTask).where(
        DashTask.decided_by == approver, DashTask.decision == "approve",
        DashTask.decided_at >= start, DashTask.decided_at <= end)) or 0)


# --- reads (dashboards) -----------------------------------------------------------------------

async def org(session: AsyncSession) -> list[OrgEmployee]:
    rows = await session.execute(sa.select(Employee.nip, Employee.unit_code, Employee.supervisor_nip, Employee.active))
    return [OrgEmployee(n, u, s, bool(a)) for n, u, s, a in rows]


async def unit_names(session: AsyncSession) -> dict[str, str]:
    return {u: n for u, n in await session.execute(sa.select(DashUnit.unit_code, DashUnit.unit_name))}


def _in_units(units: list[str] | None):
    return sa.true() if units is None else Employee.unit_code.in_(units)


async def employee_rows(session: AsyncSession, units: list[str] | None, period: str):
    """(nip, name, unit_code, kelas, approved_minutes, approved_points, K) of the active employees."""
    return list(await session.execute(
        sa.select(Employee.nip, Employee.name, Employee.unit_code, Employee.kelas_jabatan,
                  sa.func.coalesce(MonthRow.approved_minutes, 0), sa.func.coalesce(MonthRow.approved_points, 0),
                  sa.func.coalesce(MonthRow.blended_productivity, 0))
        .outerjoin(MonthRow, sa.and_(MonthRow.nip == Employee.nip, MonthRow.period == period))
        .where(Employee.active, _in_units(units))))


async def status_counts(session: AsyncSession, units: list[str] | None, first: date, last: date):
    """(nip, status, n) of the work dated in [first, last]."""
    return list(await session.execute(
        sa.select(ScoreRow.nip, ScoreRow.status, sa.func.count())
        .join(Employee, Employee.nip == ScoreRow.nip)
        .where(Employee.active, _in_units(units), ScoreRow.work_date >= first, ScoreRow.work_date <= last)
        .group_by(ScoreRow.nip, ScoreRow.status)))


async def last_logged(session: AsyncSession, units: list[str] | None, upto: date, since: date) -> dict[str, date]:
    rows = await session.execute(
        sa.select(ScoreRow.nip, sa.func.max(ScoreRow.work_date))
        .join(Employee, Employee.nip == ScoreRow.nip)
        .where(Employee.active, _in_units(units), ScoreRow.status != WITHDRAWN, ScoreRow.work_date <= upto,
               ScoreRow.work_date >= since)
        .group_by(ScoreRow.nip))
    return {n: d for n, d in rows}


async def trend(session: AsyncSession, units: list[str] | None, first: date, last: date):
    """(work_date, status, n, minutes) per day."""
    return list(await session.execute(
        sa.select(ScoreRow.work_date, ScoreRow.status, sa.func.count(), sa.func.coalesce(sa.func.sum(ScoreRow.minutes), 0))
        .join(Employee, Employee.nip == ScoreRow.nip)
        .where(_in_units(units), ScoreRow.work_date >= first, ScoreRow.work_date <= last)
        .group_by(ScoreRow.work_date, ScoreRow.status)))


async def backlog(session: AsyncSession, units: list[str] | None):
    """(approver_nip, approver name, open tasks, oldest requested_at) of the tasks on the units' work."""
    boss = sa.orm.aliased(Employee)
    return list(await session.execute(
        sa.select(DashTask.approver_nip, boss.name, sa.func.count(), sa.func.min(DashTask.requested_at))
        .join(Employee, Employee.nip == DashTask.nip)
        .outerjoin(boss, boss.nip == DashTask.approver_nip)
        .where(~DashTask.closed, DashTask.requested_at.is_not(None), _in_units(units))
        .group_by(DashTask.approver_nip, boss.name)
        .order_by(sa.func.min(DashTask.requested_at))))


async def max_change_id(session: AsyncSession, units: list[str]) -> int:
    return int(await session.scalar(sa.select(sa.func.max(DashChange.id)).where(DashChange.unit_code.in_(units))) or 0)


async def changes_after(session: AsyncSession, units: list[str], after: int, limit: int) -> list[DashChange]:
    return list((await session.scalars(sa.select(DashChange).where(DashChange.unit_code.in_(units), DashChange.id > after)
                                       .order_by(DashChange.id).limit(limit))).all())


async def flags(session: AsyncSession, *, period: str | None, units: list[str] | None, kind: str | None,
                state: str | None, limit: int, before_id: int | None) -> list[AnomalyFlag]:
    q = sa.select(AnomalyFlag)
    if period:
        q = q.where(AnomalyFlag.period == period)
    if units is not None:
        q = q.where(AnomalyFlag.unit_code.in_(units))
    if kind:
        q = q.where(AnomalyFlag.kind == kind)
    if state:
        q = q.where(AnomalyFlag.state == state)
    if before_id:
        q = q.where(AnomalyFlag.id < before_id)
    return list((await session.scalars(q.order_by(AnomalyFlag.id.desc()).limit(limit))).all())


async def get_flag(session: AsyncSession, flag_id: int, lock: bool = False) -> AnomalyFlag | None:
    return await session.get(AnomalyFlag, flag_id, with_for_update=lock, populate_existing=True)


async def thresholds_override(session: AsyncSession) -> AnomalyThresholdsRow | None:
    return await session.get(AnomalyThresholdsRow, 1, populate_existing=True)


async def put_thresholds(session: AsyncSession, body: dict, by: str, now: datetime) -> None:
    await upsert(session, AnomalyThresholdsRow, {"id": 1, "body": body, "updated_by": by, "updated_at": now})


async def clear_thresholds(session: AsyncSession) -> None:
    await session.execute(sa.delete(AnomalyThresholdsRow))

