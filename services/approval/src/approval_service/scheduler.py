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
  in-process (deterministic, and no test-only setting in production).

The leader election and the loop are the kit's (`kinerja_kit.scheduling`, shared with notify's
reminders)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from prometheus_client import Counter, Gauge

from approval_service.application import escalation
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.db import Database
from kinerja_kit.outbox import UnitOfWork
from kinerja_kit.scheduling import Clock, LeaderScheduler, SystemClock

__all__ = ["SLA_LOCK_ID", "Clock", "SlaScheduler", "SystemClock", "TickResult"]

log = logging.getLogger(__name__)

ESCALATIONS = Counter("kinerja_approval_escalations_total",
                      "Overdue approval tasks: escalated to the next superior, or flagged at the top of the chain",
                      ["outcome"])
REMINDERS = Counter("kinerja_approval_reminders_total", "Approvers reminded one working day before a deadline")
TICK_ERRORS = Counter("kinerja_approval_sla_tick_errors_total", "Failed SLA scheduler ticks")
LEADER = Gauge("kinerja_approval_sla_leader", "1 while this process runs the SLA scheduler")

SLA_LOCK_ID = 727_003  # pg advisory lock: one SLA scheduler per database (727_001 relay, 727_002 audit)


@dataclass(frozen=True)
class TickResult:
    leader: bool
    escalated: int = 0
    flagged: int = 0
    reminded: int = 0
    more: bool = False  # a batch was full: tick again at once


class SlaScheduler(LeaderScheduler):
    def __init__(self, db: Database, calendar: CalendarCache, *, sla_working_days: int, tz: ZoneInfo,
                 interval_seconds: float = 60.0, clock: Clock | None = None, producer: str = "approval",
                 batch_size: int = escalation.BATCH) -> None:
        super().__init__(db, lock_id=SLA_LOCK_ID, name="SLA scheduler", interval_seconds=interval_seconds,
                         clock=clock, leader_gauge=LEADER, tick_errors=TICK_ERRORS)
        self.calendar, self.sla, self.tz = calendar, sla_working_days, tz
        self.producer, self.batch_size = producer, batch_size

    async def tick(self) -> TickResult:
        """One round, if this process leads: a batch of escalations, then a batch of reminders."""
        if not await self.is_leader():
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
