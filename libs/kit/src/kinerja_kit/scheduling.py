"""Leader-elected periodic jobs (approval's SLA scheduler, notify's reminders): one tick now and then
every `interval_seconds`, acting in one process per database.

- **One leader per database**: on PostgreSQL the leader holds a session advisory lock (`lock_id`) on
  an autocommit connection of its own (as the outbox relay does; no transaction stays open),
  re-checked at every tick. It goes when the process or its connection dies, and another replica's
  next tick takes over. SQLite is one process: always the leader.
- **A job's state is in its rows**, so a restart or a second leader (a lock connection lost in the
  middle of a tick) never does a thing twice; that is the job's part (`FOR UPDATE SKIP LOCKED`,
  insert-once marker rows).
- **One clock**: `Clock.now()`; production `SystemClock`, tests pass a fake one and call `tick()`
  in-process (deterministic, and no test-only setting in production)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any, Protocol

import sqlalchemy as sa

from kinerja_kit.db import Database

log = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class AdvisoryLeader:
    """Leadership by a PostgreSQL session advisory lock on a connection of its own; always the
    leader on SQLite. `gauge` (a prometheus Gauge, optional) shows 1 while this process leads."""

    def __init__(self, db: Database, lock_id: int, name: str, gauge: Any = None) -> None:
        self.db, self.lock_id, self.name, self.gauge = db, lock_id, name, gauge
        self._conn = None
        self.leads = False

    async def check(self) -> bool:
        """Take or confirm the lock; True while this process leads."""
        if not self.db.is_postgres:
            self.leads = True
        else:
            try:
                if self._conn is None:
                    conn = await self.db.engine.connect()
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    self._conn = conn
                got = bool(await self._conn.scalar(sa.select(sa.func.pg_try_advisory_lock(self.lock_id))))
                if got and self.leads:  # held already: the lock stacks, release the extra hold
                    await self._conn.execute(sa.select(sa.func.pg_advisory_unlock(self.lock_id)))
                if got != self.leads:
                    log.info("%s %s", self.name, "leads" if got else "follows")
                self.leads = got
            except Exception:
                await self.drop()
                raise
        if self.gauge is not None:
            self.gauge.set(1 if self.leads else 0)
        return self.leads

    async def drop(self) -> None:
        """Give the lock up (closing the connection's database session)."""
        conn, self._conn, self.leads = self._conn, None, False
        if self.gauge is not None:
            self.gauge.set(0)
        if conn is not None:
            try:
                await conn.invalidate()  # closes the database session (not back to the pool): the lock goes
                await conn.close()
            except Exception as exc:
                log.warning("dropping the %s's lock connection: %r", self.name, exc)


class LeaderScheduler:
    """Base of a leader-elected periodic job: subclasses implement `tick()`, which starts with
    `if not await self.is_leader(): …` and returns an object whose `more` says a batch was full
    (tick again at once). `tick_errors` (a prometheus Counter, optional) counts failed ticks."""

    def __init__(self, db: Database, *, lock_id: int, name: str, interval_seconds: float = 60.0,
                 clock: Clock | None = None, leader_gauge: Any = None, tick_errors: Any = None) -> None:
        self.db, self.name, self.interval = db, name, interval_seconds
        self.clock = clock or SystemClock()
        self.leader = AdvisoryLeader(db, lock_id, name, leader_gauge)
        self.tick_errors = tick_errors
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        """Run a tick now and then every `interval_seconds` (0 or less: not at all)."""
        if self.interval > 0 and self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Let the current tick finish, then give up the leadership."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.leader.drop()

    async def is_leader(self) -> bool:
        return await self.leader.check()

    async def tick(self) -> Any:
        raise NotImplementedError

    async def _run(self) -> None:
        while not self._stopping.is_set():
            more = False
            try:
                more = bool(getattr(await self.tick(), "more", False))
            except Exception:
                if self.tick_errors is not None:
                    self.tick_errors.inc()
                log.exception("%s tick failed; next one in %.0fs", self.name, self.interval)
            if more:
                continue
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval)
            except TimeoutError:
                pass
