"""Idempotent consumers with commit-after-processing, batches and dead-lettering.

One Kafka subscriber per service (consumer group = the service) reads all the topics the
service consumes, a batch at a time, and dispatches by topic. A polled batch (records of any
partitions and topics) is handled in one unit of work, the records of each partition in order:

- the batch's event ids are claimed in the inbox with one insert; a redelivered event id
  changes nothing;
- the handlers run one after another in that transaction, without savepoints (a savepoint per
  record cost two round trips and a flush, and past 64 of them PostgreSQL's subtransaction cache
  overflows). When a handler fails, the whole transaction is rolled back and the batch handled
  again up to that record, which is not called again: its error decides. So a handler may run
  twice with the first run rolled back; effects outside the transaction belong in after-commit
  hooks (as the dashboards' wake-ups);
- a record that can never be processed — no `event-id`, wrong `schema-version`, a body that fails
  its contract, a handler raising `PermanentError` or a domain refusal
  (`kinerja_kit.errors.DomainError`) — is left out and dead-lettered to `<topic>.dlq` with the
  error in headers, the rest of the batch kept; dead letters are acknowledged by the broker before
  the batch commits, so none is lost;
- any other error is transient: the failed record's partition is rewound to it and paused for a
  backoff, its later records in the batch given back, while the other partitions' records commit
  (other partitions and topics keep flowing, nothing is skipped), then resumed. Infrastructure
  errors (database or network down) and lock conflicts (deadlock, serialization failure: another
  instance's transaction won) retry for as long as they last; `NotYetAvailable` (waiting for
  another topic's record) retries for `wait_budget_seconds`; any other error (a bug) for
  `error_attempts` tries; past its budget the record is dead-lettered with the class
  `RetryBudgetExhausted` and can be replayed from the dead-letter topic once fixed
  (deploy/ops/dlq_replay.py).

One poll's batch is time-bounded: past half the max poll interval, handling stops before the next
record, what was handled commits, and each partition is rewound to its first unhandled record, so
a slow handler never outlasts the poll interval (no member dropped, no rebalance loop).

Offsets are committed after the batch is handled (at the rewound position for a paused partition).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from prometheus_client import Counter, Histogram
from pydantic import BaseModel, ValidationError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError

from kinerja_contracts import envelope
from kinerja_contracts.topics import dlq_topic, spec
from kinerja_kit.db import Database, is_infrastructure_error, is_lock_conflict
from kinerja_kit.errors import DomainError
from kinerja_kit.outbox import UnitOfWork
from kinerja_kit.telemetry import current_event_id

log = logging.getLogger(__name__)
tracer = trace.get_tracer("kinerja.consumer")

MESSAGES = Counter(
    "kinerja_messages_consumed_total", "Records consumed, by outcome", ["topic", "group", "outcome"]
)
HANDLE_SECONDS = Histogram("kinerja_message_handle_seconds", "Time to handle one record", ["topic", "group"])
BATCH_SECONDS = Histogram("kinerja_consumer_batch_seconds", "Time to handle one polled batch", ["group"])
RETRIES = Counter("kinerja_message_retries_total", "Transient failures retried", ["topic", "group"])
PAUSED = Counter("kinerja_partition_pauses_total", "Partitions paused for a retry backoff", ["topic", "group"])
REDONE = Counter("kinerja_consumer_redone_passes_total",
                 "Batch transactions rolled back and handled again because a record failed", ["group"])



class PermanentError(Exception):
    """The record can never be processed (it breaks a business invariant): dead-letter it."""


class NotYetAvailable(Exception):
    """The record depends on state another record (often on another topic) has not brought yet:
    pause its partition briefly and try again, while the other partitions go on."""


@dataclass(frozen=True)
class EventMeta:
    event_id: str
    topic: str
    key: str | None
    headers: dict[str, str]


Handler = Callable[[UnitOfWork, Any, EventMeta], Awaitable[None]]


@dataclass
class _Item:
    """One record of a batch, checked before any handler runs."""
    record: Any
    headers: dict[str, str]
    key: str | None
    event: BaseModel | None = None
    meta: EventMeta | None = None
    dead: tuple[str, str] | None = None  # (error class, reason) when it can never be processed


class _Redo(Exception):
    """A handler failed: the transaction is rolled back; the next pass takes this error for the
    record at `index` instead of calling its handler again."""

    def __init__(self, index: int, error: BaseException) -> None:
        super().__init__(index, error)
        self.index, self.error = index, error


@dataclass
class _Budget:
    """One poll's time budget; the first record of a poll is always handled (progress)."""
    deadline: float
    progressed: bool = False

    def spent(self) -> bool:
        return self.progressed and time.monotonic() >= self.deadline


@dataclass
class _Retry:
    attempts: int = 0
    first_failure: float = field(default_factory=time.monotonic)


class ConsumerGroup:
    """The topics one service consumes, the handler of each, and the subscriber that runs them."""

    def __init__(self, broker: KafkaBroker, db: Database, *, group: str, producer: str,
                 retry_base: float = 0.2, retry_max: float = 30.0, max_records: int = 200,
                 error_attempts: int = 10, wait_budget_seconds: float = 600.0,
                 fault_handle_delay: float = 0.0, max_poll_interval: float = 300.0) -> None:
        self.broker = broker
        self.db = db
        self.group = group
        self.producer = producer
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.max_records = max_records
        self.error_attempts = error_attempts
        self.wait_budget_seconds = wait_budget_seconds
        self.fault_handle_delay = fault_handle_delay  # test-only fault hook: a slow handler
        self.max_poll_interval = max_poll_interval  # seconds between polls before the group drops us
        self.handlers: dict[str, tuple[type[BaseModel], Handler]] = {}
        self.publish_dead_letters = True  # False in a rebuild: they were sent the first time
        self._retries: dict[tuple[str, int, int], _Retry] = {}
        self._resume_at: dict[TopicPartition, asyncio.TimerHandle] = {}

    def handler(self, topic: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.handlers[topic] = (spec(topic).model, fn)
            return fn
        return register

    def subscribe(self) -> None:
        """Register the single subscriber; call after all handlers, before broker.start()."""
        if not self.handlers:
            return

        @self.broker.subscriber(
            *self.handlers,
            group_id=self.group,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            batch=True,
            max_records=self.max_records,
            batch_timeout_ms=50,  # FastStream also sleeps this long after an empty poll
            max_poll_interval_ms=int(self.max_poll_interval * 1000),
            parser=_lenient_headers,
        )
        async def consume(msg: KafkaMessage) -> None:
            await self.process_batch(msg.raw_message, msg.consumer)

    # -- one batch ---------------------------------------------------------------------------

    async def process_batch(self, records: Any, consumer: Any = None) -> list[str]:
        """Handle a polled batch (any partitions, in fetch order) in one unit of work; returns each
        record's outcome. A partition that must wait is rewound and paused on `consumer` while the
        other partitions' records commit; never raises for a record."""
        records = records if isinstance(records, (tuple, list)) else (records,)
        if not records:
            return []
        budget = _Budget(time.monotonic() + self.max_poll_interval / 2)
        started = time.perf_counter()
        items = [self._check(r) for r in records]
        outcomes: list[str | None] = [None] * len(items)
        known: dict[int, BaseException] = {}  # errors of records met in a rolled-back pass (by index)
        while todo := [i for i, o in enumerate(outcomes) if o is None]:
            try:
                done, failures, out_of_time = await self._apply(items, todo, budget, known)
            except asyncio.CancelledError:
                raise
            except _Redo as redo:  # each pass learns one more record's error: at most len(items) passes
                known[redo.index] = redo.error
                REDONE.labels(self.group).inc()
                continue
            except Exception as exc:  # the transaction failed (database down, dead letter unacknowledged):
                done, out_of_time = {}, False  # each partition waits at its first record
                failures = {first: exc for first in _firsts(items, todo).values()}
            known = {}
            for index, outcome in done.items():
                outcomes[index] = outcome
            for index, failure in failures.items():
                item = items[index]
                verdict = self._after_failure(item, failure)
                if verdict == "dead":  # past its retry budget: dead-lettered in the next pass, its partition goes on
                    item.dead = ("RetryBudgetExhausted", f"{type(failure).__name__}: {failure}")
                    continue
                self._pause(consumer, item.record, verdict)
                for j in todo:  # the partition waits at this record: the rest of it comes again
                    if j >= index and _lane(items[j].record) == _lane(item.record):
                        outcomes[j] = "retry" if j == index else "pending"
            if out_of_time:  # each partition starts the next poll at its first record not handled
                rest = [i for i, o in enumerate(outcomes) if o is None]
                for first in _firsts(items, rest).values():
                    _rewind(consumer, items[first].record)
                for i in rest:
                    outcomes[i] = "pending"
        BATCH_SECONDS.labels(self.group).observe(time.perf_counter() - started)
        for item, outcome in zip(items, outcomes):
            if outcome not in ("retry", "pending"):
                MESSAGES.labels(item.record.topic, self.group, outcome).inc()
        return outcomes  # type: ignore[return-value]  (every entry set by now)

    def _check(self, record: Any) -> _Item:
        """Headers, schema version and body against the contract, before any handler runs."""
        headers = {k: _text(v) for k, v in (record.headers or [])}
        key = _text(record.key) if record.key is not None else None
        item = _Item(record, headers, key)
        topic = record.topic
        event_id = headers.get(envelope.EVENT_ID)
        expected = str(spec(topic).schema_version)
        if not event_id:
            item.dead = ("MissingHeader", "no event-id header")
        elif "\ufffd" in event_id or (key and "\ufffd" in key):
            item.dead = ("BadHeaders", "event-id or key is not UTF-8")
        elif headers.get(envelope.SCHEMA_VERSION) != expected:
            item.dead = ("UnknownSchemaVersion",
                         f"schema-version {headers.get(envelope.SCHEMA_VERSION)!r}, this consumer reads {expected}")
        else:
            try:
                item.event = self.handlers[topic][0].model_validate_json(record.value)
                item.meta = EventMeta(event_id=event_id, topic=topic, key=key, headers=headers)
            except ValidationError as exc:
                item.dead = ("ValidationError", _short(exc))
        return item

    async def _apply(self, items: list[_Item], todo: list[int], budget: _Budget,
                     known: dict[int, BaseException]) -> tuple[dict[int, str], dict[int, BaseException], bool]:
        """One unit of work over `items[i] for i in todo`, in order. Returns the outcomes of the
        records that committed, the transient error that stopped each partition that must wait
        (at its record; the partition's later records are given back), and whether the time
        budget ran out (the records not reached are given back). A handler error not in `known`
        (index → error) raises `_Redo`, rolling everything back."""
        done: dict[int, str] = {}
        failures: dict[int, BaseException] = {}
        dead: list[tuple[_Item, str, str]] = []
        waiting: set[tuple[str, int]] = set()  # partitions stopped at a transient failure
        out_of_time = False
        async with UnitOfWork(self.db, self.producer, buffer_events=True) as uow:
            fresh = await claim_many(uow, self.group, [(items[i].meta.event_id, items[i].meta.topic)
                                                       for i in todo if items[i].meta])
            for n, index in enumerate(todo):
                item = items[index]
                if _lane(item.record) in waiting:
                    continue
                if budget.spent():  # commit what was handled, the rest next poll
                    await unclaim(uow, self.group, [items[i].meta.event_id for i in todo[n:]
                                                    if items[i].meta and items[i].meta.event_id in fresh])
                    out_of_time = True
                    break
                budget.progressed = True
                if item.dead:
                    dead.append((item, *item.dead))
                    done[index] = "dead_lettered"
                    continue
                if item.meta.event_id not in fresh:
                    done[index] = "duplicate"
                    continue
                fresh.discard(item.meta.event_id)  # the same id twice in one batch: once
                if index in known:
                    error = known[index]
                else:
                    error = await self._handle_one(uow, item)
                    if error is not None:
                        raise _Redo(index, error)
                if error is None:
                    done[index] = "processed"
                elif isinstance(error, (PermanentError, DomainError, DataError)):
                    dead.append((item, type(error).__name__, str(error)))
                    done[index] = "dead_lettered"
                else:
                    # Give back the claims of this record and of its partition's later records
                    # (only claims made here: a record handled before keeps its claim).
                    lane = _lane(item.record)
                    waiting.add(lane)
                    failures[index] = error
                    await unclaim(uow, self.group, [item.meta.event_id] + [
                        items[i].meta.event_id for i in todo[n + 1:]
                        if _lane(items[i].record) == lane and items[i].meta and items[i].meta.event_id in fresh])
            await self._dead_letter_many(dead)  # acknowledged before the commit: never lost
        for index in done:
            self._retries.pop(_position(items[index].record), None)
        return done, failures, out_of_time

    async def _handle_one(self, uow: UnitOfWork, item: _Item) -> BaseException | None:
        """Run one handler in the record's trace context; returns its error."""
        topic, record = item.meta.topic, item.record
        started = time.perf_counter()
        token = otel_context.attach(propagate.extract(item.headers))
        current_event_id.set(item.meta.event_id)
        uow.correlation_id = item.headers.get(envelope.CORRELATION_ID)
        try:
            with tracer.start_as_current_span(f"{topic} process", kind=trace.SpanKind.CONSUMER) as span:
                span.set_attributes({  # OTel messaging conventions: find one record's handling by id or key
                    "messaging.system": "kafka", "messaging.operation": "process",
                    "messaging.destination.name": topic, "messaging.kafka.consumer.group": self.group,
                    "messaging.message.id": item.meta.event_id, "messaging.kafka.message.key": item.meta.key or "",
                    "messaging.destination.partition.id": str(record.partition),
                    "messaging.kafka.message.offset": record.offset})
                try:
                    if self.fault_handle_delay:
                        await asyncio.sleep(self.fault_handle_delay)
                    await self.handlers[topic][1](uow, item.event, item.meta)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    span.set_attribute("kinerja.outcome", type(exc).__name__)
                    log.warning("record failed: %r", exc, extra={"topic": topic, "partition": record.partition,
                                                                 "offset": record.offset})
                    return exc
                log.info("record processed", extra={"topic": topic, "partition": record.partition,
                                                    "offset": record.offset, "outcome": "processed"})
                return None
        finally:
            HANDLE_SECONDS.labels(topic, self.group).observe(time.perf_counter() - started)
            otel_context.detach(token)
            current_event_id.set(None)

    # -- retries -----------------------------------------------------------------------------

    def _after_failure(self, item: _Item, exc: BaseException) -> str | float:
        """'dead' when the record is past its budget, else the backoff in seconds."""
        position = _position(item.record)
        retry = self._retries.setdefault(position, _Retry())
        retry.attempts += 1
        RETRIES.labels(item.record.topic, self.group).inc()
        waiting = isinstance(exc, NotYetAvailable)
        if waiting:
            if time.monotonic() - retry.first_failure > self.wait_budget_seconds:
                return "dead"
        elif not (is_infrastructure_error(exc) or is_lock_conflict(exc)) and retry.attempts >= self.error_attempts:
            return "dead"
        delay = min(self.retry_base * 2 ** (retry.attempts - 1), self.retry_max, 1.0 if waiting else self.retry_max)
        log.warning("transient failure on %s[%s]@%s (attempt %d), partition paused %.1fs: %r",
                    item.record.topic, item.record.partition, item.record.offset, retry.attempts, delay, exc)
        return delay

    def _pause(self, consumer: Any, record: Any, delay: float) -> None:
        """Rewind the partition to `record`, pause it, resume it after `delay`."""
        if consumer is None:
            return
        tp = TopicPartition(record.topic, record.partition)
        consumer.seek(tp, record.offset)
        consumer.pause(tp)
        PAUSED.labels(record.topic, self.group).inc()
        if (handle := self._resume_at.pop(tp, None)) is not None:
            handle.cancel()

        def resume() -> None:
            self._resume_at.pop(tp, None)
            try:
                if tp in consumer.assignment():
                    consumer.resume(tp)
            except Exception as exc:  # revoked meanwhile: its new owner starts at the committed offset
                log.info("resume of %s skipped: %r", tp, exc)

        self._resume_at[tp] = asyncio.get_running_loop().call_later(delay, resume)

    async def _dead_letter_many(self, dead: list[tuple[_Item, str, str]]) -> None:
        futures = []
        for item, kind, reason in dead:
            r = item.record
            log.error("dead-lettering %s[%s]@%s: %s: %s", r.topic, r.partition, r.offset, kind, reason)
            dlq_headers = {
                **item.headers,
                envelope.DLQ_ERROR_CLASS: kind,
                envelope.DLQ_ERROR_MESSAGE: reason[:2000],
                envelope.DLQ_ORIGINAL_TOPIC: r.topic,
                envelope.DLQ_ORIGINAL_PARTITION: str(r.partition),
                envelope.DLQ_ORIGINAL_OFFSET: str(r.offset),
                envelope.DLQ_CONSUMER_GROUP: self.group,
            }
            if self.publish_dead_letters:
                futures.append(await self.broker.publish(r.value, topic=dlq_topic(r.topic), key=r.key,
                                                         headers=dlq_headers, no_confirm=True))
        if futures:
            await asyncio.gather(*futures)


async def claim_many(uow: UnitOfWork, consumer: str, ids: list[tuple[str, str]]) -> set[str]:
    """Record each (event_id, topic) as handled by `consumer` in this transaction, with one
    insert; returns the ids that were not handled before."""
    if not ids:
        return set()
    unique = list(dict(ids).items())
    inbox = uow.db.inbox
    insert = postgresql.insert if uow.db.is_postgres else sqlite.insert
    rows = [{"consumer": consumer, "event_id": e, "topic": t} for e, t in unique]
    stmt = (insert(inbox).values(rows[0] if len(rows) == 1 else rows)  # one row: a cached statement
            .on_conflict_do_nothing().returning(inbox.c.event_id))
    return set((await uow.session.execute(stmt)).scalars())


async def unclaim(uow: UnitOfWork, consumer: str, event_ids: list[str]) -> None:
    """Give back claims made earlier in this transaction (their records are retried later)."""
    if event_ids:
        inbox = uow.db.inbox
        await uow.session.execute(inbox.delete().where(inbox.c.consumer == consumer, inbox.c.event_id.in_(event_ids)))


async def _lenient_headers(message: Any, original_parser: Callable[[Any], Awaitable[Any]]) -> Any:
    """FastStream decodes headers strictly; a header that is not UTF-8 would fail before our
    code runs and be nacked forever. Replace such bytes so the record can be dead-lettered."""
    try:
        return await original_parser(message)
    except UnicodeDecodeError:
        def fix(record: Any) -> Any:
            headers = [(k, v.decode("utf-8", errors="replace").encode()) for k, v in record.headers or []]
            return dataclasses.replace(record, headers=headers)
        fixed = tuple(fix(r) for r in message) if isinstance(message, tuple) else fix(message)
        return await original_parser(fixed)


def _rewind(consumer: Any, record: Any) -> None:
    """The next poll of this partition starts at `record` (and the commit is made there)."""
    if consumer is not None:
        consumer.seek(TopicPartition(record.topic, record.partition), record.offset)


def _lane(record: Any) -> tuple[str, int]:
    return (record.topic, record.partition)


def _firsts(items: list[_Item], indices: list[int]) -> dict[tuple[str, int], int]:
    """The first of `indices` in each partition."""
    firsts: dict[tuple[str, int], int] = {}
    for i in indices:
        firsts.setdefault(_lane(items[i].record), i)
    return firsts


def _position(record: Any) -> tuple[str, int, int]:
    return (record.topic, record.partition, record.offset)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def _short(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:10])


__all__ = ["ConsumerGroup", "EventMeta", "NotYetAvailable", "PermanentError", "claim_many", "unclaim"]
