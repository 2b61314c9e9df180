"""Transactional outbox: events are rows written in the same transaction as the state change;
the relay publishes them (idempotent producer, acks=all) in id order and marks them sent."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from prometheus_client import Counter, Gauge
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_contracts.envelope import make_headers
from kinerja_contracts.topics import spec
from kinerja_kit.db import Database

log = logging.getLogger(__name__)

OUTBOX_PUBLISHED = Counter("kinerja_outbox_published_total", "Outbox events published", ["topic"])
OUTBOX_PENDING = Gauge("kinerja_outbox_pending", "Outbox events not yet published")
OUTBOX_ERRORS = Counter("kinerja_outbox_publish_errors_total", "Failed outbox publish rounds")

LEADER_CHECK_SECONDS = 5.0  # how often a leading relay confirms its lock connection is alive
_RELAY_LOCK_ID = 727_001  # pg advisory lock: one relay per database publishes at a time (keeps order)


class UnitOfWork:
    """One transaction: the session for state changes plus `emit` for the events they cause.

    `buffer_events=True` (the consumers' batches) keeps the outbox rows in memory and writes them
    all with one statement just before the commit, in emit order; `flush_events()` writes them
    earlier (before anything else writes outbox rows itself, e.g. a COPY)."""

    def __init__(self, db: Database, producer: str, correlation_id: str | None = None, *,
                 buffer_events: bool = False) -> None:
        self.db = db
        self.producer = producer
        self.correlation_id = correlation_id
        self.session: AsyncSession = db.sessions()
        self._emitted = 0
        self._buffer: list[dict[str, Any]] | None = [] if buffer_events else None

    async def __aenter__(self) -> "UnitOfWork":
        await self.session.begin()
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                try:
                    await self.flush_events()
                except BaseException:
                    await self.session.rollback()
                    raise
                await self.session.commit()
                if self._emitted:
                    self.db.outbox_written.set()
            else:
                await self.session.rollback()
        finally:
            await self.session.close()

    async def flush_events(self) -> None:
        """Write the buffered outbox rows now (one executemany)."""
        if self._buffer:
            rows, self._buffer = self._buffer, []
            await self.session.execute(sa.insert(self.db.outbox), rows)

    async def emit(self, topic: str, event: BaseModel, *, key: str | None = None) -> str:
        """Queue `event` for `topic`; returns its event id. Key defaults to the registry's key field."""
        return (await self.emit_many(topic, [event], key=key))[0]

    async def emit_many(self, topic: str, events: list[BaseModel], *, key: str | None = None,
                        event_ids: list[str] | None = None, occurred_at: datetime | None = None) -> list[str]:
        """Queue several events for `topic` with one multi-row insert; returns their event ids.
        `event_ids` (one per event) makes them deterministic, e.g. a re-run that must publish the
        same records (with `occurred_at`); by default each is a new UUID, occurring now."""
        topic_spec = spec(topic)
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # W3C traceparent of the request or message that caused them
        rows = []
        for i, event in enumerate(events):
            if not isinstance(event, topic_spec.model):
                raise TypeError(f"{topic} carries {topic_spec.model.__name__}, not {type(event).__name__}")
            headers = make_headers(event_type=topic_spec.event_type, schema_version=topic_spec.schema_version,
                                   producer=self.producer, correlation_id=self.correlation_id,
                                   event_id=event_ids[i] if event_ids else None, occurred_at=occurred_at)
            headers.update(carrier)
            rows.append({"topic": topic, "key": key if key is not None else str(getattr(event, topic_spec.key)),
                         "payload": event.model_dump_json(), "headers": headers})
        if rows and self._buffer is not None:
            self._buffer.extend(rows)
            self._emitted += len(rows)
        elif rows:
            await self.session.execute(sa.insert(self.db.outbox), rows)
            self._emitted += len(rows)
        return [r["headers"]["event-id"] for r in rows]


class KafkaSender:
    """The relay's own aiokafka producer (idempotent, acks=all). A row goes out as stored, its
    headers already carrying the event's trace context: no FastStream message pipeline per row
    (that cost ≈ 115 µs a record, five times the send itself). With `trace_sends` (an exporter is
    configured), each row gets the PRODUCER spans `<topic> create` and `<topic> publish` that
    FastStream's publish made, and consumers continue under `create`."""

    def __init__(self, client_kwargs: dict[str, Any], client_id: str, *, trace_sends: bool = True) -> None:
        self.client_kwargs, self.client_id, self.trace_sends = client_kwargs, client_id, trace_sends
        self._producer: AIOKafkaProducer | None = None
        self._tracer = trace.get_tracer("kinerja.outbox")

    async def _started(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(**self.client_kwargs, client_id=self.client_id, acks="all",
                                        enable_idempotence=True)
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def send(self, rows: list[Any]) -> None:
        """Send every row (in order: one producer, idempotent) and wait until all are acknowledged."""
        producer = await self._started()
        futures, spans = [], []
        for row in rows:
            headers = row.headers
            if self.trace_sends:  # as FastStream traced a publish: `create` under the event's context, `publish` under it
                attributes = {"messaging.system": "kafka", "messaging.destination.name": row.topic,
                              "messaging.kafka.message.key": row.key,
                              "messaging.message.id": headers.get("event-id", "")}
                create = self._tracer.start_span(f"{row.topic} create", context=propagate.extract(headers),
                                                 kind=trace.SpanKind.PRODUCER,
                                                 attributes={**attributes, "messaging.operation": "create"})
                inside = trace.set_span_in_context(create)
                spans += [create, self._tracer.start_span(f"{row.topic} publish", context=inside,
                                                          kind=trace.SpanKind.PRODUCER,
                                                          attributes={**attributes, "messaging.operation": "publish"})]
                headers = dict(headers)
                propagate.inject(headers, context=inside)  # consumers continue under `create`
            futures.append(await producer.send(row.topic, row.payload.encode(), key=row.key.encode(),
                                               headers=[(k, str(v).encode()) for k, v in headers.items()]))
        results = await asyncio.gather(*futures, return_exceptions=True)
        for span in reversed(spans):
            span.end()
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def stop(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()


class OutboxRelay:
    """Publishes unsent outbox rows in id order. Runs as a background task of each service.
    With a `sender` (the services' KafkaSender) rows go out through it; else through `broker`."""

    def __init__(self, db: Database, broker: Any, *, poll_seconds: float = 0.5, batch_size: int = 500,
                 keep_sent: timedelta = timedelta(days=7), keep_handled: timedelta = timedelta(days=14),
                 fault_hold_seconds: float = 0.0, sender: KafkaSender | None = None) -> None:
        self.db = db
        self.sender = sender
        self.keep_handled = keep_handled
        self.fault_hold_seconds = fault_hold_seconds
        self._leader_conn = None
        self._leads = False
        self._leader_checked = 0.0
        self.keep_sent = keep_sent
        self._next_purge = 0.0
        self._next_sample = 0.0
        self.broker = broker
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        """Stop after the current round, then publish what is left once more (best effort)."""
        self._stopping.set()
        self.db.outbox_written.set()
        if self._task:
            await self._task
        try:
            await self.publish_pending()
        except Exception:  # the rows stay unsent and go out at the next start
            log.exception("final outbox round failed")
        if self.sender is not None:
            await self.sender.stop()
        await self._drop_leadership()

    async def _run(self) -> None:
        backoff = self.poll_seconds
        while not self._stopping.is_set():
            try:
                sent = await self.publish_pending()
                backoff = self.poll_seconds
                if time.monotonic() >= self._next_purge:
                    self._next_purge = time.monotonic() + 600
                    await self.purge_sent()
                    await self.purge_handled()
            except Exception:
                OUTBOX_ERRORS.inc()
                log.exception("outbox relay round failed; retrying in %.1fs", backoff)
                sent = 0
                backoff = min(backoff * 2, 30.0)
            if time.monotonic() >= self._next_sample:  # a count query, not after every round
                self._next_sample = time.monotonic() + 5.0
                try:
                    await self.sample_pending()
                except Exception as exc:
                    log.warning("outbox pending sample failed: %r", exc)
            if sent >= self.batch_size:
                continue
            try:
                await asyncio.wait_for(self.db.outbox_written.wait(), timeout=backoff)
            except TimeoutError:
                pass
            self.db.outbox_written.clear()

    async def purge_sent(self) -> int:
        """Delete rows published more than `keep_sent` ago (kept a while for investigations)."""
        cutoff = datetime.now(timezone.utc) - self.keep_sent
        async with self.db.sessions() as session, session.begin():
            result = await session.execute(sa.delete(self.db.outbox).where(self.db.outbox.c.sent_at < cutoff))
            return result.rowcount or 0

    async def _is_leader(self) -> bool:
        """PostgreSQL: one relay per database publishes (keeps id order). The lock is a session
        advisory lock on a connection of its own in autocommit, so no transaction stays open; it is
        released when this process or its connection dies, and another replica takes over."""
        if not self.db.is_postgres:
            return True
        if self._leads and time.monotonic() < self._leader_checked + LEADER_CHECK_SECONDS:
            return True  # checked a moment ago: no round trip per round
        try:
            if self._leader_conn is None:
                conn = await self.db.engine.connect()
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                self._leader_conn = conn
            got = await self._leader_conn.scalar(sa.select(sa.func.pg_try_advisory_lock(_RELAY_LOCK_ID)))
            # Held already: pg_try_advisory_lock stacks, so release the extra hold at once.
            if got and self._leads:
                await self._leader_conn.execute(sa.select(sa.func.pg_advisory_unlock(_RELAY_LOCK_ID)))
            self._leads, self._leader_checked = bool(got), time.monotonic()
        except Exception:
            await self._drop_leadership()
            raise
        return self._leads

    async def _drop_leadership(self) -> None:
        conn, self._leader_conn, self._leads = self._leader_conn, None, False
        if conn is not None:
            try:
                await conn.invalidate()  # closes the database session (not back to the pool): the lock goes
                await conn.close()
            except Exception as exc:
                log.warning("dropping the relay lock connection: %r", exc)

    async def purge_handled(self) -> int:
        """Forget event ids handled more than `keep_handled` ago, so the inbox stops growing. A
        redelivery is of records not yet committed (seconds to hours old, far inside 14 days); a
        deliberate replay of a topic rebuilds a read model from an empty database anyway."""
        cutoff = datetime.now(timezone.utc) - self.keep_handled
        async with self.db.sessions() as session, session.begin():
            result = await session.execute(sa.delete(self.db.inbox).where(self.db.inbox.c.handled_at < cutoff))
            return result.rowcount or 0

    async def publish_pending(self) -> int:
        """One round: read up to batch_size unsent rows, publish them (no transaction is held
        while the broker is waited for), then mark them sent. Returns rows sent."""
        if not await self._is_leader():
            return 0
        ob = self.db.outbox
        async with self.db.sessions() as session:
            rows = (await session.execute(
                sa.select(ob.c.id, ob.c.topic, ob.c.key, ob.c.payload, ob.c.headers)
                .where(ob.c.sent_at.is_(None)).order_by(ob.c.id).limit(self.batch_size)
            )).all()
        if not rows:
            return 0
        if self.fault_hold_seconds:  # test-only fault hook: widen the commit → publish window
            await asyncio.sleep(self.fault_hold_seconds)
        if self.sender is not None:
            await self.sender.send(rows)  # every record acknowledged by the broker (acks=all)
        else:
            futures = []
            for row in rows:
                # Publish inside the trace context captured when the event was written.
                token = otel_context.attach(propagate.extract(row.headers))
                try:
                    futures.append(await self.broker.publish(
                        row.payload.encode(), topic=row.topic, key=row.key.encode(), headers=dict(row.headers),
                        correlation_id=row.headers.get("correlation-id"), no_confirm=True))
                finally:
                    otel_context.detach(token)
            await asyncio.gather(*futures)  # every record acknowledged by the broker (acks=all)
        async with self.db.sessions() as session, session.begin():
            await session.execute(
                sa.update(ob).where(ob.c.id.in_([r.id for r in rows])).values(sent_at=datetime.now(timezone.utc)))
        for row in rows:
            OUTBOX_PUBLISHED.labels(row.topic).inc()
        return len(rows)

    async def sample_pending(self) -> None:
        """Set the pending gauge from the table (also while the broker is down)."""
        ob = self.db.outbox
        async with self.db.sessions() as session:
            OUTBOX_PENDING.set(await session.scalar(
                sa.select(sa.func.count()).select_from(ob).where(ob.c.sent_at.is_(None))) or 0)
