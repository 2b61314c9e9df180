"""Queries and writes of the approval service: rows in, domain objects out."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from approval_service.domain.audit import GENESIS, ChainCheck, StoredEntry, chain_hash
from approval_service.domain.task import Task, TaskStatus
from approval_service.persistence.tables import AuditEntry, Employee, TaskRow
from kinerja_contracts.org.v1 import EmployeeV1
from kinerja_kit.persistence import upsert, values_of

AUDIT_LOCK_ID = 727_002


async def upsert_employee(session: AsyncSession, e: EmployeeV1) -> None:
    await upsert(session, Employee, dict(nip=e.nip, name=e.name, unit_code=e.unit_code,
                                         supervisor_nip=e.supervisor_nip, active=e.active))


async def get_employee(session: AsyncSession, nip: str) -> Employee | None:
    return await session.get(Employee, nip)


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


async def inbox(session: AsyncSession, assignee: str, limit: int, offset: int = 0,
                after: tuple[datetime, str] | None = None) -> list[Task]:
    """Pending tasks of `assignee`, oldest first; keyset after (requested_at, id) or an offset."""
    stmt = sa.select(TaskRow).where(TaskRow.assignee_nip == assignee, TaskRow.status == TaskStatus.PENDING.value)
    if after is not None:
        stmt = stmt.where(sa.tuple_(TaskRow.requested_at, TaskRow.id) > sa.tuple_(*after))
    rows = await session.scalars(stmt.order_by(TaskRow.requested_at, TaskRow.id).limit(limit).offset(offset))
    return [_task(r) for r in rows]


async def append_audit(session: AsyncSession, *, task: Task, actor_nip: str, action: str,
                       reason: str | None, at: datetime) -> AuditEntry:
    """Append to the hash chain; an advisory lock serialises appends so the chain never forks."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(AUDIT_LOCK_ID)))
    last = (await session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))).first()
    prev = last.hash if last else GENESIS
    entry = dict(task_id=task.id, activity_id=task.activity_id, actor_nip=actor_nip, action=action,
                 reason=reason, at=at.isoformat())
    row = AuditEntry(**{**entry, "at": at}, prev_hash=prev, hash=chain_hash(prev, entry))
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
