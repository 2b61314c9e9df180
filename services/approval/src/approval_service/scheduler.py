"""The SLA scheduler: every `sla_check_seconds` one tick escalates overdue tasks and reminds the
approvers of tasks due in one working day (application/escalation.py).

- **One instance runs it** when the service is scaled out: on PostgreSQL the leader holds a session
  advisory lock on an autocommit connection of its own (as the outbox relay does; no transaction
  stays open), re-checked at every tick. It is released when the process or its connection dies,
  and another replica's next tick takes over. SQLite is one process: always the leader.
- **It survives restarts**: its state is the tasks' rows (`due_at`, `reminded_at`, `escalated_at`);
  a batch is one transaction, so a crash in the middle leaves it undone, to be done by the next tick.
- **Never twice**: even two leaders at once (a lock connection lost in the middle of a tick) take
  disjoint rows (`FOR UPDATE SKIP LOCKED`), and only tasks not escalated yet, in the transaction
  that escalates them; the domain refuses a second escalation.
- **One clock**: `Clock.now()`; production `SystemClock`, tests pass a fake one and call `tick()`
  in-process (deterministic, and no test-only setting in production)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from prometheus_client import Counter, Gauge

from approval_service.application import escalation
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.db import Database
from kinerja_kit.outbox import UnitOfWork

log = logging.getLogger(__name__)

ESCALATIONS = Counter("kinerja_approval_escalations_total",
                      "Overdue approval tasks: escalated to the next superior, or flagged at the top of the chain",
                      ["outcome"])
REMINDERS = Counter("kinerja_approval_reminders_total", "Approvers reminded one working day before a deadline")
TICK_ERRORS = Counter("kinerja_approval_sla_tick_errors_total", "Failed SLA scheduler ticks")
LEADER = Gauge("kinerja_approval_sla_leader", "1 while this process runs the SLA scheduler")

SLA_LOCK_ID = 727_003  # pg advisory lock: one SLA scheduler per database (727_001 relay, 727_002 audit)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@dataclass(frozen=True)
class TickResult:
    leader: bool
    escalated: int = 0
    flagged: int = 0
    reminded: int = 0
    more: bool = False  # a batch was full: tick again at once


class SlaScheduler:
    def __init__(self, db: Database, calendar: CalendarCache, *, sla_working_days: int, tz: ZoneInfo,
                 interval_seconds: float = 60.0, clock: Clock | None = None, producer: str = "approval",
                 batch_size: int = escalation.BATCH) -> None:
        self.db, self.calendar, self.sla, self.tz = db, calendar, sla_working_days, tz
        self.interval, self.clock, self.producer, self.batch_size = interval_seconds, clock or SystemClock(), \
            producer, batch_size
        self._leader_conn = None
        self._leads = False
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        """Run a tick now and then every `interval_seconds` (0 or less: not at all)."""
        if self.interval > 0 and self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name="sla-scheduler")

    async def stop(self) -> None:
        """Let the current tick finish, then give up the leadership."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self._drop_leadership()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            more = False
            try:
                more = (await self.tick()).more
            except Exception:
                TICK_ERRORS.inc()
                log.exception("SLA scheduler tick failed; next one in %.0fs", self.interval)
            if more:
                continue
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval)
            except TimeoutError:
                pass

    async def tick(self) -> TickResult:
        """One round, if this process leads: a batch of escalations, then a batch of reminders."""
        if not await self._is_leader():
            return TickResult(leader=False)
        now = self.clock.now()
        async with UnitOfWork(self.db, self.producer) as uow:
            calendar = await self.calendar.get(uow.session)
            esc = await escalation.escalate_overdue(uow, now, calendar, self.sla, tz=self.tz, limit=self.batch_size)
        ESCALATIONS.labels("escalated").inc(esc.escalated)
        ESCALATIONS.labels("flagged").inc(esc.flagged)
        reminded = escalation.ReminderBatch(0, more=False)
        if self.sla > 1:  # with a one-day SLA the request itself is the reminder
            async with UnitOfWork(self.db, self.producer) as uow:
                reminded = await escalation.remind_due(uow, now, calendar, tz=self.tz, limit=self.batch_size)
            REMINDERS.inc(reminded.reminded)
        if esc.escalated or esc.flagged or reminded.reminded:
            log.info("SLA tick", extra={"escalated": esc.escalated, "flagged": esc.flagged,
                                        "reminded": reminded.reminded})
        return TickResult(True, esc.escalated, esc.flagged, reminded.reminded, more=esc.more or reminded.more)

    async def _is_leader(self) -> bool:
        if not self.db.is_postgres:
            return True
        try:
            if self._leader_conn is None:
                conn = await self.db.engine.connect()
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                self._leader_conn = conn
            got = await self._leader_conn.scalar(sa.select(sa.func.pg_try_advisory_lock(SLA_LOCK_ID)))
            if got and self._leads:  # held already: the lock stacks, release the extra hold
                await self._leader_conn.execute(sa.select(sa.func.pg_advisory_unlock(SLA_LOCK_ID)))
            if bool(got) != self._leads:
                log.info("SLA scheduler %s", "leads" if got else "follows")
            self._leads = bool(got)
        except Exception:
            await self._drop_leadership()
            raise
        LEADER.set(1 if self._leads else 0)
        return self._leads

    async def _drop_leadership(self) -> None:
        conn, self._leader_conn, self._leads = self._leader_conn, None, False
        LEADER.set(0)
        if conn is not None:
            try:
                await conn.invalidate()  # closes the database session (not back to the pool): the lock goes
                await conn.close()
            except Exception as exc:
                log.warning("dropping the SLA scheduler's lock connection: %r", exc)
