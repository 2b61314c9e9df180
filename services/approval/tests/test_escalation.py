"""SLA and escalation (issue 9): the pure rules (escalate once, the reminder's working day), and the
scheduler's tick on SQLite, the embedded default, with a fake clock: escalated once, flagged at the
top of the chain, reminded once, counted per approver and month, a restart and a crash in the
middle of a batch. The same on PostgreSQL and Kafka: tests/test_escalation.py."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from approval_service.application import escalation, routing
from approval_service.domain.sla import month_of, reminder_at, reminder_horizon
from approval_service.domain.task import Task, TaskStatus
from approval_service.persistence import repository as repo
from approval_service.persistence.tables import AuditEntry, SlaMonthlyRow, TaskRow, metadata
from approval_service.region import load_chain
from approval_service.scheduler import SlaScheduler
from kinerja_contracts.calendar.v1 import CalendarDay, CalendarYearV1, WorkCalendar
from kinerja_contracts.org.v1 import EmployeeV1
from kinerja_contracts.topics import APPROVAL_ESCALATED, APPROVAL_REMINDER, APPROVAL_SLA_MONTHLY
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.db import Database
from kinerja_kit.errors import TransitionRefused
from kinerja_kit.outbox import UnitOfWork

WIB = ZoneInfo("Asia/Jakarta")
STAFF, HEAD, KADIS = "198503302010011002", "197501012000031001", "196801011990031001"  # A → B → C (top)


def wib(y: int, m: int, d: int, h: int = 9, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=WIB).astimezone(timezone.utc)


def holidays(*days: str) -> WorkCalendar:
    return WorkCalendar([CalendarYearV1(year=2026, revision=1, updated_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
                                        days=[CalendarDay(date=d, kind="libur_daerah", name="Libur") for d in days])])


def task(assignee: str | None = HEAD, *, requested: datetime | None = None, due: datetime | None = None,
         nip: str = STAFF) -> Task:
    return Task.open(id=str(uuid.uuid4()), activity_id=str(uuid.uuid4()), nip=nip, assignee_nip=assignee,
                     type_code="LAPORAN", work_date=date(2026, 11, 20), minutes=120, points=Decimal(0), revision=0,
                     now=requested or wib(2026, 11, 20), due_at=due or wib(2026, 11, 25))


# --- the domain -----------------------------------------------------------------------------------

def test_an_overdue_task_escalates_once_and_its_approver_is_flagged():
    t, now = task(), wib(2026, 11, 25, 10)
    assert t.escalate(to_nip=KADIS, now=now, due_at=wib(2026, 11, 30, 10)) == HEAD
    assert (t.status, t.assignee_nip, t.escalated_from, t.escalated_at) == (TaskStatus.PENDING, KADIS, HEAD, now)
    assert (t.requested_at, t.due_at) == (now, wib(2026, 11, 30, 10))
    with pytest.raises(TransitionRefused) as e:
        t.escalate(to_nip="199001012015011001", now=now, due_at=None)
    assert e.value.state == "escalated" and t.assignee_nip == KADIS


def test_at_the_top_of_the_chain_the_task_stays_flagged_and_is_not_tried_again():
    t, now = task(), wib(2026, 11, 25, 10)
    assert t.escalate(to_nip=None, now=now, due_at=None) == HEAD
    assert (t.assignee_nip, t.escalated_from, t.escalated_at, t.due_at) == (HEAD, HEAD, now, wib(2026, 11, 25))
    with pytest.raises(TransitionRefused):
        t.escalate(to_nip=KADIS, now=now, due_at=None)


def test_the_reminder_is_the_same_time_one_working_day_before():
    plain = WorkCalendar()
    assert reminder_at(wib(2026, 11, 26), plain, WIB) == wib(2026, 11, 25)  # Thursday → Wednesday
    assert reminder_at(wib(2026, 11, 30, 14), plain, WIB) == wib(2026, 11, 27, 14)  # Monday → Friday
    # A regional holiday on the Wednesday: the Tuesday; on Friday: Thursday before a Monday deadline.
    assert reminder_at(wib(2026, 11, 26), holidays("2026-11-25"), WIB) == wib(2026, 11, 24)
    assert reminder_at(wib(2026, 11, 30), holidays("2026-11-27"), WIB) == wib(2026, 11, 26)
    # A worked Saturday counts.
    saturday = WorkCalendar([CalendarYearV1(year=2026, revision=1, updated_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
                                            days=[CalendarDay(date="2026-11-28", kind="hari_kerja", name="Sabtu")])])
    assert reminder_at(wib(2026, 11, 30), saturday, WIB) == wib(2026, 11, 28)
    # The deadline the SLA gives (3 working days over a holiday) and its reminder.
    cal = holidays("2026-11-24")
    from approval_service.application.tasks import due_at
    due = due_at(wib(2026, 11, 20), 3, WIB, cal)
    assert (due, reminder_at(due, cal, WIB)) == (wib(2026, 11, 26), wib(2026, 11, 25))


def test_the_horizon_bounds_every_reminder_due_now():
    """The query's bound misses no task: reminder_at(due) <= now implies due < horizon(now)."""
    cal = holidays("2026-11-25", "2026-12-24", "2026-12-25")
    start = wib(2026, 11, 19, 0)
    dues = [start + timedelta(hours=5 * i + 1) for i in range(24 * 9)]
    for now in (start + timedelta(hours=7 * i) for i in range(24 * 5)):
        horizon = reminder_horizon(now, cal, WIB)
        assert all(due < horizon for due in dues if reminder_at(due, cal, WIB) <= now), now


def test_a_reminder_goes_once_per_assignment_between_its_time_and_the_deadline():
    t = task(requested=wib(2026, 11, 23), due=wib(2026, 11, 26))
    at = reminder_at(t.due_at, WorkCalendar(), WIB)
    assert not t.remind(now=at - timedelta(minutes=1), remind_at=at)
    assert t.remind(now=at, remind_at=at) and t.reminded_at == at
    assert not t.remind(now=at + timedelta(hours=1), remind_at=at)  # once
    t.reassign(to_nip=KADIS, now=at + timedelta(hours=2), due_at=wib(2026, 11, 30))  # a new assignment
    again = reminder_at(t.due_at, WorkCalendar(), WIB)
    assert t.needs_reminder and t.remind(now=again, remind_at=again)
    late = task(requested=wib(2026, 11, 23), due=wib(2026, 11, 26))
    assert not late.remind(now=wib(2026, 11, 26, 10), remind_at=at)  # past the deadline: it escalates instead


def test_no_reminder_for_a_task_assigned_within_a_working_day_or_escalated():
    short = task(requested=wib(2026, 11, 25, 10), due=wib(2026, 11, 26))
    at = reminder_at(short.due_at, WorkCalendar(), WIB)
    assert not short.remind(now=wib(2026, 11, 25, 12), remind_at=at)
    t = task(requested=wib(2026, 11, 20), due=wib(2026, 11, 25))
    t.escalate(to_nip=KADIS, now=wib(2026, 11, 25, 10), due_at=wib(2026, 11, 30, 10))
    assert not t.needs_reminder


def test_the_month_is_the_regions():
    assert month_of(datetime(2026, 11, 30, 18, tzinfo=timezone.utc), WIB) == "2026-12"  # 01:00 WIB on 1 December
    assert month_of(datetime(2026, 11, 30, 16, tzinfo=timezone.utc), WIB) == "2026-11"


# --- the tick on SQLite -----------------------------------------------------------------------------

class FakeClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def employee(nip: str, supervisor: str | None, position: str, eselon: str | None) -> EmployeeV1:
    return EmployeeV1(nip=nip, name=f"Pegawai {nip[-4:]}", unit_code="DISKOMINFO", unit_name="Dinas Kominfo",
                      position=position, position_kind="struktural" if eselon else "pelaksana", eselon=eselon,
                      kelas_jabatan=9, supervisor_nip=supervisor, employee_type="PNS")


ORG = [employee(STAFF, HEAD, "Pranata Komputer", None), employee(HEAD, KADIS, "Kepala Seksi", "IV.a"),
       employee(KADIS, None, "Kepala Dinas", "II.a")]


@pytest.fixture
async def db(tmp_path):
    routing.configure(load_chain(None))
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'approval.db'}", metadata)
    async with database.engine.begin() as conn:  # the tables as the models say (migrations: tests/test_migrations.py)
        await conn.run_sync(metadata.create_all)
    async with UnitOfWork(database, "approval") as uow:
        for e in ORG:
            await repo.upsert_employee(uow.session, e)
    yield database
    await database.dispose()


async def seed(db: Database, *tasks: Task) -> list[str]:
    async with UnitOfWork(db, "approval") as uow:
        for t in tasks:
            await repo.save_task(uow.session, t)
    return [t.id for t in tasks]


def scheduler(db: Database, at: datetime, **kw) -> tuple[SlaScheduler, FakeClock]:
    clock = FakeClock(at)
    return SlaScheduler(db, CalendarCache(metadata), sla_working_days=3, tz=WIB, clock=clock, **kw), clock


async def rows(db: Database, stmt) -> list:
    async with db.engine.connect() as conn:
        return list((await conn.execute(stmt)).mappings())


async def outbox(db: Database, topic: str) -> list[dict]:
    return [json.loads(r["payload"]) for r in await rows(db, sa.select(db.outbox).where(db.outbox.c.topic == topic)
                                                           .order_by(db.outbox.c.id))]


async def audit(db: Database, action: str) -> list[str]:
    return [r["task_id"] for r in await rows(db, sa.select(AuditEntry).where(AuditEntry.action == action))]


async def test_a_tick_escalates_flags_and_reminds_once(db):
    now = wib(2026, 11, 25, 10)  # Wednesday, 10:00 WIB
    overdue, top, soon, later, far = await seed(
        db, task(requested=wib(2026, 11, 19), due=wib(2026, 11, 24)),  # due yesterday
        task(KADIS, requested=wib(2026, 11, 19), due=wib(2026, 11, 24), nip=HEAD),  # the top's own approver
        task(requested=wib(2026, 11, 23), due=wib(2026, 11, 26)),  # reminder from Wed 09:00
        task(requested=wib(2026, 11, 23, 11), due=wib(2026, 11, 26, 11)),  # reminder from Wed 11:00
        task(requested=wib(2026, 11, 25), due=wib(2026, 11, 30)))
    sched, clock = scheduler(db, now)
    result = await sched.tick()
    assert (result.leader, result.escalated, result.flagged, result.reminded) == (True, 1, 1, 1)

    by_id = {r["id"]: r for r in await rows(db, sa.select(TaskRow))}
    assert (by_id[overdue]["assignee_nip"], by_id[overdue]["escalated_from"]) == (KADIS, HEAD)
    assert (by_id[top]["assignee_nip"], by_id[top]["escalated_from"]) == (KADIS, KADIS)  # stays, flagged
    assert by_id[soon]["reminded_at"] is not None and by_id[later]["reminded_at"] is None
    [event] = await outbox(db, APPROVAL_ESCALATED)
    assert (event["task_id"], event["from_approver_nip"], event["to_approver_nip"], event["first_approver_nip"]) == \
        (overdue, HEAD, KADIS, HEAD)
    assert event["period"] == "2026-11" and event["due_at"].startswith("2026-11-24T02:00")
    [count] = await outbox(db, APPROVAL_SLA_MONTHLY)
    assert (count["nip"], count["period"], count["escalated_count"], count["version"]) == (HEAD, "2026-11", 1, 1)
    [reminder] = await outbox(db, APPROVAL_REMINDER)
    assert (reminder["task_id"], reminder["approver_nip"], reminder["due_date"]) == (soon, HEAD, "2026-11-26")
    assert await audit(db, "escalate") == [overdue] and await audit(db, "overdue") == [top]

    # Again, and later the same day: nothing twice; the later reminder goes at its time.
    assert (await sched.tick()).escalated == 0
    clock.at = wib(2026, 11, 25, 11, 30)
    again = await sched.tick()
    assert (again.escalated, again.flagged, again.reminded) == (0, 0, 1)
    assert [r["task_id"] for r in await outbox(db, APPROVAL_REMINDER)] == [soon, later]
    assert len(await outbox(db, APPROVAL_ESCALATED)) == 1 and len(await audit(db, "overdue")) == 1
    # In December the others are overdue too; the escalated one is past its new deadline (Mon 30th)
    # as well, but stays with Kadis: a task escalates once.
    clock.at = wib(2026, 12, 4, 10)
    late = await sched.tick()
    assert (late.escalated, late.flagged) == (3, 0)
    assert sorted(await audit(db, "escalate")) == sorted([overdue, soon, later, far])
    counts = await rows(db, sa.select(SlaMonthlyRow))
    assert {(c["nip"], c["period"]): (c["escalated_count"], c["version"]) for c in counts} == \
        {(HEAD, "2026-11"): (1, 1), (HEAD, "2026-12"): (3, 1)}


async def test_a_restart_in_the_middle_of_the_work_escalates_the_rest_once(db, tmp_path):
    ids = await seed(db, *(task(requested=wib(2026, 11, 19), due=wib(2026, 11, 24)) for _ in range(6)))
    first, _ = scheduler(db, wib(2026, 11, 25, 10), batch_size=3)
    assert (await first.tick()).escalated == 3  # half, then the process goes away
    await first.stop()
    await db.dispose()
    db2 = Database(str(db.url), metadata)  # a new process: new engine, new scheduler
    try:
        second, _ = scheduler(db2, wib(2026, 11, 25, 10, 1), batch_size=3)
        assert (await second.tick()).escalated == 3
        assert (await second.tick()).escalated == 0
        assert sorted(await audit(db2, "escalate")) == sorted(ids)  # each once
        assert sorted(e["task_id"] for e in await outbox(db2, APPROVAL_ESCALATED)) == sorted(ids)
        versions = [(c["escalated_count"], c["version"]) for c in await outbox(db2, APPROVAL_SLA_MONTHLY)]
        assert versions == [(3, 1), (6, 2)]  # one new version per change, latest wins
    finally:
        await db2.dispose()


async def test_a_crash_in_the_middle_of_a_batch_leaves_it_undone_for_the_next_tick(db, monkeypatch):
    ids = await seed(db, *(task(requested=wib(2026, 11, 19), due=wib(2026, 11, 24)) for _ in range(4)))
    real, calls = routing.escalation_target, []

    async def dies_on_the_third(session, nip, day):
        calls.append(nip)
        if len(calls) == 3:
            raise ConnectionError("the database went away")
        return await real(session, nip, day)

    monkeypatch.setattr(routing, "escalation_target", dies_on_the_third)
    sched, _ = scheduler(db, wib(2026, 11, 25, 10))
    with pytest.raises(ConnectionError):
        await sched.tick()
    assert await audit(db, "escalate") == [] and await outbox(db, APPROVAL_ESCALATED) == []
    monkeypatch.setattr(routing, "escalation_target", real)
    assert (await sched.tick()).escalated == 4
    assert sorted(await audit(db, "escalate")) == sorted(ids)


async def test_two_schedulers_at_once_escalate_each_task_once(db):
    ids = await seed(db, *(task(requested=wib(2026, 11, 19), due=wib(2026, 11, 24)) for _ in range(5)))
    db2 = Database(str(db.url), metadata)
    try:
        a, _ = scheduler(db, wib(2026, 11, 25, 10))
        b, _ = scheduler(db2, wib(2026, 11, 25, 10))
        results = await asyncio.gather(a.tick(), b.tick(), a.tick())
        assert sum(r.escalated for r in results) == 5
        assert sorted(await audit(db, "escalate")) == sorted(ids)
        [c] = await rows(db, sa.select(SlaMonthlyRow))
        assert c["escalated_count"] == 5
    finally:
        await db2.dispose()


async def test_a_decided_task_does_not_escalate(db):
    [tid] = await seed(db, task(requested=wib(2026, 11, 19), due=wib(2026, 11, 24)))
    async with UnitOfWork(db, "approval") as uow:
        await uow.session.execute(sa.update(TaskRow).where(TaskRow.id == tid).values(status="approved"))
    sched, _ = scheduler(db, wib(2026, 11, 25, 10))
    assert (await sched.tick()).escalated == 0


async def test_the_background_loop_ticks_and_stops(db):
    [tid] = await seed(db, task(requested=wib(2026, 11, 19), due=wib(2026, 11, 24)))
    sched, _ = scheduler(db, wib(2026, 11, 25, 10), interval_seconds=0.05)
    sched.start()
    for _ in range(100):
        if await audit(db, "escalate"):
            break
        await asyncio.sleep(0.02)
    await sched.stop()
    assert await audit(db, "escalate") == [tid]


def test_escalation_batches_are_bounded():
    assert escalation.BATCH == 500
