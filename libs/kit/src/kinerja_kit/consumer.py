"""Idempotent consumers with commit-after-processing and dead-lettering.

One Kafka subscriber per service (consumer group = the service) reads all the topics the
service consumes and dispatches by topic. For each record:

- no `event-id`, wrong `schema-version`, a body that fails its contract, or a handler raising
  `PermanentError` or a domain refusal (`kinerja_kit.errors.DomainError`) → the record goes to `<topic>.dlq` with the error in headers, then its offset
  is committed;
- otherwise one unit of work: the event id is claimed in the inbox and the handler's state
  change and events are committed together; a redelivered event id changes nothing;
- any other error is transient: retried in place with backoff, and after a few attempts the
  record is nacked (the consumer seeks back to it), so nothing is skipped.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from prometheus_client import Counter, Histogram
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DataError
from sqlalchemy.dialects import postgresql, sqlite

from kinerja_contracts import envelope
from kinerja_contracts.topics import dlq_topic, spec
from kinerja_kit.db import Database
from kinerja_kit.errors import DomainError
from kinerja_kit.outbox import UnitOfWork
from kinerja_kit.telemetry import current_event_id

log = logging.getLogger(__name__)
tracer = trace.get_tracer("kinerja.consumer")

MESSAGES = Counter(
    "kinerja_messages_consumed_total", "Records consumed, by outcome", ["topic", "group", "outcome"]
)
HANDLE_SECONDS = Histogram("kinerja_message_handle_seconds", "Time to handle one record", ["topic", "group"])
RETRIES = Counter("kinerja_message_retries_total", "Transient failures retried", ["topic", "group"])


class PermanentError(Exception):
    """The record can never be processed (it breaks a business invariant): dead-letter it."""


class NotYetAvailable(Exception):
    """The record depends on state another record (often on another topic) has not brought yet:
    nack at once so the consumer goes on with its other partitions, and try again shortly."""


@dataclass(frozen=True)
class EventMeta:
    event_id: str
    topic: str
    key: str | None
    headers: dict[str, str]


Handler = Callable[[UnitOfWork, Any, EventMeta], Awaitable[None]]


class ConsumerGroup:
    """The topics one service consumes, the handler of each, and the subscriber that runs them."""

    def __init__(self, broker: KafkaBroker, db: Database, *, group: str, producer: str,
                 retry_base: float = 0.2, retry_max: float = 30.0, attempts_before_nack: int = 5) -> None:
        self.broker = broker
        self.db = db
        self.group = group
        self.producer = producer
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.attempts_before_nack = attempts_before_nack
        self.handlers: dict[str, tuple[type[BaseModel], Handler]] = {}
        self._failures: dict[tuple[str, int, int], int] = {}

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
            max_poll_records=100,
            parser=_lenient_headers,
        )
        async def consume(msg: KafkaMessage) -> None:
            await self.process(msg.raw_message, msg.body)

    async def process(self, record: Any, body: bytes) -> str:
        """Handle one record; returns the outcome. Raises only on a transient error."""
        topic = record.topic
        headers = {k: _text(v) for k, v in (record.headers or [])}
        key = _text(record.key) if record.key is not None else None
        started = time.perf_counter()
        token = otel_context.attach(propagate.extract(headers))
        try:
            with tracer.start_as_current_span(f"{topic} process", kind=trace.SpanKind.CONSUMER) as span:
                span.set_attribute("messaging.kafka.consumer.group", self.group)
                outcome = await self._process(record, topic, key, headers, body)
                span.set_attribute("kinerja.outcome", outcome)
                log.info("record %s", outcome, extra={"topic": topic, "partition": record.partition,
                                                      "offset": record.offset, "outcome": outcome})
        finally:
            otel_context.detach(token)
            current_event_id.set(None)
        MESSAGES.labels(topic, self.group, outcome).inc()
        HANDLE_SECONDS.labels(topic, self.group).observe(time.perf_counter() - started)
        return outcome

    async def _process(self, record: Any, topic: str, key: str | None, headers: dict[str, str], body: bytes) -> str:
        model, fn = self.handlers[topic]
        event_id = headers.get(envelope.EVENT_ID)
        current_event_id.set(event_id)
        if not event_id:
            return await self._dead_letter(record, headers, body, "MissingHeader", "no event-id header")
        if "\ufffd" in event_id or (key and "\ufffd" in key):
            return await self._dead_letter(record, headers, body, "BadHeaders", "event-id or key is not UTF-8")
        expected = str(spec(topic).schema_version)
        if headers.get(envelope.SCHEMA_VERSION) != expected:
            return await self._dead_letter(
                record, headers, body, "UnknownSchemaVersion",
                f"schema-version {headers.get(envelope.SCHEMA_VERSION)!r}, this consumer reads {expected}",
            )
        try:
            event = model.model_validate_json(body)
        except ValidationError as exc:
            return await self._dead_letter(record, headers, body, "ValidationError", _short(exc))
        meta = EventMeta(event_id=event_id, topic=topic, key=key, headers=headers)
        position = (topic, record.partition, record.offset)
        attempt = self._failures.get(position, 0)
        while True:
            try:
                async with UnitOfWork(self.db, self.producer, headers.get(envelope.CORRELATION_ID)) as uow:
                    if not await claim(uow, self.group, event_id, topic):
                        self._failures.pop(position, None)
                        return "duplicate"
                    await fn(uow, event, meta)
                self._failures.pop(position, None)
                return "processed"
            except (PermanentError, DomainError, DataError) as exc:
                self._failures.pop(position, None)
                return await self._dead_letter(record, headers, body, type(exc).__name__, str(exc))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                attempt += 1
                self._failures[position] = attempt
                RETRIES.labels(topic, self.group).inc()
                waiting = isinstance(exc, NotYetAvailable)
                # Backoff grows within a round of attempts and starts again after each nack.
                step = (attempt - 1) % self.attempts_before_nack
                delay = min(self.retry_base * 2 ** step, self.retry_max, 1.0 if waiting else self.retry_max)
                log.warning("transient failure on %s[%s]@%s (attempt %d), retry in %.1fs: %r",
                            topic, record.partition, record.offset, attempt, delay, exc)
                await asyncio.sleep(delay)
                if waiting or attempt % self.attempts_before_nack == 0:
                    raise  # nack: the consumer seeks back and fetches this record again

    async def _dead_letter(self, record: Any, headers: dict[str, str], body: bytes, kind: str, reason: str) -> str:
        log.error("dead-lettering %s[%s]@%s: %s: %s", record.topic, record.partition, record.offset, kind, reason)
        dlq_headers = {
            **headers,
            envelope.DLQ_ERROR_CLASS: kind,
            envelope.DLQ_ERROR_MESSAGE: reason[:2000],
            envelope.DLQ_ORIGINAL_TOPIC: record.topic,
            envelope.DLQ_ORIGINAL_PARTITION: str(record.partition),
            envelope.DLQ_ORIGINAL_OFFSET: str(record.offset),
            envelope.DLQ_CONSUMER_GROUP: self.group,
        }
        await self.broker.publish(body, topic=dlq_topic(record.topic), key=record.key, headers=dlq_headers)
        return "dead_lettered"


async def claim(uow: UnitOfWork, consumer: str, event_id: str, topic: str) -> bool:
    """Record `event_id` as handled by `consumer` in this transaction; False if it already was."""
    inbox = uow.db.inbox
    insert = postgresql.insert if uow.db.is_postgres else sqlite.insert
    stmt = insert(inbox).values(consumer=consumer, event_id=event_id, topic=topic).on_conflict_do_nothing()
    result = await uow.session.execute(stmt)
    return result.rowcount == 1


async def _lenient_headers(record: Any, original_parser: Callable[[Any], Awaitable[Any]]) -> Any:
    """FastStream decodes headers strictly; a header that is not UTF-8 would fail before our
    code runs and be nacked forever. Replace such bytes so `process` can dead-letter the record."""
    try:
        return await original_parser(record)
    except UnicodeDecodeError:
        headers = [(k, v.decode("utf-8", errors="replace").encode()) for k, v in record.headers or []]
        return await original_parser(dataclasses.replace(record, headers=headers))


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def _short(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:10])


__all__ = ["ConsumerGroup", "EventMeta", "NotYetAvailable", "PermanentError", "claim"]
