"""The batch consumer against the real broker and PostgreSQL: a failing record waits without
stalling other partitions, a bug's retries have a budget, a poison record is isolated inside its
batch, and a polled batch (all its partitions) costs one inbox insert and one commit."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy import event

from kinerja_contracts.envelope import make_headers
from kinerja_contracts.topics import ORG_EMPLOYEE, dlq_topic
from kinerja_kit.consumer import ConsumerGroup
from kinerja_kit.errors import InvalidField
from kinerja_kit.kafka import build_broker
from kinerja_kit.settings import ServiceSettings
from support import eventually, read_topic
from kit_support import employee, make_db, new_nip

pytestmark = pytest.mark.infra


def headers() -> list[tuple[str, bytes]]:
    h = make_headers(event_type="org.employee", schema_version=1, producer="test")
    return [(k, v.encode()) for k, v in h.items()]


async def run_group(kafka_bootstrap, db, handle, **kw):
    broker = build_broker(ServiceSettings(service="kit-batch", kafka_bootstrap=kafka_bootstrap))
    group = ConsumerGroup(broker, db, group=f"kit-batch-{uuid.uuid4().hex[:6]}", producer="kit-batch", **kw)
    group.handler(ORG_EMPLOYEE)(handle)
    group.subscribe()
    await broker.start()
    return broker, group


async def effects(db) -> list[tuple[str, str]]:
    async with db.engine.connect() as conn:
        return [(r.nip, r.event_id) for r in await conn.execute(sa.select(db.effects).order_by(db.effects.c.id))]


async def send(producer, nip: str, name: str = "Ani", partition: int | None = None) -> None:
    await producer.send_and_wait(ORG_EMPLOYEE, employee(nip, name).model_dump_json().encode(), key=nip.encode(),
                                 headers=headers(), partition=partition)


async def test_a_failing_record_pauses_its_partition_only(kafka_bootstrap, fresh_database):
    """Before: the backoff (3 s, 6 s, 12 s, … here) slept inside the one subscriber, so every
    partition and topic waited behind one failing record."""
    db = await make_db(fresh_database)
    released = asyncio.Event()
    done_at: dict[str, float] = {}

    async def handle(uow, e, meta):
        if e.name == "waits" and not released.is_set():
            raise ConnectionError("its database shard is unreachable")
        await uow.session.execute(sa.insert(db.effects).values(event_id=meta.event_id, nip=e.nip))
        done_at[e.nip] = time.monotonic()

    broker, group = await run_group(kafka_bootstrap, db, handle, retry_base=3.0)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        waiting, after_it, others = new_nip(), new_nip(), [new_nip() for _ in range(10)]
        await send(producer, waiting, "waits", partition=0)
        await send(producer, after_it, partition=0)  # same partition: must wait behind it, in order
        for i, nip in enumerate(others):
            await send(producer, nip, partition=1 + i % 5)
        await eventually(lambda: _all_in(done_at, others), timeout=8)
        assert waiting not in done_at and after_it not in done_at, "order per partition is kept"
        released.set()
        await eventually(lambda: _all_in(done_at, [waiting, after_it]), timeout=30)
        assert done_at[waiting] <= done_at[after_it]
        ours = set(others + [waiting, after_it])  # the topic holds other tests' records too
        assert sorted(n for n, _ in await effects(db) if n in ours) == sorted(ours)  # once each
    finally:
        await producer.stop()
        await broker.stop()
        await db.dispose()


async def _all_in(done: dict, nips: list[str]) -> bool:
    return all(n in done for n in nips)


async def test_a_bug_is_retried_within_a_budget_then_dead_lettered(kafka_bootstrap, fresh_database):
    """Before: an unknown handler error was retried forever and blocked its partition."""
    db = await make_db(fresh_database)
    calls: dict[str, int] = {}

    async def handle(uow, e, meta):
        calls[e.nip] = calls.get(e.nip, 0) + 1
        if e.name == "bug":
            raise KeyError("a handler bug")
        await uow.session.execute(sa.insert(db.effects).values(event_id=meta.event_id, nip=e.nip))

    broker, group = await run_group(kafka_bootstrap, db, handle, retry_base=0.05, error_attempts=3)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        buggy, behind = new_nip(), new_nip()
        await send(producer, buggy, "bug", partition=2)
        await send(producer, behind, partition=2)
        await eventually(lambda: _has_effect(db, behind), timeout=30)
        assert calls[buggy] == 3, "tried error_attempts times, then given up"
        dead = await read_topic(kafka_bootstrap, dlq_topic(ORG_EMPLOYEE), lambda r: r.key.decode() == buggy)
        h = dict((k, v.decode()) for k, v in dead[0].headers)
        assert h["dlq-error-class"] == "RetryBudgetExhausted" and "KeyError" in h["dlq-error-message"]
    finally:
        await producer.stop()
        await broker.stop()
        await db.dispose()


async def _has_effect(db, nip: str) -> bool:
    return any(n == nip for n, _ in await effects(db))


async def test_a_poison_record_is_isolated_inside_its_batch(kafka_bootstrap, fresh_database):
    """One partition, one batch: the refused record is dead-lettered, the others commit in order,
    and the whole batch costs one inbox insert (not one per record) and no savepoint: the pass
    that met the poison is rolled back and the batch handled again without calling it."""
    db = await make_db(fresh_database)
    inbox_inserts, savepoints, poison_calls = [], [], []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def count(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO INBOX"):
            inbox_inserts.append(statement)
        if statement.lstrip().upper().startswith("SAVEPOINT"):
            savepoints.append(statement)

    gate = asyncio.Event()

    async def handle(uow, e, meta):
        await gate.wait()  # let the whole burst land in the partition first
        if e.name == "poison":
            poison_calls.append(meta.event_id)
            await uow.session.execute(sa.insert(db.effects).values(event_id=meta.event_id, nip=e.nip))
            raise InvalidField("supervisor_nip", "unknown employee")  # its own write is rolled back too
        await uow.session.execute(sa.insert(db.effects).values(event_id=meta.event_id, nip=e.nip))

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    nips = [new_nip() for _ in range(40)]
    poison = nips[17]
    for nip in nips:
        await send(producer, nip, "poison" if nip == poison else "Ani", partition=3)
    broker, group = await run_group(kafka_bootstrap, db, handle, max_records=100)
    try:
        await asyncio.sleep(0.5)
        gate.set()
        mine = lambda rows: [n for n, _ in rows if n in nips]  # noqa: E731 (the partition holds other tests' records)
        await eventually(lambda: _count_is(db, mine, len(nips) - 1), timeout=30)
        assert mine(await effects(db)) == [n for n in nips if n != poison], "in order, poison left out"
        dead = await read_topic(kafka_bootstrap, dlq_topic(ORG_EMPLOYEE), lambda r: r.key.decode() == poison)
        assert dict((k, v.decode()) for k, v in dead[0].headers)["dlq-error-class"] == "InvalidField"
        assert len(inbox_inserts) < len(nips) / 4, f"{len(inbox_inserts)} inbox inserts for {len(nips)} records"
        assert savepoints == [] and len(poison_calls) == 1, (savepoints[:3], poison_calls)
    finally:
        await producer.stop()
        await broker.stop()
        await db.dispose()


async def _count_is(db, select, n: int) -> bool:
    return len(select(await effects(db))) == n


async def test_a_slow_batch_stops_in_time_and_the_group_stays_stable(kafka_bootstrap, fresh_database):
    """Max poll interval 4 s, 100 ms per record, 80 records in one partition: one batch would take
    8 s. Before: the member was dropped from the group mid-batch, its commit refused, and after
    rejoining (a new generation) the whole batch came again. Now a batch stops after about 2 s,
    commits what it handled and resumes there: one generation, each record handed over once."""
    from kinerja_kit.consumer import MESSAGES

    db = await make_db(fresh_database)
    handled: list[str] = []

    async def handle(uow, e, meta):
        await asyncio.sleep(0.1)
        await uow.session.execute(sa.insert(db.effects).values(event_id=meta.event_id, nip=e.nip))
        handled.append(e.nip)

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    nips = [new_nip() for _ in range(80)]
    for nip in nips:
        await send(producer, nip, partition=4)
    broker, group = await run_group(kafka_bootstrap, db, handle, max_poll_interval=4.0)
    generations, batch_seconds = set(), []
    process_batch = group.process_batch

    async def observed(records, consumer=None):  # the group's generation before and after each batch
        generations.add(consumer._coordinator.generation)
        started = time.monotonic()
        try:
            return await process_batch(records, consumer)
        finally:
            batch_seconds.append(time.monotonic() - started)
            generations.add(consumer._coordinator.generation)  # -1 once dropped from the group
    group.process_batch = observed
    try:
        mine = lambda rows: [n for n, _ in rows if n in nips]  # noqa: E731
        await eventually(lambda: _count_is(db, mine, len(nips)), timeout=90)
        await asyncio.sleep(1)
        duplicates = MESSAGES.labels(ORG_EMPLOYEE, group.group, "duplicate")._value.get()
        assert duplicates == 0, f"{duplicates} records handed over again (the member was dropped mid-batch)"
        assert len(generations) == 1, f"the group rebalanced: generations {sorted(generations)}"
        assert max(batch_seconds) < 4.0, f"a batch took {max(batch_seconds):.1f}s, past the poll interval"
        assert mine(await effects(db)) == nips, "in order, once each"
        assert [n for n in handled if n in nips] == nips
    finally:
        await producer.stop()
        await broker.stop()
        await db.dispose()


async def test_one_polled_batch_of_several_partitions_is_one_unit_of_work(kafka_bootstrap, fresh_database):
    """Before: each partition of a poll was its own transaction (an inbox insert, a commit and an
    outbox relay round each), so at moderate rates, with a record or two per partition, batching
    saved nothing. Now a poll is one unit of work. Inside it a poison record in one partition is
    dead-lettered and a transient failure in another stops only that partition (its later records
    come again, in order); the other partitions' records commit in the same pass, once each."""
    from kinerja_kit.consumer import MESSAGES

    db = await make_db(fresh_database)
    run = uuid.uuid4().hex[:6]
    inbox_inserts, commits, polls = [], [], []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def count(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO INBOX"):
            inbox_inserts.append(statement)

    @event.listens_for(db.engine.sync_engine, "commit")
    def committed(conn):
        commits.append(1)

    failed_once: set[str] = set()

    async def handle(uow, e, meta):
        if e.name == f"poison-{run}":
            raise InvalidField("supervisor_nip", "unknown employee")
        if e.name == f"waits-{run}" and e.nip not in failed_once:
            failed_once.add(e.nip)
            raise ConnectionError("its database shard is unreachable")
        await uow.session.execute(sa.insert(db.effects).values(event_id=meta.event_id, nip=e.nip))

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    per_partition = {p: [new_nip() for _ in range(6)] for p in range(5)}
    poison, waits = per_partition[1][2], per_partition[2][1]
    for p, nips in per_partition.items():
        for nip in nips:
            name = f"poison-{run}" if nip == poison else f"waits-{run}" if nip == waits else "Ani"
            await send(producer, nip, name, partition=p)
    broker, group = await run_group(kafka_bootstrap, db, handle, max_records=500, retry_base=0.2)
    process_batch = group.process_batch

    async def observed(records, consumer=None):  # partitions of each poll, its inserts and commits
        before = (len(inbox_inserts), len(commits))
        try:
            return await process_batch(records, consumer)
        finally:
            polls.append(({(r.topic, r.partition) for r in records},
                          len(inbox_inserts) - before[0], len(commits) - before[1]))
    group.process_batch = observed
    try:
        mine = lambda rows: [n for n, _ in rows if n in {x for ns in per_partition.values() for x in ns}]  # noqa: E731
        await eventually(lambda: _count_is(db, mine, 29), timeout=30)
        stored = mine(await effects(db))
        for p, nips in per_partition.items():  # once each, in order per partition
            assert [n for n in stored if n in nips] == [n for n in nips if n != poison], p
        dead = await read_topic(kafka_bootstrap, dlq_topic(ORG_EMPLOYEE), lambda r: r.key.decode() == poison)
        assert dict((k, v.decode()) for k, v in dead[0].headers)["dlq-error-class"] == "InvalidField"
        wide = [(parts, inserts, n) for parts, inserts, n in polls if len(parts) >= 3]
        assert wide, f"no poll spanned several partitions: {polls}"
        # The first wide poll met the poison and the failure: two rolled-back passes, then one commit.
        assert all(inserts <= 3 and n == 1 for _, inserts, n in wide), wide
        assert MESSAGES.labels(ORG_EMPLOYEE, group.group, "duplicate")._value.get() == 0
    finally:
        await producer.stop()
        await broker.stop()
        await db.dispose()


async def test_a_deadlock_is_retried_past_the_bug_budget(kafka_bootstrap, fresh_database):
    """A poll is one transaction across partitions, so two members of a group (or a member and an
    API request) can lock the same rows in opposite orders. PostgreSQL then aborts one with
    `deadlock detected` (SQLSTATE 40P01). Before, that counted as a bug: `error_attempts` tries,
    then dead-lettered. It is a lock conflict: retried until the other transaction has gone."""
    import asyncpg

    from kinerja_kit.db import is_lock_conflict

    db = await make_db(fresh_database)
    url = str(db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False))
    async with db.engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE locks (id int PRIMARY KEY)"))
        await conn.execute(sa.text("INSERT INTO locks VALUES (1), (2)"))
    one, two = await asyncpg.connect(url), await asyncpg.connect(url)
    try:  # a real deadlock first: the error the handler below meets
        t1, t2 = one.transaction(), two.transaction()
        await t1.start(), await t2.start()
        await one.execute("SELECT * FROM locks WHERE id = 1 FOR UPDATE")
        await two.execute("SELECT * FROM locks WHERE id = 2 FOR UPDATE")
        results = await asyncio.gather(one.execute("SELECT * FROM locks WHERE id = 2 FOR UPDATE"),
                                       two.execute("SELECT * FROM locks WHERE id = 1 FOR UPDATE"),
                                       return_exceptions=True)
        deadlock = next(r for r in results if isinstance(r, BaseException))
        await t1.rollback(), await t2.rollback()
    finally:
        await one.close(), await two.close()
    assert isinstance(deadlock, asyncpg.exceptions.DeadlockDetectedError)
    wrapped = sa.exc.DBAPIError("SELECT ... FOR UPDATE", {}, deadlock)
    assert is_lock_conflict(wrapped) and not is_lock_conflict(
        sa.exc.DBAPIError("INSERT", {}, asyncpg.exceptions.UniqueViolationError("dup")))

    calls: list[str] = []

    async def handle(uow, e, meta):
        calls.append(e.nip)
        if e.name == "contended" and calls.count(e.nip) <= 4:
            raise wrapped
        await uow.session.execute(sa.insert(db.effects).values(event_id=meta.event_id, nip=e.nip))

    broker, group = await run_group(kafka_bootstrap, db, handle, retry_base=0.05, error_attempts=2)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        contended = new_nip()
        await send(producer, contended, "contended", partition=0)
        await eventually(lambda: _has_effect(db, contended), timeout=30)
        assert calls.count(contended) == 5, "failed 4 times (past error_attempts=2), then handled"
    finally:
        await producer.stop()
        await broker.stop()
        await db.dispose()
