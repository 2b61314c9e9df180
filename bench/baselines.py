"""Baselines of `bench/rush.py`, each measured in the same run as the figure it is the ratio for:

- Kafka's own load tool (org.apache.kafka.tools.ProducerPerformance from kafka-tools, the same
  Kafka version as the broker; jars resolved by scripts/bench.sh), acks=all, the same record size;
- a bare aiokafka producer (acks=all, idempotent), against the outbox relay publishing the same
  number of rows of the same size from the activity service's outbox;
- a bare aiokafka consumer reading the same records of the same topics as each consumer group
  drained during the run."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
import uuid
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

PERF_LINE = re.compile(r"(\d+) records sent, ([\d.]+) records/sec .*?([\d.]+) ms avg latency.*?(\d+) ms 99th")


async def _topic(bootstrap: str, partitions: int = 6) -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()
    return name


async def _drop(bootstrap: str, *topics: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics(list(topics))
    except Exception:
        pass
    finally:
        await admin.close()


async def kafka_perf_tool(bootstrap: str, libs: str | None, n: int, size: int, java: str = "java") -> dict:
    """kafka-producer-perf-test (ProducerPerformance), acks=all; {} when its jars are not there."""
    if not libs or not any(Path(libs).glob("kafka-tools-*.jar")):
        return {"skipped": "kafka-tools jars not resolved (scripts/bench.sh resolves them)"}
    topic = await _topic(bootstrap)
    try:
        out = await asyncio.to_thread(subprocess.run, [
            java, "-Xmx256m", "-cp", f"{libs}/*", "org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
            "--num-records", str(n), "--record-size", str(size), "--throughput", "-1",
            "--producer-props", f"bootstrap.servers={bootstrap}", "acks=all", "enable.idempotence=true"],
            capture_output=True, text=True, timeout=600)
    finally:
        await _drop(bootstrap, topic)
    lines = [m for m in (PERF_LINE.search(x) for x in out.stdout.splitlines()) if m]
    if not lines:
        return {"error": (out.stdout + out.stderr)[-500:]}
    m = lines[-1]  # the summary line comes last
    return {"tool": "org.apache.kafka.tools.ProducerPerformance", "records": int(m[1]), "size": size, "acks": "all",
            "per_second": round(float(m[2])), "avg_latency_ms": float(m[3]), "p99_ms": int(m[4])}


async def bare_producer(bootstrap: str, n: int, size: int) -> dict:
    """aiokafka, acks=all, idempotent: send everything, then await every acknowledgement (as the relay does)."""
    topic = await _topic(bootstrap)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [await producer.send(topic, b"x" * size, key=str(i % 2000).encode()) for i in range(n)]
        await asyncio.gather(*futures)
        took = time.perf_counter() - started
    finally:
        await producer.stop()
        await _drop(bootstrap, topic)
    return {"records": n, "size": size, "seconds": round(took, 3), "per_second": round(n / took)}


async def relay(bootstrap: str, activity_db: str, n: int, size: int, timeout: float = 300) -> dict:
    """The activity service's outbox relay publishing `n` rows of `size` bytes to a throw-away
    topic: the rows are committed at once, the rate is rows / (last sent_at − commit)."""
    topic = await _topic(bootstrap)
    conn = await asyncpg.connect(activity_db)
    try:
        payload = json.dumps({"bench": "x" * max(0, size - 13)})
        async with conn.transaction():
            await conn.copy_records_to_table("outbox", columns=["topic", "key", "payload", "headers"], records=[
                (topic, str(i % 2000), payload, "{}") for i in range(n)])
            committed = await conn.fetchval("SELECT clock_timestamp()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = await conn.fetchval("SELECT count(*) FROM outbox WHERE topic = $1 AND sent_at IS NULL", topic)
            if not left:
                break
            await asyncio.sleep(0.2)
        first, last, sent = await conn.fetchrow("SELECT min(sent_at), max(sent_at), count(sent_at) FROM outbox "
                                                "WHERE topic = $1", topic)
        first_round = await conn.fetchval("SELECT count(*) FROM outbox WHERE topic = $1 AND sent_at = $2", topic, first)
        await conn.execute("DELETE FROM outbox WHERE topic = $1 AND sent_at IS NOT NULL", topic)
    finally:
        await conn.close()
        await _drop(bootstrap, topic)
    # Rounds after the first (which waited for the relay's poll): rows / (last round − first round).
    steady = (last - first).total_seconds() if last else 0.0
    return {"records": n, "sent": sent, "size": size, "seconds_after_commit": round((last - committed).total_seconds(), 3)
            if last else None, "per_second": round((sent - first_round) / steady) if steady > 0 else 0}


async def bare_consumer(bootstrap: str, offsets: dict[tuple[str, int], tuple[int, int]]) -> dict:
    """aiokafka reading the records between (start, end) offsets of each (topic, partition)."""
    want = sum(max(0, e - s) for s, e in offsets.values())
    if not want:
        return {"records": 0, "per_second": 0}
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, max_poll_records=2000)
    await c.start()
    try:
        tps = {TopicPartition(t, p): se for (t, p), se in offsets.items() if se[1] > se[0]}
        c.assign(list(tps))
        for tp, (s, _) in tps.items():
            c.seek(tp, s)
        got, started, deadline = 0, time.perf_counter(), time.monotonic() + 120
        while got < want and time.monotonic() < deadline:
            for tp, records in (await c.getmany(timeout_ms=500, max_records=2000)).items():
                end = tps[tp][1]
                got += sum(1 for r in records if r.offset < end)
        took = time.perf_counter() - started
    finally:
        await c.stop()
    return {"records": got, "seconds": round(took, 3), "per_second": round(got / took) if took else 0}
