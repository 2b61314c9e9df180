"""Approval on the running platform (`make up`): scored → inbox latency at a sustained rate, and a
bulk approval, each beside a Kafka baseline measured in the same run. A benchmark, not a test: it
prints figures and never fails on them.

A city of N employees is imported through `POST /v1/org/import` (units of 20 staff under a head,
heads under a Sekda, and one extra unit of B staff under one head for the bulk phase; NIPs fresh
per run), and the run waits until every consumer group has caught up. Then:

1. Scored → inbox, open loop: vegeta (as in bench/rush.py, real tokens) sends `POST
   /v1/activities` at --rate/s for --duration s, one activity per staff member (staff taken one
   per unit in turn, so every unit's activities spread over the whole run). Per activity, from the
   services' own timestamps on Kafka (both topics read from the run's start, joined on
   activity_id): `activity.scored.v1` `scored_at` (scoring) → `approval.requested.v1`
   `requested_at` (approval, set when it opens the task). For a sample (--sample tasks: the staff
   of a few units spread over the city), the superior's `GET /v1/inbox` is polled every
   --poll-interval s during the run; a task's visible time is the arrival of the first response
   that lists it, minus its `scored_at` (an upper bound; the sending of the poll before it, which
   did not list it, gives the lower bound).
   Baseline: the same number of records of the same size (the mean `approval.requested.v1` value)
   produced to a scratch topic at the same rate (aiokafka, acks=all, idempotent) and consumed by
   an assigned consumer in the same process: per-record produce → consume latency; and, like
   rush.py's baseline, all of them at once (end-to-end records/s).
2. Bulk approval: each of the B staff submits one activity (08:00-08:05, httpx, 8 at a time, so
   the per-user write limit never bites); when all B are in their head's inbox, the head (own
   token, role pegawai) sends one `POST /v1/approvals/bulk` `{activity_ids: [B ids], decision:
   "approve"}`. A consumer tailing `approval.decided.v1` from before the call notes when each of the
   B records arrives. Figures: the call's wall time, the time from the call's start until the
   last of the B records is on Kafka, events/s over that time. Baseline: a bare produce of B
   records of the same size (the mean `approval.decided.v1` value) to a scratch topic (aiokafka,
   acks=all, idempotent, producer started beforehand), events/s; ratio.

Figures go to stdout and --out (JSON). Loopback only; every phase is bounded in count and time.

    make up && uv run python bench/approval.py --employees 2000 --rate 50 --duration 20 --bulk 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import sys
import time
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rush import attack, pct, summary, targets, vegeta  # noqa: E402 (the rush's vegeta helpers)
from intake_files import wait_drained  # noqa: E402

from kinerja_contracts.topics import spec  # noqa: E402
from kinerja_kit.tokens import mint  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RUN = Path(os.environ.get("KINERJA_RUN_DIR", ROOT / ".run"))
ACTIVITY, APPROVAL = "http://127.0.0.1:8001", "http://127.0.0.1:8003"
HEADER = "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
ADMIN = "199901012024011001"
GROUPS = ["kinerja-activity", "kinerja-scoring", "kinerja-approval", "kinerja-tpp", "kinerja-notify"]
SCORED, REQUESTED, DECIDED = "activity.scored.v1", "approval.requested.v1", "approval.decided.v1"


# -- the city ---------------------------------------------------------------------------------

def city(n: int, bulk: int, run: str) -> tuple[str, list[tuple[str, list[str]]], str, list[str]]:
    """CSV of about `n` employees: units (head, 20 staff) under a Sekda, plus one unit of `bulk`
    staff under one head (counted in `n`). Returns the CSV, the regular units, the bulk head and
    its staff."""
    seq = iter(range(10**9))
    nip = lambda: f"1993{run}{next(seq):09d}"  # noqa: E731
    sekda = nip()
    rows = [f"{sekda},Sekda,A{run}SETDA,Sekretariat Daerah,Sekda,struktural,II.a,16,,PNS"]
    bulk_head = nip()
    rows.append(f"{bulk_head},Kepala Besar,A{run}BULK,Unit Besar,Kepala,struktural,III.a,12,{sekda},PNS")
    bulk_staff = [nip() for _ in range(bulk)]
    rows += [f"{s},Staf Besar {i},A{run}BULK,Unit Besar,Staf,pelaksana,,6,{bulk_head},PNS"
             for i, s in enumerate(bulk_staff)]
    units = []
    for u in range(max(1, (n - 2 - bulk) // 21)):
        head = nip()
        rows.append(f"{head},Kepala {u},A{run}U{u},Unit {u},Kepala,struktural,III.a,12,{sekda},PNS")
        staff = [nip() for _ in range(20)]
        rows += [f"{s},Staf {u}-{k},A{run}U{u},Unit {u},Staf,pelaksana,,6,{head},PNS" for k, s in enumerate(staff)]
        units.append((head, staff))
    return HEADER + "\n".join(rows) + "\n", units, bulk_head, bulk_staff


# -- platform helpers -------------------------------------------------------------------------

def service_pid(name: str) -> int | None:
    try:
        pid = int((RUN / "services" / f"{name}.pid").read_text().strip())
        return pid if Path(f"/proc/{pid}").exists() else None
    except (OSError, ValueError):
        return None


def cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return float("nan")
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def rounded(x: float, digits: int = 2) -> float | None:
    return None if x != x else round(x, digits)


async def read_topic(bootstrap: str, topic: str, since_ms: int, timeout: float) -> list[dict]:
    """Every record of `topic` from `since_ms` up to the end offsets as of the call: value (bytes),
    body (JSON), timestamp (ms). Stops at the deadline."""
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await c.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(spec(topic).partitions)]
        c.assign(tps)
        offsets = await c.offsets_for_times({tp: since_ms for tp in tps})
        ends = await c.end_offsets(tps)
        todo = {}
        for tp in tps:
            start = offsets[tp].offset if offsets.get(tp) else ends[tp]
            c.seek(tp, start)
            if start < ends[tp]:
                todo[tp] = ends[tp]
        out, deadline = [], time.monotonic() + timeout
        while todo and time.monotonic() < deadline:
            batch = await c.getmany(*todo, timeout_ms=500)
            for tp, records in batch.items():
                for r in records:
                    if r.offset < todo.get(tp, -1):
                        out.append({"value": r.value, "body": json.loads(r.value), "timestamp": r.timestamp})
            for tp in list(todo):
                if await c.position(tp) >= todo[tp]:
                    del todo[tp]
        return out
    finally:
        await c.stop()


async def scratch_topic(bootstrap: str) -> tuple[AIOKafkaAdminClient, str]:
    topic = f"bench-approval-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 6, 1)])
    return admin, topic


async def drop_topic(admin: AIOKafkaAdminClient, topic: str) -> None:
    try:
        await admin.delete_topics([topic])
    finally:
        await admin.close()


# -- baselines --------------------------------------------------------------------------------

async def kafka_round_trip(bootstrap: str, n: int, size: int, rate: float, timeout: float) -> dict:
    """`n` records of `size` bytes to a scratch topic (acks=all, idempotent): (a) at `rate`/s, open
    loop, each one's produce → consume latency by an assigned consumer in this process; (b) all at
    once, produced and consumed straight through (rush.py's baseline)."""
    admin, topic = await scratch_topic(bootstrap)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(6)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        for tp in tps:
            await consumer.position(tp)
        value = b"x" * size
        sent: dict[int, float] = {}
        lat: list[float] = []

        async def receive(want: int, deadline: float) -> int:
            got = 0
            while got < want and time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=200)
                now = time.perf_counter()
                for records in batch.values():
                    for r in records:
                        got += 1
                        i = int(r.key)
                        if i in sent and i < n:
                            lat.append(now - sent[i])
            return got

        deadline = time.monotonic() + timeout
        receiver = asyncio.create_task(receive(n, deadline))
        started, futures = time.perf_counter(), []
        for i in range(n):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent[i] = time.perf_counter()
            futures.append(await producer.send(topic, value, key=str(i).encode()))
        await asyncio.gather(*futures)
        got = await receiver
        lat.sort()
        paced = {"records": n, "received": got, "size": size, "rate": rate,
                 "p50_ms": round(pct(lat, 50) * 1000, 1), "p99_ms": round(pct(lat, 99) * 1000, 1),
                 "max_ms": round(lat[-1] * 1000, 1) if lat else 0.0}

        started = time.perf_counter()
        futures = [await producer.send(topic, value, key=str(n + i).encode()) for i in range(n)]
        await asyncio.gather(*futures)
        produced = time.perf_counter() - started
        got = await receive(n, time.monotonic() + timeout)
        total = time.perf_counter() - started
        burst = {"records": n, "received": got, "size": size, "produce_s": round(produced, 3),
                 "produce_and_consume_s": round(total, 3), "produce_per_second": round(n / produced),
                 "end_to_end_per_second": round(got / total)}
        return {"topic_partitions": 6, "paced": paced, "all_at_once": burst}
    finally:
        await producer.stop()
        await consumer.stop()
        await drop_topic(admin, topic)


async def bare_produce(bootstrap: str, n: int, size: int) -> dict:
    """`n` records of `size` bytes to a scratch topic, acks=all, idempotent, until all are acknowledged."""
    admin, topic = await scratch_topic(bootstrap)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await (await producer.send(topic, b"warm-up", key=b"w"))  # metadata and connection, not timed
        value = b"x" * size
        started = time.perf_counter()
        futures = [await producer.send(topic, value, key=str(i).encode()) for i in range(n)]
        await asyncio.gather(*futures)
        seconds = time.perf_counter() - started
        return {"records": n, "size": size, "seconds": round(seconds, 4), "events_per_s": round(n / seconds)}
    finally:
        await producer.stop()
        await drop_topic(admin, topic)


# -- phases -----------------------------------------------------------------------------------

def tasks_of(body) -> list[dict]:
    """The inbox body: a list of tasks (tolerates an object wrapping them)."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in ("items", "tasks", "results"):
            if isinstance(body.get(key), list):
                return body[key]
    return []


async def preflight(nip: str, today: str, timeout: float) -> None:
    """One activity until it is accepted (a fresh platform may not have consumed the catalog)."""
    deadline, last = time.monotonic() + timeout, ""
    async with httpx.AsyncClient(timeout=30) as http:
        while time.monotonic() < deadline:
            r = await http.post(f"{ACTIVITY}/v1/activities", headers={"Authorization": f"Bearer {mint(nip, ['pegawai'])}"},
                                json={"type_code": "SURAT-MASUK", "date": today, "start_time": "23:30",
                                      "end_time": "23:35", "quantity": 1, "description": "bench preflight"})
            if r.status_code == 201:
                return
            last = f"{r.status_code} {r.text[:300]}"
            if not (r.status_code == 503 or r.status_code == 422 and "type_code" in r.text):
                break
            await asyncio.sleep(1.0)
    raise SystemExit(f"preflight activity refused: {last}")


async def poll_inboxes(heads: list[str], watch: set[str], seen: dict[str, dict], stop: asyncio.Event,
                       interval: float, deadline: float) -> dict:
    """Poll each head's inbox every `interval` s until `stop` (then once more) or the deadline;
    note, per task of a `watch`ed NIP, the first response listing it (wall clock)."""
    polls, errors = Counter(), Counter()

    async def one(head: str) -> None:
        auth = {"Authorization": f"Bearer {mint(head, ['pegawai'])}"}
        prev_send = time.time()
        async with httpx.AsyncClient(timeout=10) as http:
            final = False
            while time.monotonic() < deadline:
                final = stop.is_set()
                sent = time.time()
                try:
                    r = await http.get(f"{APPROVAL}/v1/inbox", params={"limit": 500}, headers=auth)
                    got = time.time()
                    polls[head] += 1
                    if r.status_code == 200:
                        for t in tasks_of(r.json()):
                            if t.get("nip") in watch and t.get("activity_id") not in seen:
                                seen[t["activity_id"]] = {"seen_at": got, "not_seen_at": prev_send, "head": head}
                    else:
                        errors[str(r.status_code)] += 1
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                prev_send = sent
                if final:
                    return
                try:
                    await asyncio.wait_for(stop.wait(), timeout=interval)
                except TimeoutError:
                    pass

    await asyncio.gather(*(one(h) for h in heads))
    return {"polls": sum(polls.values()), "errors": dict(errors)}


def ts(x: str) -> float:
    return datetime.fromisoformat(x).timestamp()


def dist(values: list[float]) -> dict:
    v = sorted(values)
    return {"count": len(v), "p50_ms": round(pct(v, 50) * 1000, 1), "p99_ms": round(pct(v, 99) * 1000, 1),
            "max_ms": round(v[-1] * 1000, 1) if v else 0.0}


async def pipeline_phase(a, units: list[tuple[str, list[str]]], exclude: str) -> dict:
    boss = {s: h for h, staff in units for s in staff}
    # One per unit in turn: unit 0's first, unit 1's first, …, then every unit's second, …
    staff = [s for k in range(20) for _, us in units for s in [us[k]] if s != exclude]
    want = int(a.rate * a.duration)
    lines, n = targets(staff, want, 0, "approval-pipeline")
    used = [staff[i % len(staff)] for i in range(n)]
    per_head = Counter(boss[s] for s in used)
    # Sample: whole units spread over the city until --sample tasks are covered.
    order = [h for h, _ in units if per_head[h]]
    k = min(len(order), max(1, math.ceil(a.sample / (n / len(order)))))
    spread = [order[round(i * (len(order) - 1) / max(1, k - 1))] for i in range(k)]
    heads, covered = [], 0
    for h in spread + order:  # evenly spaced units first, then more until the sample is covered
        if covered >= a.sample:
            break
        if h not in heads:
            heads.append(h)
            covered += per_head[h]
    watch = {s for s in used if boss[s] in heads}

    since_ms = int(time.time() * 1000) - 1000
    approval_pid = service_pid("approval")
    cpu0 = cpu_seconds(approval_pid)
    seen: dict[str, dict] = {}
    stop = asyncio.Event()
    poller = asyncio.create_task(poll_inboxes(heads, watch, seen, stop, a.poll_interval,
                                              time.monotonic() + a.duration + a.phase_timeout))
    started = time.monotonic()
    results = await asyncio.to_thread(attack, lines, rate=a.rate, duration=a.duration)
    attack_s = time.monotonic() - started
    http = summary(results, 201)
    drained = await wait_drained(a.bootstrap, a.phase_timeout)
    await asyncio.sleep(1.0)  # a last round of polls after the consumers caught up
    stop.set()
    polled = await poller
    approval_cpu = cpu_seconds(approval_pid) - cpu0

    used_set = set(used)
    scored: dict[str, dict] = {}
    for r in await read_topic(a.bootstrap, SCORED, since_ms, 120):
        b = r["body"]
        if b["nip"] in used_set and b["activity_id"] not in scored:
            scored[b["activity_id"]] = b
    requested: dict[str, dict] = {}
    sizes = []
    for r in await read_topic(a.bootstrap, REQUESTED, since_ms, 120):
        b = r["body"]
        if b["activity_id"] in scored:
            sizes.append(len(r["value"]))
            old = requested.get(b["activity_id"])
            if old is None or ts(b["requested_at"]) < ts(old["requested_at"]):
                requested[b["activity_id"]] = b
    to_requested = [ts(requested[k]["requested_at"]) - ts(v["scored_at"]) for k, v in scored.items() if k in requested]
    to_inbox = [s["seen_at"] - ts(scored[k]["scored_at"]) for k, s in seen.items() if k in scored]
    to_inbox_lower = [max(0.0, s["not_seen_at"] - ts(scored[k]["scored_at"])) for k, s in seen.items() if k in scored]
    resolution = [s["seen_at"] - s["not_seen_at"] for k, s in seen.items() if k in scored]
    wrong_approver = sum(1 for k, v in requested.items() if v["approver_nip"] != boss.get(v["nip"]))
    return {"rate": a.rate, "seconds": a.duration, "sent": len(results), "accepted": http["ok"], "http": http,
            "attack_s": round(attack_s, 1), "drained_after_s": rounded(drained),
            "scored": len(scored), "requested": len(requested), "routed_elsewhere": wrong_approver,
            "scored_to_requested": dist(to_requested),
            "inbox_sample": {"heads": len(heads), "tasks_expected": len(watch), "visible": len(to_inbox),
                             "poll_interval_s": a.poll_interval, **polled,
                             "poll_gap_p50_ms": round(pct(sorted(resolution), 50) * 1000, 1),
                             "scored_to_inbox": dist(to_inbox),
                             "scored_to_inbox_lower_bound": dist(to_inbox_lower)},
            "requested_value_bytes_mean": round(sum(sizes) / len(sizes)) if sizes else None,
            "approval_cpu_s": rounded(approval_cpu)}


async def tail(bootstrap: str, topic: str, ready: asyncio.Event, ids: set[str], got: dict[str, dict],
               deadline: float) -> None:
    """From the end offsets as of the start, note each record of `ids` as it arrives."""
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await c.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(spec(topic).partitions)]
        c.assign(tps)
        await c.seek_to_end(*tps)
        for tp in tps:
            await c.position(tp)
        ready.set()
        while len(got) < len(ids) and time.monotonic() < deadline:
            batch = await c.getmany(timeout_ms=200)
            now = time.perf_counter()
            for records in batch.values():
                for r in records:
                    b = json.loads(r.value)
                    if b["activity_id"] in ids and b["activity_id"] not in got:
                        got[b["activity_id"]] = {"at": now, "timestamp": r.timestamp, "bytes": len(r.value),
                                                 "decision": b["decision"], "approver": b["approver_nip"]}
    finally:
        ready.set()
        await c.stop()


async def bulk_phase(a, head: str, staff: list[str], today: str) -> dict:
    head_auth = {"Authorization": f"Bearer {mint(head, ['pegawai'])}"}
    sem, ids, codes, first_refusal = asyncio.Semaphore(8), [], Counter(), None
    deadline = time.monotonic() + a.phase_timeout

    async with httpx.AsyncClient(timeout=60) as http:
        async def submit(nip: str) -> None:
            nonlocal first_refusal
            async with sem:
                if time.monotonic() > deadline:
                    return
                r = await http.post(f"{ACTIVITY}/v1/activities",
                                    headers={"Authorization": f"Bearer {mint(nip, ['pegawai'])}"},
                                    json={"type_code": "SURAT-MASUK", "date": today, "start_time": "08:00",
                                          "end_time": "08:05", "quantity": 1, "description": "bench bulk"})
                codes[str(r.status_code)] += 1
                if r.status_code == 201:
                    ids.append(r.json()["id"])
                elif first_refusal is None:
                    first_refusal = f"{r.status_code} {r.text[:300]}"

        started = time.perf_counter()
        await asyncio.gather(*(submit(s) for s in staff))
        submit_s = time.perf_counter() - started
        print(f"bulk: {len(ids)} activities submitted in {submit_s:.1f} s (codes {dict(codes)})")
        if first_refusal:
            print(f"bulk: first refusal {first_refusal}")

        # Until every one is a pending task in the head's inbox.
        want, inbox_ids, started = set(ids), set(), time.perf_counter()
        while not want <= inbox_ids and time.monotonic() < deadline:
            r = await http.get(f"{APPROVAL}/v1/inbox", params={"limit": 500}, headers=head_auth)
            if r.status_code == 200:
                inbox_ids = {t["activity_id"] for t in tasks_of(r.json())}
            if not want <= inbox_ids:
                await asyncio.sleep(0.5)
        in_inbox = len(want & inbox_ids)
        inbox_wait_s = time.perf_counter() - started
        print(f"bulk: {in_inbox}/{len(want)} tasks in the head's inbox after {inbox_wait_s:.1f} s")
        await wait_drained(a.bootstrap, a.phase_timeout)  # a quiet platform for the call

        ready, got = asyncio.Event(), {}
        tailer = asyncio.create_task(tail(a.bootstrap, DECIDED, ready, want, got, time.monotonic() + a.phase_timeout))
        await ready.wait()
        approval_pid = service_pid("approval")
        cpu0 = cpu_seconds(approval_pid)
        wall0, t0 = time.time(), time.perf_counter()
        r = await http.post(f"{APPROVAL}/v1/approvals/bulk", headers=head_auth,
                            json={"activity_ids": ids, "decision": "approve"}, timeout=300)
        t1 = time.perf_counter()
        body = r.json() if r.headers.get("content-type", "").startswith("application/") else {"text": r.text}
        decided_ids = {x["activity_id"] for x in body.get("results", []) if x.get("decided")}
        refusals = Counter(f"{x.get('status')} {x.get('error')}" for x in body.get("results", []) if not x.get("decided"))
        if r.status_code != 200 or not decided_ids:
            tailer.cancel()
            await asyncio.gather(tailer, return_exceptions=True)
            print(f"bulk: the call answered {r.status_code}: {json.dumps(body)[:500]}")
            return {"tasks": len(ids), "in_inbox": in_inbox, "http_status": r.status_code,
                    "http_s": round(t1 - t0, 3), "body": json.dumps(body)[:2000]}
        # The tailer waits for every id asked; stop it once the decided ones are all there.
        while not decided_ids <= set(got) and not tailer.done():
            await asyncio.sleep(0.05)
        tailer.cancel()
        await asyncio.gather(tailer, return_exceptions=True)
        approval_cpu = cpu_seconds(approval_pid) - cpu0
    arrived = [got[k] for k in decided_ids if k in got]
    last = max((g["at"] for g in arrived), default=float("nan"))
    first = min((g["at"] for g in arrived), default=float("nan"))
    last_ts = max((g["timestamp"] for g in arrived), default=0) / 1000
    on_kafka_s = last - t0
    sizes = [g["bytes"] for g in arrived]
    return {"tasks": len(ids), "submit_s": round(submit_s, 2), "submit_codes": dict(codes),
            "in_inbox": in_inbox, "inbox_wait_s": round(inbox_wait_s, 2),
            "http_status": r.status_code, "decided": body.get("decided"), "refused": body.get("refused"),
            "refusals": dict(refusals), "http_s": round(t1 - t0, 3),
            "on_kafka": len(arrived), "approved_by_head": sum(1 for g in arrived if g["decision"] == "approve"
                                                              and g["approver"] == head),
            "first_on_kafka_s": rounded(first - t0, 3), "all_on_kafka_s": rounded(on_kafka_s, 3),
            "all_on_kafka_after_response_s": rounded(last - t1, 3),
            "last_record_timestamp_s": round(last_ts - wall0, 3) if arrived else None,
            "events_per_s": round(len(arrived) / on_kafka_s, 1) if arrived and on_kafka_s > 0 else None,
            "decided_value_bytes_mean": round(sum(sizes) / len(sizes)) if sizes else None,
            "approval_cpu_s": rounded(approval_cpu)}


# -- the run ----------------------------------------------------------------------------------

async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--employees", type=int, default=2000, help="the city, bulk unit included")
    p.add_argument("--rate", type=int, default=50, help="pipeline phase, activities/s (open loop)")
    p.add_argument("--duration", type=float, default=20, help="pipeline phase seconds")
    p.add_argument("--sample", type=int, default=50, help="tasks whose inbox visibility is polled")
    p.add_argument("--poll-interval", type=float, default=0.25, help="seconds between polls of one inbox")
    p.add_argument("--bulk", type=int, default=200, help="tasks of the bulk approval (≤ 200, the endpoint's limit)")
    p.add_argument("--bootstrap", default=f"127.0.0.1:{os.environ.get('KINERJA_KAFKA_PORT', '9092')}")
    p.add_argument("--phase-timeout", type=float, default=300, help="seconds, per wait")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "approval.json"))
    a = p.parse_args()
    if not 1 <= a.bulk <= 200:
        sys.exit("--bulk: 1 to 200")
    if a.rate <= 0 or a.duration <= 0:
        sys.exit("--rate and --duration must be positive")
    vegeta()  # exits early when it is missing
    if service_pid("approval") is None:
        print("note: no .run/services/approval.pid; approval CPU is not measured")
    today = datetime.now(ZoneInfo(os.environ.get("KINERJA_TIMEZONE", "Asia/Jakarta"))).date().isoformat()
    run = f"{random.randrange(10**5):05d}"
    result: dict = {"config": {**vars(a), "out": Path(a.out).name, "date": today, "run": run}, "machine": {"cpus": os.cpu_count()},
                    "started_at": datetime.now().astimezone().isoformat(timespec="seconds")}

    csv_text, units, bulk_head, bulk_staff = city(a.employees, a.bulk, run)
    async with httpx.AsyncClient(timeout=300) as http:
        started = time.perf_counter()
        r = await http.post(f"{ACTIVITY}/v1/org/import", content=csv_text,
                            headers={"Authorization": f"Bearer {mint(ADMIN, ['admin'])}", "content-type": "text/csv"})
    if r.status_code != 200:
        sys.exit(f"org import refused: {r.status_code} {r.text[:500]}")
    result["org_import"] = {"employees": r.json()["imported"], "units": len(units) + 1,
                            "http_s": round(time.perf_counter() - started, 2),
                            "consumed_s": rounded(await wait_drained(a.bootstrap, a.phase_timeout))}
    print(f"org import: {result['org_import']}")
    spare = units[-1][1][-1]
    await preflight(spare, today, 60)
    await wait_drained(a.bootstrap, a.phase_timeout)

    # 1. scored → requested → inbox at a sustained rate.
    pipe = await pipeline_phase(a, units, exclude=spare)
    result["pipeline"] = pipe
    s2r, s2i = pipe["scored_to_requested"], pipe["inbox_sample"]["scored_to_inbox"]
    lo = pipe["inbox_sample"]["scored_to_inbox_lower_bound"]
    print(f"pipeline {a.rate:g}/s × {a.duration:g} s: {pipe['accepted']}/{pipe['sent']} accepted "
          f"(HTTP p50 {pipe['http']['p50_ms']} ms, p99 {pipe['http']['p99_ms']} ms, codes {pipe['http']['codes']}); "
          f"consumers drained {pipe['drained_after_s']} s after the attack")
    print(f"  scored_at → requested_at: n={s2r['count']}, p50 {s2r['p50_ms']} ms, p99 {s2r['p99_ms']} ms, "
          f"max {s2r['max_ms']} ms ({pipe['routed_elsewhere']} routed to someone else than the atasan)")
    print(f"  scored_at → visible in GET /v1/inbox (sample of {pipe['inbox_sample']['tasks_expected']} in "
          f"{pipe['inbox_sample']['heads']} inboxes, polled every {a.poll_interval} s; "
          f"{pipe['inbox_sample']['polls']} polls, errors {pipe['inbox_sample']['errors']}): n={s2i['count']}, "
          f"p50 {s2i['p50_ms']} ms, p99 {s2i['p99_ms']} ms, max {s2i['max_ms']} ms (lower bound, the poll before: "
          f"p50 {lo['p50_ms']} ms, p99 {lo['p99_ms']} ms)")
    size = pipe["requested_value_bytes_mean"] or 600
    n = max(1, s2r["count"])
    kafka = await kafka_round_trip(a.bootstrap, n, size, a.rate, a.phase_timeout)
    result["pipeline"]["baseline_kafka"] = kafka
    kp, kb = kafka["paced"], kafka["all_at_once"]
    result["pipeline"]["ratio_p50_to_kafka"] = round(s2r["p50_ms"] / kp["p50_ms"], 1) if kp["p50_ms"] else None
    result["pipeline"]["ratio_p99_to_kafka"] = round(s2r["p99_ms"] / kp["p99_ms"], 1) if kp["p99_ms"] else None
    print(f"  baseline, {n} records of {size} B straight through Kafka at {a.rate:g}/s (acks=all): produce → "
          f"consume p50 {kp['p50_ms']} ms, p99 {kp['p99_ms']} ms, max {kp['max_ms']} ms ({kp['received']} received); "
          f"all at once {kb['end_to_end_per_second']:,} rec/s end to end")
    print(f"  ratio scored → requested / Kafka round trip: p50 ×{result['pipeline']['ratio_p50_to_kafka']}, "
          f"p99 ×{result['pipeline']['ratio_p99_to_kafka']}")

    # 2. bulk approval.
    bulk = await bulk_phase(a, bulk_head, bulk_staff, today)
    result["bulk"] = bulk
    if bulk.get("events_per_s"):
        base = await bare_produce(a.bootstrap, bulk["on_kafka"], bulk["decided_value_bytes_mean"] or size)
        bulk["baseline_bare_produce"] = base
        bulk["ratio_events_per_s"] = round(bulk["events_per_s"] / base["events_per_s"], 4)
        print(f"bulk approval of {bulk['tasks']} (one POST /v1/approvals/bulk): {bulk['http_status']}, "
              f"decided {bulk['decided']}, refused {bulk['refused']} {bulk['refusals'] or ''}; call {bulk['http_s']} s; "
              f"all {bulk['on_kafka']} approval.decided.v1 on Kafka {bulk['all_on_kafka_s']} s after the call "
              f"started ({bulk['all_on_kafka_after_response_s']} s after its response; first at "
              f"{bulk['first_on_kafka_s']} s): {bulk['events_per_s']} events/s; approval CPU {bulk['approval_cpu_s']} s")
        print(f"  baseline bare produce of {base['records']} records of {base['size']} B (acks=all, idempotent): "
              f"{base['seconds']} s, {base['events_per_s']:,} events/s; ratio {bulk['ratio_events_per_s']}")
    else:
        print(f"bulk approval: no figures ({json.dumps(bulk)[:800]})")

    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=1, default=str) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    asyncio.run(main())
