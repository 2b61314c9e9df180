"""Queries and writes of the approval service: rows in, domain objects out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from approval_service.domain.audit import GENESIS, ChainCheck, StoredEntry, canonical_entry, chain_hash
from approval_service.domain.routing import ActingView
from approval_service.domain.task import Task, TaskStatus
from approval_service.persistence.tables import ActingAssignment, AuditEntry, Employee, TaskRow
from approval_service.persistence.tables import ClosedPeriod, DelegationRow
from approval_service.persistence.tables import SlaMonthlyRow
from approval_service.domain.delegation import Delegation
from kinerja_contracts.org.v1 import EmployeeV1
from kinerja_kit.persistence import forget, read_once, upsert, values_of

AUDIT_LOCK_ID = 727_002


async def upsert_employee(session: AsyncSession, e: EmployeeV1) -> list[str]:
    """Store the employee and their Plt/Plh assignments; returns the officials they acted or act for
    (before and after), whose tasks may have to move."""
    forget(session, _EMPLOYEES)  # what this unit of work read is stale now
    forget(session, _ACTING)
    await upsert(session, Employee, dict(nip=e.nip, name=e.name, unit_code=e.unit_code,
                                         supervisor_nip=e.supervisor_nip, active=e.active, position=e.position,
                                         position_kind=e.position_kind.value, eselon=e.eselon,
                                         history=[p.model_dump(mode="json") for p in e.history]))
    before = set(await session.scalars(sa.select(ActingAssignment.for_nip).where(ActingAssignment.nip == e.nip)))
    await session.execute(sa.delete(ActingAssignment).where(ActingAssignment.nip == e.nip))
    if e.acting:
        await session.execute(sa.insert(ActingAssignment.__table__), [
            dict(nip=e.nip, for_nip=a.for_nip, kind=a.kind.value, valid_from=a.valid_from, valid_until=a.valid_until)
            for a in e.acting])
    return sorted(before | {a.for_nip for a in e.acting})


# Read once per unit of work (a batch routes many staff to the same head); upsert_employee forgets them.
_EMPLOYEES, _ACTING = "approval.employees", "approval.acting"


async def acting_for(session: AsyncSession, for_nip: str) -> list[ActingView]:
    async def load() -> list[ActingView]:
        rows = await session.scalars(sa.select(ActingAssignment).where(ActingAssignment.for_nip == for_nip))
        return [ActingView(r.nip, r.kind, r.valid_from, r.valid_until) for r in rows]
    return list(await read_once(session, _ACTING, for_nip, load))


async def unit_officials(session: AsyncSession, unit_code: str) -> list[Employee]:
    return list(await session.scalars(sa.select(Employee).where(
        Employee.unit_code == unit_code, Employee.active.is_(True), Employee.position_kind == "struktural")
        .order_by(Employee.nip)))


async def holders_of(session: AsyncSession, position: str) -> list[Employee]:
    return list(await session.scalars(sa.select(Employee).where(
        sa.func.lower(Employee.position) == position.lower(), Employee.active.is_(True)).order_by(Employee.nip)))


async def open_tasks_touching(session: AsyncSession, nip: str, officials: list[str]) -> list[Task]:
    """Open, not escalated tasks an org change of `nip` may move (locked): `nip`'s own, those
    assigned to `nip` or to the officials `nip` acts (acted) for, and those of the staff whose
    atasan is `nip` or one of those officials (their route may pass through them)."""
    people = [nip, *officials]
    staff = sa.select(Employee.nip).where(Employee.supervisor_nip.in_(people))
    stmt = sa.select(TaskRow).where(
        TaskRow.status.in_([TaskStatus.PENDING.value, TaskStatus.UNASSIGNED.value]),
        TaskRow.escalated_at.is_(None),  # an escalated task stays with the official it went up to
        sa.or_(TaskRow.nip == nip, TaskRow.assignee_nip.in_(people), TaskRow.nip.in_(staff)),
    ).order_by(TaskRow.id).with_for_update().execution_options(populate_existing=True)
    return [_task(r) for r in await session.scalars(stmt)]


async def get_employee(session: AsyncSession, nip: str) -> Employee | None:
    return await read_once(session, _EMPLOYEES, nip, lambda: session.get(Employee, nip))


def _task(row: TaskRow) -> Task:
    return Task(**{**row.model_dump(), "status": TaskStatus(row.status)})


async def task_by_activity(session: AsyncSession, activity_id: str, *, lock: bool = False) -> Task | None:
    stmt = sa.select(TaskRow).where(TaskRow.activity_id == activity_id).execution_options(populate_existing=True)
    if lock:
        stmt = stmt.with_for_update()
    row = (await session.scalars(stmt)).first()
    return _task(row) if row else None


async def save_task(session: AsyncSession, task: Task) -> None:
    await upsert(session, TaskRow, values_of(task))


@dataclass(frozen=True)
class InboxFilter:
    """What `GET /v1/inbox` narrows to: the employee, their unit (from the employees read model),
    the work-date range (both included) and overdue (due before `now`, or not)."""
    status: TaskStatus = TaskStatus.PENDING
    nip: str | None = None
    unit_code: str | None = None
    work_from: date | None = None
    work_to: date | None = None
    overdue: bool | None = None
    now: datetime | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        conditions = [TaskRow.status == self.status.value]
        if self.nip is not None:
            conditions.append(TaskRow.nip == self.nip)
        if self.unit_code is not None:
            conditions.append(TaskRow.nip.in_(sa.select(Employee.nip).where(Employee.unit_code == self.unit_code)))
        if self.work_from is not None:
            conditions.append(TaskRow.work_date >= self.work_from)
        if self.work_to is not None:
            conditions.append(TaskRow.work_date <= self.work_to)
        if self.overdue is not None:
            late = sa.and_(TaskRow.due_at.is_not(None), TaskRow.due_at < self.now)
            conditions.append(late if self.overdue else sa.not_(late))
        return conditions


async def inbox(session: AsyncSession, assignee: str, limit: int, offset: int = 0,
                after: tuple[datetime, str] | None = None, *, delegators: Sequence[str] = (),
                where: InboxFilter = InboxFilter()) -> list[Task]:
    """Tasks of `assignee` and of the `delegators` who delegated to them (pending unless `where`
    says otherwise), oldest first; keyset after (requested_at, id) or an offset."""
    stmt = sa.select(TaskRow).where(TaskRow.assignee_nip.in_([assignee, *delegators]), *where.where())
    if after is not None:
        stmt = stmt.where(sa.tuple_(TaskRow.requested_at, TaskRow.id) > sa.tuple_(*after))
    rows = await session.scalars(stmt.order_by(TaskRow.requested_at, TaskRow.id).limit(limit).offset(offset))
    return [_task(r) for r in rows]


async def append_audit(session: AsyncSession, *, task: Task | AuditSubject, actor_nip: str, action: str,
                       reason: str | None, at: datetime, on_behalf_of: str | None = None) -> AuditEntry:
    """Append to the hash chain; an advisory lock serialises appends so the chain never forks."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(AUDIT_LOCK_ID)))
    last = (await session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))).first()
    prev = last.hash if last else GENESIS
    entry = canonical_entry(task_id=task.id, activity_id=task.activity_id, actor_nip=actor_nip, action=action,
                            reason=reason, at=at.isoformat(), on_behalf_of=on_behalf_of)
    row = AuditEntry(**{**entry, "at": at, "on_behalf_of": on_behalf_of}, prev_hash=prev, hash=chain_hash(prev, entry))
    session.add(row)
    return row


async def walk_audit(session: AsyncSession, check: ChainCheck, page: int = 5000) -> ChainCheck:
    """Feed the whole trail to `check`, a page at a time (bounded memory)."""
    last_id = 0
    while True:
        rows = list(await session.scalars(
            sa.select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(page)))
        for r in rows:
            check.feed(StoredEntry(**r.model_dump()))
        if len(rows) < page:
            return check
        last_id = rows[-1].id


async def audit_for_activity(session: AsyncSession, activity_id: str) -> list[AuditEntry]:
    return list(await session.scalars(
        sa.select(AuditEntry).where(AuditEntry.activity_id == activity_id).order_by(AuditEntry.id)))


class AuditSubject(NamedTuple):
    """What an audit entry is about when it is not a task: a delegation's entries carry
    task_id = the delegation id and activity_id = "" (no activity)."""
    id: str
    activity_id: str = ""


def _delegation(row: DelegationRow) -> Delegation:
    return Delegation(**row.model_dump())


async def save_delegation(session: AsyncSession, d: Delegation) -> None:
    await upsert(session, DelegationRow, values_of(d))


async def delegation_by_id(session: AsyncSession, delegation_id: str, *, lock: bool = False) -> Delegation | None:
    stmt = sa.select(DelegationRow).where(DelegationRow.id == delegation_id).execution_options(populate_existing=True)
    if lock:
        stmt = stmt.with_for_update()
    row = (await session.scalars(stmt)).first()
    return _delegation(row) if row else None


async def delegations(session: AsyncSession, nip: str | None, limit: int = 500) -> list[Delegation]:
    """Delegations where `nip` is the delegator or the delegate (every one for None), newest first."""
    stmt = sa.select(DelegationRow)
    if nip is not None:
        stmt = stmt.where(sa.or_(DelegationRow.delegator_nip == nip, DelegationRow.delegate_nip == nip))
    rows = await session.scalars(stmt.order_by(DelegationRow.created_at.desc(), DelegationRow.id).limit(limit))
    return [_delegation(r) for r in rows]


async def delegations_to(session: AsyncSession, delegate_nip: str, day: date,
                         delegator_nip: str | None = None) -> list[Delegation]:
    """Delegations to `delegate_nip` in force on `day` (from `delegator_nip` only, when given)."""
    stmt = sa.select(DelegationRow).where(
        DelegationRow.delegate_nip == delegate_nip, DelegationRow.revoked_at.is_(None),
        DelegationRow.valid_from <= day, DelegationRow.until >= day)
    if delegator_nip is not None:
        stmt = stmt.where(DelegationRow.delegator_nip == delegator_nip)
    return [_delegation(r) for r in await session.scalars(stmt)]


async def delegators_of(session: AsyncSession, delegate_nip: str, day: date) -> list[str]:
    """Who delegated their approvals to `delegate_nip` on `day`."""
    return sorted({d.delegator_nip for d in await delegations_to(session, delegate_nip, day)})


async def record_closed_period(session: AsyncSession, period: str, closed_at: datetime) -> None:
    await upsert(session, ClosedPeriod, {"period": period, "closed_at": closed_at}, update=False)  # the first stands


async def closed_periods(session: AsyncSession) -> set[str]:
    return set(await session.scalars(sa.select(ClosedPeriod.period)))


async def inbox_counts(session: AsyncSession, assignee: str, delegators: Sequence[str], *, now: datetime,
                       day_start: datetime) -> dict[str, int | dict[str, int]]:
    """Counts over the tasks of `assignee` and their delegators: per status, pending ones overdue
    or delegated, and decisions `assignee` took since `day_start`."""
    mine = TaskRow.assignee_nip.in_([assignee, *delegators])
    by_status = {s.value: 0 for s in TaskStatus}
    for status, n in await session.execute(
            sa.select(TaskRow.status, sa.func.count()).where(mine).group_by(TaskRow.status)):
        by_status[status] = n
    pending = sa.and_(mine, TaskRow.status == TaskStatus.PENDING.value)
    overdue = await session.scalar(sa.select(sa.func.count()).where(
        pending, TaskRow.due_at.is_not(None), TaskRow.due_at < now))
    delegated = await session.scalar(sa.select(sa.func.count()).where(
        pending, TaskRow.assignee_nip.in_(list(delegators)))) if delegators else 0
    decided_today = await session.scalar(sa.select(sa.func.count()).where(
        TaskRow.decided_by == assignee, TaskRow.decided_at >= day_start))
    return dict(pending=by_status[TaskStatus.PENDING.value], overdue=overdue, delegated=delegated,
                decided_today=decided_today, by_status=by_status)


# --- SLA: reminders, escalations and the monthly count per approver (application/escalation.py) ---

def _open_for_sla():
    """Pending tasks with a deadline that have not escalated yet (the scheduler's scans)."""
    return sa.select(TaskRow).where(TaskRow.status == TaskStatus.PENDING.value, TaskRow.escalated_at.is_(None),
                                    TaskRow.assignee_nip.is_not(None), TaskRow.due_at.is_not(None))


def _claim(stmt, limit: int):
    """Oldest deadline first, locked; rows another transaction holds (a decision being taken, another
    scheduler's batch) are skipped, so two schedulers never take the same task. (SQLite: BEGIN
    IMMEDIATE serialises the transactions instead.)"""
    return (stmt.order_by(TaskRow.due_at, TaskRow.id).limit(limit)
            .with_for_update(skip_locked=True).execution_options(populate_existing=True))


def _utc_task(row: TaskRow) -> Task:
    """The task with its times in UTC (SQLite hands them back without a zone; they are stored as UTC)."""
    task = _task(row)
    for name in ("requested_at", "due_at", "decided_at", "escalated_at", "reminded_at"):
        value = getattr(task, name)
        if value is not None and value.tzinfo is None:
            setattr(task, name, value.replace(tzinfo=timezone.utc))
    return task


async def overdue_tasks(session: AsyncSession, now: datetime, limit: int) -> list[Task]:
    """Pending tasks whose deadline has passed and that have not escalated, locked."""
    stmt = _claim(_open_for_sla().where(TaskRow.due_at <= now), limit)
    return [_utc_task(r) for r in await session.scalars(stmt)]


async def reminder_candidates(session: AsyncSession, now: datetime, horizon: datetime, limit: int) -> list[Task]:
    """Pending tasks due after `now` and before `horizon`, not reminded since they were assigned, locked."""
    stmt = _open_for_sla().where(TaskRow.due_at > now, TaskRow.due_at < horizon, sa.or_(
        TaskRow.reminded_at.is_(None), TaskRow.reminded_at < TaskRow.requested_at))
    return [_utc_task(r) for r in await session.scalars(_claim(stmt, limit))]


class SlaCount(NamedTuple):
    nip: str
    period: str
    escalated_count: int
    version: int


async def add_sla_escalations(session: AsyncSession, counts: dict[tuple[str, str], int],
                              now: datetime) -> list[SlaCount]:
    """Add escalations to each (approver, period) count, one new version per (approver, period);
    in key order, so concurrent transactions lock the rows in the same order."""
    table = SlaMonthlyRow.__table__
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    out = []
    for (nip, period), n in sorted(counts.items()):
        stmt = insert(table).values(nip=nip, period=period, escalated_count=n, version=1, updated_at=now)
        stmt = stmt.on_conflict_do_update(index_elements=["nip", "period"], set_=dict(
            escalated_count=table.c.escalated_count + n, version=table.c.version + 1, updated_at=now))
        row = (await session.execute(stmt.returning(table.c.escalated_count, table.c.version))).one()
        out.append(SlaCount(nip, period, row.escalated_count, row.version))
    return out
