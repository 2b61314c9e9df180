"""The kit's delivery guarantees against the real broker and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from kinerja_contracts.envelope import make_headers
from kinerja_contracts.topics import ORG_EMPLOYEE, dlq_topic
from kinerja_kit.consumer import MESSAGES, ConsumerGroup, PermanentError
from kinerja_kit.errors import TransitionRefused
from kinerja_kit.kafka import build_broker
from kinerja_kit.outbox import KafkaSender, OutboxRelay, UnitOfWork
from kinerja_kit.settings import ServiceSettings
from kit_support import employee, make_db, new_nip
from support import read_topic

pytestmark = pytest.mark.infra


@pytest.mark.parametrize("through", ["kafka_sender", "broker"])
async def test_outbox_publishes_committed_events_only(kafka_bootstrap, fresh_database, through):
    """The services send through the relay's own producer (KafkaSender); the broker path stays for
    a relay given only a broker."""
    db = await make_db(fresh_database)
    settings = ServiceSettings(service="kit-test", kafka_bootstrap=kafka_bootstrap)
    broker = build_broker(settings)
    await broker.start()
    sender = KafkaSender(settings.kafka_client_kwargs(), "kit-test-relay") if through == "kafka_sender" else None
    relay = OutboxRelay(db, broker, poll_seconds=0.1, sender=sender)
    committed, rolled_back = new_nip(), new_nip()
    try:
        async with UnitOfWork(db, "kit-test") as uow:
            event_id = await uow.emit(ORG_EMPLOYEE, employee(committed))
            for _ in range(3):  # more of the same key: on Kafka in emit order
                await uow.emit(ORG_EMPLOYEE, employee(committed))
        with pytest.raises(RuntimeError):
            async with UnitOfWork(db, "kit-test") as uow:
                await uow.emit(ORG_EMPLOYEE, employee(rolled_back))
                raise RuntimeError("business rule failed after the event was queued")
        assert await relay.publish_pending() == 4
        assert await relay.publish_pending() == 0  # marked sent
        records = await read_topic(kafka_bootstrap, ORG_EMPLOYEE, lambda r: r.key.decode() in (committed, rolled_back),
                                   expect=4)
        assert [r.key.decode() for r in records] == [committed] * 4
        async with db.engine.connect() as conn:
            stored = (await conn.execute(sa.select(db.outbox.c.headers).where(db.outbox.c.key == committed)
                                         .order_by(db.outbox.c.id))).scalars().all()
        assert [dict((k, v.decode()) for k, v in r.headers)["event-id"] for r in records] == [
            h["event-id"] for h in stored], "in id order"
        headers = {k: v.decode() for k, v in records[0].headers}
        assert headers["event-id"] == event_id
        assert headers["event-type"] == "org.employee" and headers["schema-version"] == "1"
        assert headers["producer"] == "kit-test" and "occurred-at" in headers
        assert await relay.purge_sent() == 0  # sent rows are kept for a while
        relay.keep_sent = timedelta(0)
        assert await relay.purge_sent() == 4
    finally:
        await relay.stop()
        await broker.stop()
        await db.dispose()


async def test_consumer_is_idempotent_and_dead_letters_bad_records(kafka_bootstrap, fresh_database):
    db = await make_db(fresh_database)
    broker = build_broker(ServiceSettings(service="kit-test", kafka_bootstrap=kafka_bootstrap))
    group = ConsumerGroup(broker, db, group=f"kit-test-{uuid.uuid4().hex[:6]}", producer="kit-test", retry_base=0.05)
    calls: dict[str, int] = {}

    @group.handler(ORG_EMPLOYEE)
    async def on_employee(uow, event, meta):
        calls[event.nip] = calls.get(event.nip, 0) + 1
        if event.name == "fail-once" and calls[event.nip] == 1:
            raise ConnectionError("database briefly unreachable")  # transient: retried, not skipped
        if event.name == "fail-7" and calls[event.nip] <= 7:
            raise ConnectionError("database down a while")  # past 5 in-place tries: nack, seek, redeliver
        if event.name == "reject":
            raise PermanentError("breaks an invariant")
        if event.name == "refused":
            raise TransitionRefused("task", "approved", "approve")  # a domain refusal: dead-lettered
        await uow.session.execute(sa.insert(db.effects).values(event_id=meta.event_id, nip=event.nip))

    group.subscribe()
    await broker.start()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    dup, flaky, bad_body, no_id, rejected, bad_bytes, stubborn, refused = (new_nip() for _ in range(8))
    try:
        def hdrs(**kw):
            h = make_headers(event_type="org.employee", schema_version=1, producer="test", **kw)
            return [(k, v.encode()) for k, v in h.items()]

        same_id = str(uuid.uuid4())
        for _ in range(2):  # the same event delivered twice
            await producer.send_and_wait(ORG_EMPLOYEE, employee(dup).model_dump_json().encode(), key=dup.encode(),
                                         headers=hdrs(event_id=same_id))
        await producer.send_and_wait(ORG_EMPLOYEE, employee(flaky, "fail-once").model_dump_json().encode(),
                                     key=flaky.encode(), headers=hdrs())
        await producer.send_and_wait(ORG_EMPLOYEE, employee(stubborn, "fail-7").model_dump_json().encode(),
                                     key=stubborn.encode(), headers=hdrs())
        await producer.send_and_wait(ORG_EMPLOYEE, b'{"nip": "' + bad_body.encode() + b'"}', key=bad_body.encode(),
                                     headers=hdrs())
        await producer.send_and_wait(ORG_EMPLOYEE, employee(no_id).model_dump_json().encode(), key=no_id.encode(),
                                     headers=[("schema-version", b"1")])
        await producer.send_and_wait(ORG_EMPLOYEE, employee(rejected, "reject").model_dump_json().encode(),
                                     key=rejected.encode(), headers=hdrs())
        await producer.send_and_wait(ORG_EMPLOYEE, employee(refused, "refused").model_dump_json().encode(),
                                     key=refused.encode(), headers=hdrs())
        await producer.send_and_wait(ORG_EMPLOYEE, employee(bad_bytes).model_dump_json().encode(),
                                     key=bad_bytes.encode(), headers=[("event-id", b"\xff\xfe"), ("schema-version", b"1")])

        async def effects() -> dict[str, int]:
            async with db.engine.connect() as conn:
                rows = await conn.execute(sa.select(db.effects.c.nip, sa.func.count()).group_by(db.effects.c.nip))
                return dict(rows.all())

        def duplicates_seen() -> float:
            return MESSAGES.labels(ORG_EMPLOYEE, group.group, "duplicate")._value.get()

        for _ in range(150):
            got = await effects()
            if flaky in got and dup in got and stubborn in got and duplicates_seen() >= 1:
                break
            await asyncio.sleep(0.2)
        assert got.get(dup) == 1, "a redelivered event id must change nothing"
        assert got.get(flaky) == 1 and calls[flaky] >= 2, "a transient failure is retried until it succeeds"
        # The redelivery is not handled (its first delivery's handler may have run more than once: passes
        # that a later record's failure rolled back, then the pass that committed).
        assert duplicates_seen() == 1
        assert got.get(stubborn) == 1 and calls[stubborn] >= 8, (  # its success may be in rolled-back passes too
            "nacked after 5 tries, redelivered, not skipped")
        assert bad_body not in got and rejected not in got and no_id not in got and bad_bytes not in got
        assert refused not in got and calls[refused] == 1, "a domain refusal is not retried"

        dead = await read_topic(kafka_bootstrap, dlq_topic(ORG_EMPLOYEE),
                                lambda r: r.key and r.key.decode() in (bad_body, no_id, rejected, bad_bytes, refused))
        for _ in range(20):
            if len(dead) >= 5:
                break
            await asyncio.sleep(0.5)
            dead = await read_topic(kafka_bootstrap, dlq_topic(ORG_EMPLOYEE),
                                    lambda r: r.key and r.key.decode() in (bad_body, no_id, rejected, bad_bytes, refused))
        reasons = {r.key.decode(): dict((k, v.decode()) for k, v in r.headers) for r in dead}
        assert reasons[bad_body]["dlq-error-class"] == "ValidationError"
        assert "name" in reasons[bad_body]["dlq-error-message"]
        assert reasons[no_id]["dlq-error-class"] == "MissingHeader"
        assert reasons[rejected]["dlq-error-class"] == "PermanentError"
        assert reasons[rejected]["dlq-original-topic"] == ORG_EMPLOYEE
        assert reasons[bad_bytes]["dlq-error-class"] == "BadHeaders"
        assert reasons[refused]["dlq-error-class"] == "TransitionRefused"
        assert reasons[refused]["dlq-error-message"] == "task is approved: cannot approve"
    finally:
        await producer.stop()
        await broker.stop()
        await db.dispose()


class _StalledBroker:
    """A broker whose acknowledgements never come (an outage as the producer sees it)."""

    def __init__(self) -> None:
        self.published = 0

    async def publish(self, *args, **kwargs):
        self.published += 1
        return asyncio.get_running_loop().create_future()  # never resolved


async def test_relay_holds_no_transaction_while_the_broker_stalls(fresh_database):
    """Before: the relay kept its transaction (and the relay lock) open across the publish."""
    db = await make_db(fresh_database)
    stalled = _StalledBroker()
    relay = OutboxRelay(db, stalled, poll_seconds=0.1)
    try:
        async with UnitOfWork(db, "kit-test") as uow:
            await uow.emit(ORG_EMPLOYEE, employee(new_nip()))
        round_ = asyncio.create_task(relay.publish_pending())
        for _ in range(50):
            if stalled.published:
                break
            await asyncio.sleep(0.05)
        assert stalled.published == 1
        async with db.engine.connect() as conn:
            open_transactions = await conn.scalar(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"))
        assert open_transactions == 0
        round_.cancel()
    finally:
        await relay._drop_leadership()
        await db.dispose()


async def test_one_relay_per_database_publishes_and_another_takes_over(kafka_bootstrap, fresh_database):
    db = await make_db(fresh_database)
    first, second = OutboxRelay(db, _StalledBroker()), OutboxRelay(db, _StalledBroker())
    try:
        assert await first._is_leader() is True
        assert await first._is_leader() is True  # asking again keeps one hold, not two
        assert await second._is_leader() is False
        await first._drop_leadership()  # its process or connection died
        assert await second._is_leader() is True
    finally:
        await first._drop_leadership()
        await second._drop_leadership()
        await db.dispose()


async def test_inbox_forgets_event_ids_after_the_retention(fresh_database):
    """Before: the inbox of processed event ids grew forever."""
    db = await make_db(fresh_database)
    relay = OutboxRelay(db, _StalledBroker())
    now = datetime.now(timezone.utc)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(sa.insert(db.inbox), [
                {"consumer": "g", "event_id": "old", "topic": ORG_EMPLOYEE, "handled_at": now - timedelta(days=15)},
                {"consumer": "g", "event_id": "recent", "topic": ORG_EMPLOYEE, "handled_at": now - timedelta(days=13)},
            ])
        assert await relay.purge_handled() == 1
        async with db.engine.connect() as conn:
            assert list(await conn.scalars(sa.select(db.inbox.c.event_id))) == ["recent"]
    finally:
        await db.dispose()


async def test_buffered_events_are_written_at_commit_in_emit_order_with_one_statement(fresh_database):
    """The consumers' units of work keep outbox rows in memory: one insert at the commit, in emit
    order (the relay publishes in id order), nothing when rolled back."""
    db = await make_db(fresh_database)
    inserts = []

    @sa.event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def count(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            inserts.append(statement)

    nips = [new_nip() for _ in range(5)]
    try:
        async with UnitOfWork(db, "kit-test", buffer_events=True) as uow:
            for nip in nips:
                await uow.emit(ORG_EMPLOYEE, employee(nip))
            async with db.engine.connect() as other:  # not written before the commit
                assert await other.scalar(sa.select(sa.func.count()).select_from(db.outbox)
                                          .where(db.outbox.c.key.in_(nips))) == 0
        assert len(inserts) == 1
        with pytest.raises(RuntimeError):
            async with UnitOfWork(db, "kit-test", buffer_events=True) as uow:
                await uow.emit(ORG_EMPLOYEE, employee(gone := new_nip()))
                raise RuntimeError("the batch failed")
        async with db.engine.connect() as conn:
            keys = (await conn.execute(sa.select(db.outbox.c.key).where(db.outbox.c.key.in_(nips + [gone]))
                                       .order_by(db.outbox.c.id))).scalars().all()
        assert keys == nips
    finally:
        await db.dispose()
