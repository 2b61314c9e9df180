"""The low-activity reminder: two working days before the month's cutoff (its last working day by
the region calendar, domain/cutoff.py), every active employee (org.employee.v1) who has logged
fewer than `threshold` activities in the month (activity.submitted.v1, by work date) is told so,
once per employee and month.

It runs as the kit's leader-elected scheduler (`kinerja_kit.scheduling`, as approval's SLA
scheduler): every `interval_seconds` a tick in one process per database (PostgreSQL advisory lock
727_011). From `remind_at` (local time) on the reminder day up to the cutoff, each tick takes a
batch of employees not reminded yet; a `low_activity_reminders` row claims each (insert-once, so a
restart or two leaders never remind twice) in the transaction that stores the notification and
queues its email/push. Other days a tick only computes the day. The clock is injectable; tests
call `tick()`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo

from prometheus_client import Counter, Gauge

from kinerja_kit.calendar import CalendarCache
from kinerja_kit.db import Database
from kinerja_kit.outbox import UnitOfWork
from kinerja_kit.scheduling import Clock, LeaderScheduler
from notify_service import delivery
from notify_service.application.notifications import Context, store_messages
from notify_service.domain import messages
from notify_service.domain.cutoff import cutoff_day, low_activity_reminder_day, period_of
from notify_service.persistence import repository as repo

log = logging.getLogger(__name__)

REMINDED = Counter("kinerja_notify_low_activity_reminders_total",
                   "Employees reminded of little logged work before the month's cutoff")
TICK_ERRORS = Counter("kinerja_notify_reminder_tick_errors_total", "Failed low-activity reminder ticks")
LEADER = Gauge("kinerja_notify_reminder_leader", "1 while this process runs the low-activity reminder")

REMINDER_LOCK_ID = 727_011  # pg advisory lock: one reminder scheduler per database
BATCH = 500


@dataclass(frozen=True)
class ReminderTick:
    leader: bool
    due: bool = False  # today is a reminder day (and past remind_at)
    period: str | None = None
    reminded: int = 0
    more: bool = False  # a batch was full: tick again at once


class LowActivityReminders(LeaderScheduler):
    def __init__(self, db: Database, calendar: CalendarCache, ctx: Context, *, threshold: int = 10,
                 remind_at: time = time(8, 0), interval_seconds: float = 600.0, clock: Clock | None = None,
                 producer: str = "notify", batch_size: int = BATCH) -> None:
        super().__init__(db, lock_id=REMINDER_LOCK_ID, name="low-activity reminder", interval_seconds=interval_seconds,
                         clock=clock, leader_gauge=LEADER, tick_errors=TICK_ERRORS)
        self.calendar, self.ctx, self.threshold, self.remind_at = calendar, ctx, threshold, remind_at
        self.producer, self.batch_size = producer, batch_size

    @property
    def tz(self) -> ZoneInfo:
        return self.ctx.tz

    async def tick(self) -> ReminderTick:
        if not await self.is_leader():
            return ReminderTick(leader=False)
        now = self.clock.now()
        local = now.astimezone(self.tz)
        today = local.date()
        async with UnitOfWork(self.db, self.producer) as uow:
            cal = await self.calendar.get(uow.session)
            cutoff = cutoff_day(cal, today.year, today.month)
            day = low_activity_reminder_day(cal, today.year, today.month)
            if not (day <= today <= cutoff) or (today == day and local.time() < self.remind_at) \
                    or self.threshold <= 0:
                return ReminderTick(leader=True)
            period = period_of(today)
            candidates = await repo.low_activity_candidates(uow.session, period, self.threshold, self.batch_size)
            reminded = 0
            for nip, count in candidates:
                if not await repo.mark_low_activity_reminded(uow.session, nip, period, count, now):
                    continue
                msg = messages.low_activity(nip, period, count, cutoff, self.ctx.templates)
                rows = await store_messages(uow.session, self.ctx, [msg], f"low-activity:{period}:{nip}", now)
                for row in rows:
                    await delivery.on_notification(uow, row, await repo.get_preferences(uow.session, nip))
                reminded += 1
        REMINDED.inc(reminded)
        if reminded:
            log.info("low-activity reminders sent", extra={"period": period, "reminded": reminded})
        return ReminderTick(True, due=True, period=period, reminded=reminded,
                            more=len(candidates) >= self.batch_size)
