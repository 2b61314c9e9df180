"""The invariants, counted from the topics (read from the beginning, no consumer group) and the
databases, never from a unique constraint:

1. every 2xx is reflected downstream (nothing acknowledged is lost);
2. each effect once per cause (distinct event ids per activity on each topic, task rows,
   notifications), whatever was redelivered;
3. no effect without a cause (a record or row whose request was answered with a non-2xx);
4. one employee's events in order on every hop, and no stale state (final states match decisions);
6. after healing: every consumer group's lag 0 and no outbox row older than 60 s."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from faults.infra import SERVICE_NAMES
from faults.load import Load

TOPICS = ("activity.submitted.v1", "activity.scored.v1", "approval.requested.v1", "approval.decided.v1")


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: str | None
    event_id: str | None
    value: dict | None
    headers: dict[str, str]


async def read_all(bootstrap: str, topics: list[str], keep=lambda r: True) -> list[Record]:
    """Every record of `topics` up to their current end offsets."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest", max_partition_fetch_bytes=4 * 1024 * 1024)
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or
                                                              await _partitions(consumer, t))]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: list[Record] = []
        remaining = {tp for tp in tps if ends[tp] > 0}
        deadline = time.monotonic() + 60
        while remaining and time.monotonic() < deadline:
            batch = await consumer.getmany(*remaining, timeout_ms=500)
            for tp, recs in batch.items():
                for r in recs:
                    headers = {k: v.decode(errors="replace") for k, v in (r.headers or [])}
                    try:
                        value = json.loads(r.value)
                    except (ValueError, TypeError):
                        value = None
                    rec = Record(r.topic, r.partition, r.offset, r.key.decode(errors="replace") if r.key else None,
                                 headers.get("event-id"), value, headers)
                    if keep(rec):
                        out.append(rec)
                    if r.offset + 1 >= ends[tp]:
                        remaining.discard(tp)
        if remaining:
            raise AssertionError(f"could not read to the end of {sorted(map(str, remaining))}")
        return out
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # noqa: SLF001 - metadata for unassigned topics
    return consumer.partitions_for_topic(topic) or set()


async def consumer_lag(bootstrap: str) -> dict[str, int]:
    """Committed vs end offsets of every service's group, over the topics it committed on."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        lags = {}
        for svc in SERVICE_NAMES:
            committed = await admin.list_consumer_group_offsets(f"kinerja-{svc}")
            tps = [tp for tp in committed if not tp.topic.endswith(".dlq")]
            ends = await consumer.end_offsets(tps) if tps else {}
            lags[svc] = sum(max(0, ends[tp] - committed[tp].offset) for tp in tps)
        return lags
    finally:
        await consumer.stop()
        await admin.close()


async def outbox_oldest(urls: dict[str, str]) -> dict[str, float | None]:
    """Age in seconds of each service's oldest unsent outbox row (None: nothing waits)."""
    ages = {}
    for svc, url in urls.items():
        conn = await asyncpg.connect(url, timeout=5)
        try:
            ages[svc] = await conn.fetchval(
                "SELECT extract(epoch FROM now() - min(created_at)) FROM outbox WHERE sent_at IS NULL")
            ages[svc] = float(ages[svc]) if ages[svc] is not None else None
        finally:
            await conn.close()
    return ages


async def wait_healed(bootstrap: str, urls: dict[str, str], timeout: float = 300.0) -> tuple[float | None, dict]:
    """Seconds until every lag is 0 and no outbox row waits (None if not within `timeout`)."""
    started = time.monotonic()
    last: dict = {}
    while time.monotonic() - started < timeout:
        try:
            lag, outbox = await consumer_lag(bootstrap), await outbox_oldest(urls)
            last = {"lag": lag, "outbox_oldest_s": outbox}
            if not any(lag.values()) and all(a is None for a in outbox.values()):
                return time.monotonic() - started, last
        except Exception as exc:  # the platform may still be coming back
            last = {"error": repr(exc)}
        await asyncio.sleep(1.0)
    return None, last


@dataclass
class Verdict:
    counts: dict = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


async def check(bootstrap: str, urls: dict[str, str], load: Load) -> Verdict:
    v = Verdict()
    nips = load.org.nips
    acts = [r for r in load.requests if r.kind == "activity"]
    acked = {r.activity_id: r for r in acts if r.acked}
    tag_of = {r.tag: r for r in acts}

    # The activity database: which requests were applied (their tag in the description).
    conn = await asyncpg.connect(urls["activity"])
    try:
        rows = await conn.fetch("SELECT id, nip, status, description FROM activities WHERE nip = ANY($1::text[])",
                                list(nips))
        outbox = await conn.fetch("SELECT id, key, payload FROM outbox WHERE topic = 'activity.submitted.v1' "
                                  "AND key = ANY($1::text[]) ORDER BY id", list(nips))
    finally:
        await conn.close()
    applied = {}
    for row in rows:
        tag = row["description"].rsplit(" ", 1)[-1]
        applied[row["id"]] = (tag, row["status"], row["nip"])
    status_of = {aid: s for aid, (_, s, _) in applied.items()}

    records = await read_all(bootstrap, list(TOPICS), keep=lambda r: r.key in nips)
    by_topic: dict[str, dict[str, set[str]]] = {t: defaultdict(set) for t in TOPICS}
    copies = Counter()
    for rec in records:
        aid = (rec.value or {}).get("activity_id")
        by_topic[rec.topic][aid].add(rec.event_id)
        copies[(rec.topic, rec.event_id)] += 1
    redelivered = sum(n - 1 for n in copies.values() if n > 1)

    # Approval tasks and decision notifications.
    conn = await asyncpg.connect(urls["approval"])
    try:
        tasks = await conn.fetch("SELECT activity_id, status FROM tasks WHERE nip = ANY($1::text[])", list(nips))
    finally:
        await conn.close()
    task_count = Counter(t["activity_id"] for t in tasks)
    task_status = {t["activity_id"]: t["status"] for t in tasks}
    conn = await asyncpg.connect(urls["notify"])
    try:
        notes = await conn.fetch("SELECT data FROM notifications WHERE kind = 'approval.decided' "
                                 "AND recipient_nip = ANY($1::text[])", list(nips))
    finally:
        await conn.close()
    decided_notes = Counter(json.loads(n["data"]).get("activity_id") if isinstance(n["data"], str)
                            else n["data"].get("activity_id") for n in notes)

    # 1. Nothing acknowledged is lost.
    lost = Counter()
    for aid in acked:
        if aid not in applied:
            lost["activity row"] += 1
        for topic in TOPICS[:3]:
            if not by_topic[topic].get(aid):
                lost[topic] += 1
        if not task_count.get(aid):
            lost["approval task"] += 1
    decisions = [r for r in load.requests if r.kind == "decision"]
    decided_acked = {r.activity_id: r for r in decisions if r.acked}
    for r in decisions:  # a retried decision answered 409: it went through if the task is decided
        if r.status == 409 and task_status.get(r.activity_id) in ("approved", "rejected"):
            decided_acked[r.activity_id] = r
    for aid in decided_acked:
        if not by_topic["approval.decided.v1"].get(aid):
            lost["approval.decided.v1"] += 1
        if not decided_notes.get(aid):
            lost["decision notification"] += 1

    # 2. Each effect once per cause.
    dup = Counter()
    for topic in TOPICS:
        for aid, ids in by_topic[topic].items():
            if len(ids) > 1:
                dup[topic] += len(ids) - 1
    for aid, n in task_count.items():
        if n > 1:
            dup["approval task"] += n - 1
    for aid, n in decided_notes.items():
        if n > 1:
            dup["decision notification"] += n - 1

    # 3. No effect without a cause: an applied activity needs a request that was not refused.
    orphans = Counter()
    unknown_applied = 0
    for aid, (tag, _, _) in applied.items():
        req = tag_of.get(tag)
        if req is None:
            orphans["activity row without a request"] += 1
        elif req.acked:
            continue
        elif req.status is None:
            unknown_applied += 1  # no answer ever came: applied or not, both are right
        else:
            orphans[f"activity applied after a {req.status}"] += 1
    for topic in TOPICS:
        for aid in by_topic[topic]:
            if aid not in applied:
                orphans[f"{topic} record without an activity"] += 1
    for aid in by_topic["approval.decided.v1"]:
        if aid not in decided_acked and not any(r.activity_id == aid and r.status is None for r in decisions):
            orphans["decision without an acknowledged request"] += 1

    # 4. Per-employee order on every hop, and no stale state.
    order_breaks = 0
    expected: dict[str, list[str]] = defaultdict(list)
    for row in outbox:
        aid = json.loads(row["payload"])["activity_id"]
        if aid not in expected[row["key"]]:
            expected[row["key"]].append(aid)
    for topic in TOPICS[:3]:
        seen: dict[str, list[str]] = defaultdict(list)
        for rec in sorted((r for r in records if r.topic == topic), key=lambda r: (r.partition, r.offset)):
            aid = (rec.value or {}).get("activity_id")
            if aid not in seen[rec.key]:
                seen[rec.key].append(aid)
        for nip, got in seen.items():
            want = [a for a in expected[nip] if a in set(got)]
            if got != want:
                order_breaks += 1
    stale = 0
    final = {r.activity_id: r.decision for r in decided_acked.values()}
    unanswered = {r.activity_id for r in decisions if r.status is None} - set(final)
    for aid in set(acked) - unanswered:  # a decision never answered may or may not have been applied
        want = {"approve": "approved", "reject": "rejected"}.get(final.get(aid), None)
        if want and (status_of.get(aid) != want or task_status.get(aid) != want):
            stale += 1
        if not want and task_status.get(aid) not in (None, "pending"):
            stale += 1

    v.counts = {
        **load.counts("activity"),
        "decisions": {k: load.counts("decision")[k] for k in ("sent", "acknowledged", "statuses")},
        "lost": sum(lost.values()), "lost_by": dict(lost),
        "duplicated": sum(dup.values()), "duplicated_by": dict(dup),
        "orphans": sum(orphans.values()), "orphans_by": dict(orphans),
        "applied_without_answer": unknown_applied,
        "redelivered_records": redelivered,
        "order_breaks": order_breaks, "stale_states": stale,
    }
    if lost:
        v.violations.append(f"1 lost: {dict(lost)}")
    if dup:
        v.violations.append(f"2 duplicated: {dict(dup)}")
    if orphans:
        v.violations.append(f"3 effect without cause: {dict(orphans)}")
    if order_breaks or stale:
        v.violations.append(f"4 order breaks {order_breaks}, stale states {stale}")
    return v
