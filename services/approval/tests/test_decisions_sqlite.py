"""On SQLite, the embedded default, two concurrent decisions on one task give one decision
(before: `FOR UPDATE` does nothing there and both committed)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

import approval_service
from approval_service.application import tasks
from approval_service.domain.task import Decision, Task
from approval_service.persistence import repository as repo
from approval_service.persistence.tables import AuditEntry, metadata
from kinerja_kit.db import Database
from kinerja_kit.errors import TransitionRefused
from kinerja_kit.outbox import UnitOfWork

A, B = "198503302010011002", "197501012000031001"


async def test_concurrent_decisions_on_sqlite_give_one(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'approval.db'}", metadata)
    await db.migrate(str(Path(approval_service.__file__).parent / "migrations"))
    activity_id = uuid.uuid4()
    now = datetime.now(timezone.utc)
    try:
        async with UnitOfWork(db, "approval") as uow:
            await repo.save_task(uow.session, Task.open(
                id=str(uuid.uuid4()), activity_id=str(activity_id), nip=A, assignee_nip=B, type_code="LAPORAN",
                work_date=date(2026, 11, 20), minutes=120, points=Decimal(0), revision=0, now=now, due_at=None))

        async def decide(decision: Decision, reason: str | None):
            async with UnitOfWork(db, "approval") as uow:
                task = await tasks.decide(uow, activity_id=activity_id, actor_nip=B, decision=decision, reason=reason)
                await asyncio.sleep(0.05)  # the other decision runs meanwhile
                return task.status

        results = await asyncio.gather(decide(Decision.APPROVE, None), decide(Decision.REJECT, "bukti kurang"),
                                       return_exceptions=True)
        assert sum(isinstance(r, TransitionRefused) for r in results) == 1, results
        async with db.engine.connect() as conn:
            assert await conn.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 1
            assert await conn.scalar(sa.select(sa.func.count()).select_from(db.outbox)) == 1
    finally:
        await db.dispose()
