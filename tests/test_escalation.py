"""SLA and escalation on the real PostgreSQL and Kafka (issue 9), with a controlled clock: an overdue
task escalates once (approval.escalated.v1 published, an audit entry, the approver's monthly count),
never twice — again, with a second scheduler at once, with two batches racing for the same rows —
a restart in the middle (the leader dies, a new process takes over) escalates the rest, none twice,
and a reminder goes out once a working day before the deadline. The schedulers are driven in-process
through `SlaScheduler.tick()` with a fake clock; the service itself runs for its relay (publishing)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import pytest
import sqlalchemy as sa

from approval_service.application import escalation
from approval_service.domain.audit import ChainCheck
from approval_service.domain.task import Task
from approval_service.main import create_app, load_settings
from approval_service.persistence import repository as repo
from approval_service.persistence.tables import AuditEntry, SlaMonthlyRow, TaskRow, metadata
from approval_service.scheduler import SLA_LOCK_ID, SlaScheduler
from kinerja_contracts.calendar.v1 import WorkCalendar
from kinerja_contracts.org.v1 import EmployeeV1
from kinerja_contracts.topics import APPROVAL_ESCALATED, APPROVAL_REMINDER, APPROVAL_SLA_MONTHLY
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.db import Database
from kinerja_kit.outbox import UnitOfWork
from support import read_topic

pytestmark = pytest.mark.infra

WIB = ZoneInfo("Asia/Jakarta")
STAFF, HEAD, KADIS = "198503302010011002", "197501012000031001", "196801011990031001"  # A → B → C (top)


def wib(y: int, m: int, d: int, h: int = 9, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=WIB).astimezone(timezone.utc)


NOW = wib(2026, 11, 25, 10)  # Wednesday 10:00 WIB


class FakeClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def employee(nip: str, supervisor: str | None, position: str, eselon: str | None) -> EmployeeV1:
    return EmployeeV1(nip=nip, name=f"Pegawai {nip[-4:]}", unit_code="DISKOMINFO", unit_name="Dinas Kominfo",
                      position=position, position_kind="struktural" if eselon else "pelaksana", eselon=eselon,
                      kelas_jabatan=9, supervisor_nip=supervisor, employee_type="PNS")


def task(*, requested: datetime = wib(2026, 11, 19), due: datetime = wib(2026, 11, 24)) -> Task:
    return Task.open(id=str(uuid.uuid4()), activity_id=str(uuid.uuid4()), nip=STAFF, assignee_nip=HEAD,
                     type_code="LAPORAN", work_date=date(2026, 11, 19), minutes=120, points=Decimal(0), revision=0,
                     now=requested, due_at=due)


async def seed(db: Database, tasks: list[Task]) -> list[str]:
    async with UnitOfWork(db, "approval") as uow:
        for t in tasks:
            await repo.save_task(uow.session, t)
    return [t.id for t in tasks]


RUNNING: list[SlaScheduler] = []


def scheduler(db: Database, at: datetime = NOW, **kw) -> SlaScheduler:
    s = SlaScheduler(db, CalendarCache(metadata), sla_working_days=3, tz=WIB, clock=FakeClock(at), **kw)
    RUNNING.append(s)
    return s


async def escalations_per_task(db: Database) -> dict[str, int]:
    async with db.engine.connect() as conn:
        audited = dict((await conn.execute(sa.select(AuditEntry.task_id, sa.func.count()).where(
            AuditEntry.action == "escalate").group_by(AuditEntry.task_id))).all())
        events = [json.loads(p) for p in (await conn.execute(sa.select(db.outbox.c.payload).where(
            db.outbox.c.topic == APPROVAL_ESCALATED))).scalars()]
    emitted: dict[str, int] = {}
    for e in events:
        emitted[e["task_id"]] = emitted.get(e["task_id"], 0) + 1
    assert audited == emitted, (audited, emitted)  # one audit entry per event
    return audited


async def test_escalation_on_postgres_and_kafka(kafka_bootstrap, fresh_database):
    url = await fresh_database("sla_approval")
    app = create_app(load_settings(kafka_bootstrap=kafka_bootstrap, database_url=url, lag_sample_seconds=0,
                                   outbox_poll_seconds=0.2, sla_check_seconds=0))  # ticks driven by the test
    runtime = app.state.runtime
    async with app.router.lifespan_context(app):  # migrates; its relay publishes every scheduler's outbox rows
        async with runtime.uow() as uow:
            for e in [employee(STAFF, HEAD, "Pranata Komputer", None), employee(HEAD, KADIS, "Kepala Seksi", "IV.a"),
                      employee(KADIS, None, "Kepala Dinas", "II.a")]:
                await repo.upsert_employee(uow.session, e)
        dbs = [Database(runtime.db.url, metadata) for _ in range(4)]  # each a process of its own
        try:
            # 1. One overdue batch, two schedulers at once: one leads, each task escalates once.
            first = await seed(dbs[0], [task() for _ in range(4)])
            a, b = scheduler(dbs[0]), scheduler(dbs[1])
            ra, rb = await asyncio.gather(a.tick(), b.tick())
            assert sorted([ra.leader, rb.leader]) == [False, True]
            assert ra.escalated + rb.escalated == 4
            assert (await a.tick()).escalated + (await b.tick()).escalated == 0  # again: nothing twice
            async with dbs[0].engine.connect() as conn:
                moved = (await conn.execute(sa.select(TaskRow.assignee_nip, TaskRow.escalated_from).where(
                    TaskRow.id.in_(first)))).all()
            assert set(moved) == {(KADIS, HEAD)}

            # 2. Two batches racing for the same rows (leadership aside): row locks, SKIP LOCKED, one each.
            racing = await seed(dbs[0], [task() for _ in range(8)])

            async def batch(db: Database) -> int:
                async with UnitOfWork(db, "approval") as uow:
                    done = await escalation.escalate_overdue(uow, NOW, WorkCalendar(), 3, tz=WIB, limit=8)
                    await asyncio.sleep(0.2)  # hold the locks while the other batch runs
                    return done.escalated
            assert sum(await asyncio.gather(batch(dbs[0]), batch(dbs[1]))) == 8
            counts = await escalations_per_task(dbs[0])
            assert {t: counts.get(t) for t in first + racing} == {t: 1 for t in first + racing}

            # 3. A restart in the middle: the leader escalates half of a batch and dies (its database
            #    session ends: the lock goes); a new process takes over and escalates the rest, none twice.
            await a.stop()
            await b.stop()
            restart = await seed(dbs[0], [task() for _ in range(6)])
            c = scheduler(dbs[2], batch_size=3)
            assert (await c.tick()).escalated == 3
            conn = await asyncpg.connect(url)
            try:  # the process dies: PostgreSQL sees its connection go
                killed = await conn.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND objid = $1 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                    SLA_LOCK_ID)
            finally:
                await conn.close()
            assert killed == 1
            await dbs[2].dispose()
            d = scheduler(dbs[3], batch_size=3)
            for _ in range(50):  # the lock is released once the backend has gone
                if (r := await d.tick()).leader:
                    break
                await asyncio.sleep(0.1)
            assert r.leader and r.escalated == 3
            assert (await d.tick()).escalated == 0
            counts = await escalations_per_task(dbs[0])
            assert {t: counts.get(t) for t in restart} == {t: 1 for t in restart}
            assert len(counts) == 18

            # 4. The approver's monthly count: one row, the latest version carries all 18.
            async with dbs[0].engine.connect() as conn:
                row = (await conn.execute(sa.select(SlaMonthlyRow))).one()
            assert (row.nip, row.period, row.escalated_count) == (HEAD, "2026-11", 18)

            # 5. A reminder a working day before the deadline, once.
            [soon] = await seed(dbs[0], [task(requested=wib(2026, 11, 23), due=wib(2026, 11, 26))])
            assert (await d.tick()).reminded == 1
            assert (await d.tick()).reminded == 0

            async with runtime.db.sessions() as session:
                assert (await repo.walk_audit(session, ChainCheck())).ok
        finally:
            for s in RUNNING:
                await s.stop()
            for db in dbs:
                await db.dispose()

        # Published: each escalation once, the count's versions, the reminder.
        ids = set(first + racing + restart)
        escalated = await read_topic(kafka_bootstrap, APPROVAL_ESCALATED,
                                     lambda rec: json.loads(rec.value)["task_id"] in ids, expect=18)
        assert sorted(json.loads(r.value)["task_id"] for r in escalated) == sorted(ids)
        assert all(r.key.decode() == STAFF for r in escalated)
        monthly = await read_topic(kafka_bootstrap, APPROVAL_SLA_MONTHLY, lambda rec: rec.key.decode() == HEAD)
        assert max(json.loads(r.value)["escalated_count"] for r in monthly) == 18
        reminders = await read_topic(kafka_bootstrap, APPROVAL_REMINDER,
                                     lambda rec: json.loads(rec.value)["task_id"] == soon)
        assert len(reminders) == 1
