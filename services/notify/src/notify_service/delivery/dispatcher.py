"""The dispatcher: sends the pending deliveries (webhook, email, push) that the consumer wrote, off
the consumer path.

- **Several instances at once, no leader.** A tick claims due rows `FOR UPDATE SKIP LOCKED` in one
  short transaction and leases them (`next_attempt_at` = now + lease), then sends with no transaction
  open and records each attempt in a short transaction of its own. Two instances never take the same
  row, and every replica adds sending capacity (a leader would cap it at one process). A process
  that dies mid-send leaves its rows leased: another instance retries them when the lease runs out
  (at least once; receivers dedupe on the delivery id).
- **Per-receiver ordering by key.** A delivery is eligible only while no older (lower id) pending
  delivery exists for the same (channel, target, ordering key); sent and dead ones do not block.
- **Isolation.** Each receiver is a lane (a webhook per target; email is the SMTP server's lane,
  push the provider's) with at most `concurrency` sends at once and `concurrency × PREFETCH` rows
  claimed; a saturated lane is left out of the claim query, so a slow or dead receiver holds only
  its own slots. Every attempt has a total deadline (`timeout`), claims are bounded per tick
  (`batch_size`) and in flight (`max_in_flight`). The consumers only insert rows.
- **Retries**: exponential backoff with full jitter (`backoff_seconds`), then `dead` with the last
  error after `max_attempts` (counted from the last replay); a permanent refusal (e.g. SMTP 550)
  is dead at once.
- **One clock**: `clock.now()`; tests pass a fake one and call `tick()` / `drain()` in-process."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

import sqlalchemy as sa
from prometheus_client import Counter, Gauge

from kinerja_kit.db import Database
from notify_service.persistence.tables import Delivery, DeliveryAttempt, Webhook

log = logging.getLogger(__name__)

DELIVERIES = Counter("kinerja_notify_deliveries_total", "Deliveries finished, by channel and outcome (sent | dead)",
                     ["channel", "outcome"])
ATTEMPTS = Counter("kinerja_notify_delivery_attempts_total", "Delivery attempts, by channel and result (ok | failed)",
                   ["channel", "result"])
IN_FLIGHT = Gauge("kinerja_notify_deliveries_in_flight", "Deliveries claimed by this process and not yet recorded")
TICK_ERRORS = Counter("kinerja_notify_dispatcher_errors_total", "Failed dispatcher ticks")

PREFETCH = 2  # rows claimed per lane = concurrency x PREFETCH (the next ones wait in the process)
PURGE_EVERY_SECONDS = 3600.0


# --- what a channel sees and answers ---------------------------------------------------------------

@dataclass(frozen=True)
class WebhookTarget:
    id: int
    url: str
    secret: str


@dataclass(frozen=True)
class Job:
    """One claimed delivery, as a channel sends it."""
    id: int
    channel: str
    target: str
    ordering_key: str
    event_type: str
    event_id: str
    payload: dict
    attempt: int  # the number of this attempt, 1-based
    webhook: WebhookTarget | None = None


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    permanent: bool = False  # a refusal that no retry changes: dead at once


class Channel(Protocol):
    name: str
    per_target: bool  # one concurrency lane per target (webhooks), else one for the channel
    timeout: float  # total deadline of one attempt, seconds

    async def send(self, job: Job) -> Outcome:
        """Deliver once; raise or answer `Outcome(False, …)` on failure."""
        ...

    async def close(self) -> None:
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


# --- the rules (pure) ------------------------------------------------------------------------------

def backoff_seconds(failed_attempts: int, *, base: float = 2.0, cap: float = 600.0,
                    rand: Callable[[], float] = random.random) -> float:
    """Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform delay in
    [0, min(cap, base × 2^(n−1))] after the n-th failed attempt."""
    n = max(1, failed_attempts)
    return min(cap, base * 2 ** min(n - 1, 60)) * rand()


@dataclass(frozen=True)
class Pending:
    id: int
    channel: str
    target: str
    ordering_key: str
    next_attempt_at: datetime


def eligible(pending: Iterable[Pending], now: datetime) -> list[int]:
    """The ids that may be sent now, among not yet sent, not dead deliveries: the oldest of each
    (channel, target, ordering key), if it is due. (The claim query is this rule in SQL.)"""
    heads: dict[tuple[str, str, str], Pending] = {}
    for p in pending:
        k = (p.channel, p.target, p.ordering_key)
        if k not in heads or p.id < heads[k].id:
            heads[k] = p
    return sorted(p.id for p in heads.values() if p.next_attempt_at <= now)


def lane_of(channel: str, target: str, per_target: bool) -> tuple[str, str]:
    return (channel, target) if per_target else (channel, "")


def pick(candidates: Iterable[tuple[int, tuple[str, str]]], room: Mapping[tuple[str, str], int],
         total: int) -> list[int]:
    """In order, the candidates whose lane has room, at most `total`."""
    left, chosen = dict(room), []
    for did, lane in candidates:
        if len(chosen) >= total:
            break
        if left.get(lane, 0) > 0:
            left[lane] -= 1
            chosen.append(did)
    return chosen


# --- the loop --------------------------------------------------------------------------------------

class Dispatcher:
    def __init__(self, db: Database, channels: Mapping[str, Channel], *, poll_seconds: float = 0.5,
                 batch_size: int = 100, concurrency: int = 4, max_attempts: int = 8, backoff_base: float = 2.0,
                 backoff_cap: float = 600.0, max_in_flight: int = 256, keep: timedelta = timedelta(days=30),
                 clock: Clock | None = None, rand: Callable[[], float] = random.random) -> None:
        self.db, self.channels = db, dict(channels)
        self.poll_seconds, self.batch_size, self.concurrency = poll_seconds, batch_size, concurrency
        self.max_attempts, self.backoff_base, self.backoff_cap = max_attempts, backoff_base, backoff_cap
        self.max_in_flight, self.keep, self.clock, self.rand = max_in_flight, keep, clock or SystemClock(), rand
        longest = max((c.timeout for c in self.channels.values()), default=5.0)
        # A claimed row waits for its lane at most PREFETCH sends, then sends once.
        self.lease = timedelta(seconds=longest * (PREFETCH + 1) + 30)
        self._inflight: dict[tuple[str, str], int] = {}
        self._lanes: dict[tuple[str, str], asyncio.Semaphore] = {}
        self._tasks: set[asyncio.Task] = set()
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._next_purge = 0.0

    # lifecycle

    def start(self) -> None:
        """Run ticks every `poll_seconds` (at once again when a send finishes); 0 or less: not at all."""
        if self.poll_seconds > 0 and self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name="notify-dispatcher")

    async def stop(self, grace: float | None = None) -> None:
        """Stop claiming, let in-flight sends finish (up to their timeout), close the channels.
        A send cut off keeps its lease and is retried by the next instance when it runs out."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        if self._tasks:
            grace = grace if grace is not None else max((c.timeout for c in self.channels.values()), default=5.0) + 1
            _, late = await asyncio.wait(set(self._tasks), timeout=grace)
            for t in late:
                t.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        for channel in self.channels.values():
            try:
                await channel.close()
            except Exception as exc:
                log.warning("closing the %s channel: %r", channel.name, exc)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            claimed = 0
            try:
                claimed = await self.tick()
                await self._purge_sometimes()
            except Exception:
                TICK_ERRORS.inc()
                log.exception("dispatcher tick failed; next one in %.1fs", self.poll_seconds)
            if claimed >= self.batch_size and len(self._tasks) < self.max_in_flight:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass

    def wake(self) -> None:
        """Tick now (e.g. after a replay) rather than at the next poll."""
        self._wake.set()

    async def drain(self) -> None:
        """Wait until every send started so far is recorded (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def run_once(self) -> int:
        """One tick and its sends, recorded (tests)."""
        claimed = await self.tick()
        await self.drain()
        return claimed

    # one round

    async def tick(self) -> int:
        """Claim the due, eligible deliveries this process has room for and start sending them;
        returns how many were claimed (sends go on in the background: see `drain`)."""
        if not self.channels:
            return 0
        total = min(self.batch_size, self.max_in_flight - len(self._tasks))
        if total <= 0:
            return 0
        cap = self.concurrency * PREFETCH
        saturated = [lane for lane, n in self._inflight.items() if n >= cap]
        now = self.clock.now()
        async with self.db.sessions() as session, session.begin():
            rows = (await session.execute(self._claim_query(now, total, saturated))).all()
            lanes = {r.id: lane_of(r.channel, r.target, self.channels[r.channel].per_target) for r in rows}
            room = {lane: cap - self._inflight.get(lane, 0) for lane in set(lanes.values())}
            chosen = set(pick(((r.id, lanes[r.id]) for r in rows), room, total))
            rows = [r for r in rows if r.id in chosen]
            if not rows:
                return 0
            hooks = await self._webhooks(session, {int(r.target) for r in rows if r.channel == "webhook"})
            gone = [r.id for r in rows if r.channel == "webhook" and int(r.target) not in hooks]
            if gone:  # deleted after the delivery was queued
                await session.execute(sa.update(Delivery).where(Delivery.id.in_(gone)).values(
                    status="dead", last_error="webhook deleted"))
                DELIVERIES.labels("webhook", "dead").inc(len(gone))
            jobs = [Job(id=r.id, channel=r.channel, target=r.target, ordering_key=r.ordering_key,
                        event_type=r.event_type, event_id=r.event_id, payload=r.payload, attempt=r.attempts + 1,
                        webhook=hooks.get(int(r.target)) if r.channel == "webhook" else None)
                    for r in rows if r.id not in gone]
            if jobs:
                await session.execute(sa.update(Delivery).where(Delivery.id.in_([j.id for j in jobs])).values(
                    next_attempt_at=now + self.lease))
        for job in jobs:
            self._launch(job, lanes[job.id])
        return len(rows)

    def _claim_query(self, now: datetime, limit: int, saturated: list[tuple[str, str]]):
        d = Delivery.__table__
        older = d.alias("older")
        blocked = sa.exists().where(older.c.channel == d.c.channel, older.c.target == d.c.target,
                                    older.c.ordering_key == d.c.ordering_key, older.c.status == "pending",
                                    older.c.id < d.c.id)
        conditions = [d.c.status == "pending", d.c.next_attempt_at <= now, d.c.channel.in_(list(self.channels)),
                      ~blocked]
        for channel, target in saturated:
            conditions.append(sa.not_(sa.and_(d.c.channel == channel, d.c.target == target)) if target
                              else d.c.channel != channel)
        return (sa.select(d.c.id, d.c.channel, d.c.target, d.c.ordering_key, d.c.event_type, d.c.event_id,
                          d.c.payload, d.c.attempts)
                .where(*conditions).order_by(d.c.next_attempt_at, d.c.id).limit(limit)
                .with_for_update(skip_locked=True, of=d))

    @staticmethod
    async def _webhooks(session, ids: set[int]) -> dict[int, WebhookTarget]:
        if not ids:
            return {}
        rows = await session.execute(sa.select(Webhook.id, Webhook.url, Webhook.secret).where(
            Webhook.id.in_(ids), Webhook.deleted_at.is_(None)))
        return {r.id: WebhookTarget(r.id, r.url, r.secret) for r in rows}

    def _launch(self, job: Job, lane: tuple[str, str]) -> None:
        self._inflight[lane] = self._inflight.get(lane, 0) + 1
        if lane not in self._lanes:
            self._lanes[lane] = asyncio.Semaphore(self.concurrency)
        task = asyncio.create_task(self._deliver(job, lane), name=f"delivery-{job.id}")
        self._tasks.add(task)
        IN_FLIGHT.set(len(self._tasks))
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, job: Job, lane: tuple[str, str]) -> None:
        channel = self.channels[job.channel]
        try:
            async with self._lanes[lane]:
                at, started = self.clock.now(), time.monotonic()
                try:
                    async with asyncio.timeout(channel.timeout):
                        outcome = await channel.send(job)
                except TimeoutError:
                    outcome = Outcome(False, error=f"timed out after {channel.timeout:g}s")
                except Exception as exc:
                    outcome = Outcome(False, error=f"{type(exc).__name__}: {exc}"[:1000])
                duration_ms = round((time.monotonic() - started) * 1000)
            await self._record(job, at, outcome, duration_ms)
        except Exception:  # the row keeps its lease: sent again when it runs out
            log.exception("recording delivery %s failed", job.id)
        finally:
            n = self._inflight.get(lane, 1) - 1
            if n <= 0:
                self._inflight.pop(lane, None)
                self._lanes.pop(lane, None)
            else:
                self._inflight[lane] = n
            IN_FLIGHT.set(max(0, len(self._tasks) - 1))
            self._wake.set()

    async def _record(self, job: Job, at: datetime, outcome: Outcome, duration_ms: int) -> None:
        ATTEMPTS.labels(job.channel, "ok" if outcome.ok else "failed").inc()
        finished = None
        async with self.db.sessions() as session, session.begin():
            row = await session.get(Delivery, job.id, with_for_update=True)
            if row is None:
                return
            session.add(DeliveryAttempt(delivery_id=job.id, at=at, status_code=outcome.status_code,
                                        error=None if outcome.ok else outcome.error, duration_ms=duration_ms))
            row.attempts += 1
            if row.status != "pending":  # e.g. its webhook was deleted meanwhile
                return
            now = self.clock.now()
            if outcome.ok:
                row.status, row.sent_at, row.last_error, finished = "sent", now, None, "sent"
            else:
                row.last_error = outcome.error
                used = row.attempts - row.attempts_before_replay
                if outcome.permanent or used >= self.max_attempts:
                    row.status, finished = "dead", "dead"
                else:
                    delay = backoff_seconds(used, base=self.backoff_base, cap=self.backoff_cap, rand=self.rand)
                    row.next_attempt_at = now + timedelta(seconds=delay)
        if finished:
            DELIVERIES.labels(job.channel, finished).inc()
            if finished == "dead":
                log.warning("delivery dead-lettered", extra={"delivery_id": job.id, "channel": job.channel,
                                                              "target": job.target, "reason": outcome.error})

    async def _purge_sometimes(self) -> None:
        """Sent and dead deliveries older than `keep` go, with their attempts (bounded per round)."""
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + PURGE_EVERY_SECONDS
        before = self.clock.now() - self.keep
        async with self.db.sessions() as session, session.begin():
            old = sa.select(Delivery.id).where(Delivery.status.in_(["sent", "dead"]),
                                               Delivery.created_at < before).limit(5000)
            ids = list(await session.scalars(old))
            if ids:
                await session.execute(sa.delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(ids)))
                await session.execute(sa.delete(Delivery).where(Delivery.id.in_(ids)))
