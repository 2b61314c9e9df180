"""Read models rebuilt from the topics (kinerja-rebuild): after the flows of the e2e suite, the
scoring database and tpp's input tables rebuilt into empty databases equal the live ones, and
the rebuild published nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from kinerja_contracts.topics import TOPICS, dlq_topic
from support import ROOT, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

TABLES = {
    "scoring": ["catalog", "employees", "scores", "monthly_performance", "attendance_days", "calendar_years", "inbox"],
    "tpp": ["employees", "performance_inputs", "attendance_inputs", "sanction_inputs", "calendar_years"],
}


async def _end_offsets(bootstrap: str, topics: list[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or [])]
        assert len({tp.topic for tp in parts}) == len(topics), "no metadata for some topics"
        return await consumer.end_offsets(parts)
    finally:
        await consumer.stop()


async def _caught_up(bootstrap: str, group: str, topics: list[str]) -> bool:
    """The live consumer group has committed every record of its topics."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    ends = await _end_offsets(bootstrap, topics)
    return all(end == 0 or (tp in committed and committed[tp].offset >= end) for tp, end in ends.items())


def _norm(v):
    if isinstance(v, Decimal):
        return v.normalize()
    if isinstance(v, str) and v[:1] in "[{":
        try:
            return json.dumps(json.loads(v), sort_keys=True)
        except ValueError:
            return v
    return v


async def _rows(url: str, table: str) -> list[tuple]:
    """Every row, without the columns that record when this database wrote it (`*_at`)."""
    conn = await asyncpg.connect(url)
    try:
        cols = [r["column_name"] for r in await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
            table) if not r["column_name"].endswith("_at")]
        rows = await conn.fetch(f'SELECT {", ".join(cols)} FROM "{table}"')
        return sorted((tuple(_norm(v) for v in r.values()) for r in rows), key=repr)
    finally:
        await conn.close()


@pytest.mark.parametrize("service", ["scoring", "tpp"])
async def test_rebuild_from_the_topics_equals_the_live_read_model(services, kafka_bootstrap, fresh_database, service):
    consumed = [t for t in TOPICS if t in _consumed(service)]
    await eventually(lambda: _caught_up(kafka_bootstrap, f"kinerja-{service}", consumed), timeout=60)
    produced = [t for t, s in TOPICS.items() if s.producer == service] + [dlq_topic(t) for t in consumed]
    before = await _end_offsets(kafka_bootstrap, produced)
    live_url = services.database_urls[service]
    live = {t: await _rows(live_url, t) for t in TABLES[service]}
    assert live["employees"], "the suite built no state to rebuild"

    target = await fresh_database(f"rebuild_{service}")
    env = {**os.environ, "KINERJA_KAFKA_BOOTSTRAP": kafka_bootstrap}
    out = subprocess.run([sys.executable, "-m", "kinerja_kit.rebuild", service, "--database-url", target],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout)
    assert report["records"] > 0 and report["waiting_gave_up"] == 0

    rebuilt = {t: await _rows(target, t) for t in TABLES[service]}
    for table in TABLES[service]:
        assert rebuilt[table] == live[table], f"{service}.{table} differs after the rebuild"
    assert await _end_offsets(kafka_bootstrap, produced) == before, "the rebuild published something"
    conn = await asyncpg.connect(target)
    try:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
    finally:
        await conn.close()


async def test_rebuild_refuses_a_database_that_is_not_empty(services, kafka_bootstrap):
    env = {**os.environ, "KINERJA_KAFKA_BOOTSTRAP": kafka_bootstrap}
    out = subprocess.run([sys.executable, "-m", "kinerja_kit.rebuild", "scoring", "--database-url",
                          services.database_urls["scoring"]], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode != 0 and "empty database" in out.stderr


def _consumed(service: str) -> set[str]:
    import importlib

    from fastapi import FastAPI

    from kinerja_kit.service import ServiceRuntime

    spec = importlib.import_module(f"{service}_service.main").SERVICE
    runtime = ServiceRuntime(spec.load_settings(database_url="sqlite:///:memory:"), spec.metadata, spec.migrations)
    app = FastAPI()
    app.state.settings, app.state.runtime = runtime.settings, runtime
    spec.wire(runtime, app)
    return set(runtime.consumers.handlers)
