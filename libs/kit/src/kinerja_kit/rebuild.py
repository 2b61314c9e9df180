"""Rebuild a service's database from the topics it consumes (`kinerja-rebuild <service>`).

Into an EMPTY database: migrate it, then read every record of the service's topics from the
beginning up to the end offsets seen at start (no consumer group, nothing committed) and hand
them to the service's own handlers in batches, in the order they were produced (merged by
record timestamp across partitions and topics; each partition in offset order).
Nothing is published: the events the handlers write to the outbox were published when the state
was first built, so the rows are discarded at the end; dead letters are counted, not sent again.
A record that waits for another topic's record (NotYetAvailable) is retried after the next
batches, as in the live consumer. Then point the service at the new database and start it: its
consumer group goes on from its committed offsets, and the inbox skips what the rebuild handled.

Not for notify: its handlers queue webhook and e-mail deliveries, which would go out twice."""

from __future__ import annotations

import argparse
import asyncio
import heapq
import importlib
import json
import logging
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI

from kinerja_contracts.topics import spec as spec_of
from kinerja_kit.service import ServiceRuntime, ServiceSpec

log = logging.getLogger(__name__)
REFUSED = ("notify",)


class NotEmpty(RuntimeError):
    """The target database already holds handled events: a rebuild starts from nothing."""


@dataclass
class RebuildReport:
    service: str
    records: int = 0
    outcomes: Counter = field(default_factory=Counter)
    per_topic: Counter = field(default_factory=Counter)
    outbox_discarded: int = 0
    waiting_gave_up: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "records": self.records, "outcomes": dict(self.outcomes),
                "per_topic": dict(self.per_topic), "outbox_discarded": self.outbox_discarded,
                "waiting_gave_up": self.waiting_gave_up, "seconds": round(self.seconds, 2)}


async def rebuild(spec: ServiceSpec, settings, *, wait_budget_seconds: float = 60.0, fetch_max: int = 500) -> RebuildReport:
    """Rebuild `spec`'s state from its topics into the (empty) database of `settings`."""
    if spec.name in REFUSED:
        raise ValueError(f"{spec.name} cannot be rebuilt by replay: its deliveries would be sent again")
    started = time.monotonic()
    runtime = ServiceRuntime(settings, spec.metadata, spec.migrations)
    app = FastAPI()
    app.state.settings, app.state.runtime = settings, runtime
    spec.wire(runtime, app)
    group = runtime.consumers
    group.publish_dead_letters = False  # they were sent when the state was first built
    await runtime.db.migrate(spec.migrations)
    async with runtime.db.sessions() as session:
        if await session.scalar(sa.select(sa.func.count()).select_from(runtime.db.inbox)):
            raise NotEmpty("the target database has handled events already; rebuild into an empty database")
    report = RebuildReport(spec.name)
    consumer = AIOKafkaConsumer(**settings.kafka_client_kwargs(), enable_auto_commit=False, group_id=None,
                                auto_offset_reset="earliest", max_poll_records=fetch_max)
    await consumer.start()
    try:
        # Reference data first (the compacted topics: calendar, org, catalog), as it was there
        # before the events that use it; then the events.
        topics = list(group.handlers)
        for phase in ([t for t in topics if spec_of(t).compacted], [t for t in topics if not spec_of(t).compacted]):
            if phase:
                await _replay(consumer, group, await _partitions(consumer, phase), report, wait_budget_seconds)
    finally:
        await consumer.stop()
    ob = runtime.db.outbox
    async with runtime.db.sessions() as session, session.begin():
        report.outbox_discarded = (await session.execute(sa.delete(ob))).rowcount or 0
    await runtime.db.dispose()
    report.seconds = time.monotonic() - started
    return report


async def _partitions(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    cluster = await consumer._client.fetch_all_metadata()  # noqa: SLF001 - no public call for this
    missing = [t for t in topics if not cluster.partitions_for_topic(t)]
    if missing:
        raise RuntimeError(f"topics not found on the broker: {missing}")
    return [TopicPartition(t, p) for t in topics for p in sorted(cluster.partitions_for_topic(t))]


async def _replay(consumer: AIOKafkaConsumer, group, partitions: list[TopicPartition], report: RebuildReport,
                  wait_budget_seconds: float, batch_size: int = 500) -> None:
    """Every record of `partitions` up to their end offsets now, through the group's handlers, in
    the order they were produced (merged by record timestamp across partitions and topics, as the
    live service saw them), each partition in offset order. A record that must wait goes back to
    the head of its partition, which sits out one batch while the others go on."""
    consumer.assign(partitions)
    end = await consumer.end_offsets(partitions)
    await consumer.seek_to_beginning(*partitions)
    buffers: dict[TopicPartition, deque] = {tp: deque() for tp in partitions}
    exhausted = {tp for tp in partitions if end[tp] == 0}

    async def refill(tp: TopicPartition) -> None:
        while not buffers[tp] and tp not in exhausted:
            got = (await consumer.getmany(tp, timeout_ms=1000)).get(tp, [])
            records = [r for r in got if r.offset < end[tp]]
            buffers[tp].extend(records)
            report.records += len(records)
            report.per_topic.update(r.topic for r in records)
            if await consumer.position(tp) >= end[tp]:
                exhausted.add(tp)

    sitting_out: set[TopicPartition] = set()
    stalled_since: float | None = None
    while True:
        for tp in partitions:
            await refill(tp)
        ready = [tp for tp in partitions if buffers[tp] and tp not in sitting_out]
        if not ready:
            if not any(buffers.values()):
                return
            sitting_out.clear()  # only waiting records are left: try them again after a pause
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > wait_budget_seconds:
                report.waiting_gave_up = sum(len(b) for b in buffers.values())
                log.error("rebuild: %d record(s) still wait for state that never came", report.waiting_gave_up)
                return
            await asyncio.sleep(group.retry_base)
            continue
        heap = [(buffers[tp][0].timestamp, tp.topic, tp.partition) for tp in ready]
        heapq.heapify(heap)
        batch: list[Any] = []
        while heap and len(batch) < batch_size:
            _, topic, partition = heapq.heappop(heap)
            tp = TopicPartition(topic, partition)
            batch.append(buffers[tp].popleft())
            await refill(tp)
            if buffers[tp]:
                heapq.heappush(heap, (buffers[tp][0].timestamp, topic, partition))
        sitting_out.clear()
        back: dict[TopicPartition, list] = {}
        for r, outcome in zip(batch, await group.process_batch(batch)):
            if outcome in ("retry", "pending"):
                back.setdefault(TopicPartition(r.topic, r.partition), []).append(r)
            else:
                report.outcomes[outcome] += 1
                stalled_since = None
        for tp, records in back.items():
            buffers[tp].extendleft(reversed(records))  # back at the head, in offset order
            sitting_out.add(tp)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rebuild a service's database from its topics (empty database only).")
    parser.add_argument("service", help="activity, scoring, approval or tpp")
    parser.add_argument("--database-url", required=True, help="the EMPTY target database, postgresql://…")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    spec: ServiceSpec = importlib.import_module(f"{args.service}_service.main").SERVICE
    settings = spec.load_settings(database_url=args.database_url)
    report = asyncio.run(rebuild(spec, settings))
    print(json.dumps(report.as_dict(), indent=2))
    raise SystemExit(1 if report.waiting_gave_up else 0)


if __name__ == "__main__":
    main()
