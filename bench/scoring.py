"""Scoring on the running platform (`make up`): the scoring consumer's sustained throughput beside a
bare aiokafka consumer reading the same records in the same run, and the delay from an approval to
the updated monthly performance (p50/p99). A benchmark, not a test: it prints figures and never
fails on them.

A city of N employees is imported through `POST /v1/org/import` (bench/approval.py's `city()`: units
of 20 staff under a head, heads under a Sekda; NIPs fresh per run), one preflight activity is
accepted, and the run waits until every consumer group has caught up. Then:

1. Throughput, a backlog drained. The scoring service process (the pid in .run/services/scoring.pid,
   started by scripts/up.sh) is stopped with SIGTERM (graceful; SIGKILL after 30 s, as
   scripts/down.sh does). The end offsets of `activity.submitted.v1` are noted, and K activities
   (SURAT-MASUK, which needs no evidence) are submitted through `POST /v1/activities` with real
   tokens (httpx, --concurrency at a time; staff taken one per unit in turn, one activity each, a
   second one in a later 10-minute slot only when K exceeds the staff, so the per-user write limit
   never bites), until the activity outbox has put all accepted ones on the topic. Scoring is then
   started again as up.sh starts it (the same executable, KINERJA_SCORING_DATABASE_URL and
   KINERJA_KAFKA_BOOTSTRAP, its own session, output appended to .run/services/scoring.log, the
   pid file rewritten). A consumer tailing `activity.scored.v1` (assigned, from the end offsets
   noted before the restart) notes each of the K as it arrives. Figures:
   - sustained (the headline): (K − 1) / the time from the first to the K-th scored record's
     arrival, events/s: the consumer at work on a backlog, its startup excluded;
   - drain: K / the time from the restart until the K-th scored record arrived (startup, group
     join and migrations check included); also when group `kinerja-scoring` had committed up to
     the end offsets (lag 0 on activity.submitted.v1), and when GET /health/ready first answered;
   - scoring's CPU seconds (/proc/<pid>/stat utime + stime) from the restart to the K-th record,
     and between the first and the K-th, per event.
   Scoring publishes `performance.monthly.v1` (and the head's, when the region blends) with each
   priced activity, all through its outbox: the throughput is of that whole unit of work.
   Baseline: a bare AIOKafkaConsumer (no group, assigned to every partition, seeking the offsets
   noted before the first submission) reading the same records up to the end offsets, records/s;
   and a second pass that also validates each value into ActivitySubmittedV1. Ratio sustained /
   bare.
2. Approval → monthly performance. With scoring running and every group caught up (approval has
   opened the K tasks), A of the tasks (the activities of A different staff, one per unit in turn)
   are first seen in their head's `GET /v1/inbox`, then each is approved by its head (own token,
   role pegawai): `POST /v1/approvals/{activity_id}/decision {"decision": "approve"}`, open loop at
   --approve-rate/s, at most --concurrency in flight. After the platform has caught up, both topics
   are read from the phase's start: each `approval.decided.v1` of those (`decided_at`, set by
   approval) is joined with the first `performance.monthly.v1` of that nip and period (the work
   date's month) whose `approved_activities` reached the count this approval makes (the NIPs are
   fresh: 1 for an employee's first approval of the run); delay = `computed_at` (set by scoring) −
   `decided_at`, p50/p99/max and count; and `decided_at` → that record's Kafka timestamp (scoring's
   outbox relay included).

Figures go to stdout and --out (JSON). Loopback only; every phase is bounded in count and time.
The machine's load average at the start is recorded: other work on the machine moves the figures.

    make up && uv run python bench/scoring.py --employees 2000 --activities 2000 --approvals 300
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from approval import city, cpu_seconds, dist, preflight, read_topic, rounded, tasks_of, ts  # noqa: E402
from intake_files import wait_drained  # noqa: E402
from rush import pct  # noqa: E402

from kinerja_contracts.activity.v1 import ActivitySubmittedV1  # noqa: E402
from kinerja_contracts.topics import spec  # noqa: E402
from kinerja_kit.tokens import mint  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RUN = Path(os.environ.get("KINERJA_RUN_DIR", ROOT / ".run"))
SVC_DIR = RUN / "services"
ACTIVITY, SCORING, APPROVAL = "http://127.0.0.1:8001", "http://127.0.0.1:8002", "http://127.0.0.1:8003"
ADMIN = "199901012024011001"
GROUP = "kinerja-scoring"
SUBMITTED, SCORED = "activity.submitted.v1", "activity.scored.v1"
DECIDED, MONTHLY = "approval.decided.v1", "performance.monthly.v1"


# -- the scoring process ----------------------------------------------------------------------

def scoring_pid() -> int | None:
    try:
        pid = int((SVC_DIR / "scoring.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return pid if b"kinerja-scoring" in cmd and state != "Z" else None


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def stop_scoring(pid: int) -> float:
    """SIGTERM, then SIGKILL after 30 s (scripts/down.sh); seconds until the process was gone."""
    started = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    while alive(pid) and time.monotonic() - started < 30:
        await asyncio.sleep(0.1)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
        while alive(pid):
            await asyncio.sleep(0.1)
    return time.monotonic() - started


def start_scoring(db_url: str, bootstrap: str) -> subprocess.Popen:
    """As scripts/up.sh starts it: the venv's kinerja-scoring with its database URL and the broker,
    in the background, output to .run/services/scoring.log (appended here), pid file rewritten."""
    env = {**os.environ, "KINERJA_SCORING_DATABASE_URL": db_url, "KINERJA_KAFKA_BOOTSTRAP": bootstrap}
    log = open(SVC_DIR / "scoring.log", "ab")
    log.write(f"\n--- bench/scoring.py restarted scoring at {datetime.now().astimezone().isoformat()} ---\n".encode())
    log.flush()
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "kinerja-scoring")], env=env, stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    (SVC_DIR / "scoring.pid").write_text(f"{proc.pid}\n")
    return proc


def scoring_db_url(given: str | None) -> str:
    if given:
        return given
    return subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), "url", "kinerja_scoring"],
                          capture_output=True, text=True, check=True).stdout.strip()


# -- Kafka helpers ----------------------------------------------------------------------------

def partitions(topic: str) -> list[TopicPartition]:
    return [TopicPartition(topic, p) for p in range(spec(topic).partitions)]


async def end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await c.start()
    try:
        return await c.end_offsets(partitions(topic))
    finally:
        await c.stop()


async def wait_on_topic(bootstrap: str, topic: str, since: dict[TopicPartition, int], want: int,
                        timeout: float) -> int:
    """Until `want` records lie past `since` on `topic` (or the deadline); returns how many do."""
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await c.start()
    try:
        deadline = time.monotonic() + timeout
        while True:
            ends = await c.end_offsets(list(since))
            n = sum(ends[tp] - since[tp] for tp in since)
            if n >= want or time.monotonic() > deadline:
                return n
            await asyncio.sleep(0.2)
    finally:
        await c.stop()


async def group_lag(admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, topic: str) -> int | None:
    committed = {tp: o for tp, o in (await admin.list_consumer_group_offsets(GROUP)).items() if tp.topic == topic}
    ends = await consumer.end_offsets(partitions(topic))
    if not committed:
        return None
    return sum(max(0, ends[tp] - (committed[tp].offset if tp in committed else 0)) for tp in ends)


async def bare_read(bootstrap: str, start: dict[TopicPartition, int], end: dict[TopicPartition, int],
                    validate: bool, timeout: float) -> dict:
    """A bare consumer (no group, assigned) reading start → end of every partition: records/s."""
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await c.start()
    try:
        tps = list(start)
        c.assign(tps)
        for tp in tps:
            c.seek(tp, start[tp])
        todo = {tp for tp in tps if start[tp] < end[tp]}
        n, started, deadline = 0, time.perf_counter(), time.monotonic() + timeout
        while todo and time.monotonic() < deadline:
            batch = await c.getmany(*todo, timeout_ms=500, max_records=5000)
            for tp, records in batch.items():
                for r in records:
                    if r.offset < end[tp]:
                        n += 1
                        if validate:
                            ActivitySubmittedV1.model_validate_json(r.value)
            for tp in list(todo):
                if await c.position(tp) >= end[tp]:
                    todo.discard(tp)
        seconds = time.perf_counter() - started
        return {"records": n, "seconds": round(seconds, 4), "records_per_s": round(n / seconds) if seconds else None}
    finally:
        await c.stop()


# -- phase 1: a backlog drained ---------------------------------------------------------------

async def submit_all(plan: list[tuple[str, str, str]], today: str, concurrency: int, timeout: float) -> dict:
    """POST each (nip, start, end) activity; ids of the accepted ones, codes, wall time."""
    sem, ids, codes, refusal, lat = asyncio.Semaphore(concurrency), {}, Counter(), None, []
    deadline = time.monotonic() + timeout
    tokens: dict[str, str] = {}
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as http:
        async def one(nip: str, start: str, end: str) -> None:
            nonlocal refusal
            async with sem:
                if time.monotonic() > deadline:
                    codes["skipped (deadline)"] += 1
                    return
                auth = tokens.setdefault(nip, f"Bearer {mint(nip, ['pegawai'])}")
                t0 = time.perf_counter()
                try:
                    r = await http.post(f"{ACTIVITY}/v1/activities", headers={"Authorization": auth},
                                        json={"type_code": "SURAT-MASUK", "date": today, "start_time": start,
                                              "end_time": end, "quantity": 1, "description": "bench scoring"})
                except httpx.HTTPError as exc:
                    codes[type(exc).__name__] += 1
                    return
                lat.append(time.perf_counter() - t0)
                codes[str(r.status_code)] += 1
                if r.status_code == 201:
                    ids[r.json()["id"]] = nip
                elif refusal is None:
                    refusal = f"{r.status_code} {r.text[:300]}"

        started = time.perf_counter()
        await asyncio.gather(*(one(*p) for p in plan))
        seconds = time.perf_counter() - started
    lat.sort()
    return {"ids": ids, "codes": dict(codes), "first_refusal": refusal, "seconds": round(seconds, 2),
            "per_s": round(len(ids) / seconds, 1) if seconds else None,
            "http_p50_ms": round(pct(lat, 50) * 1000, 1), "http_p99_ms": round(pct(lat, 99) * 1000, 1)}


async def tail_scored(bootstrap: str, since: dict[TopicPartition, int], ids: set[str], ready: asyncio.Event,
                      got: dict[str, dict], on_record, deadline: float) -> None:
    """From `since`, note each scored record of `ids` as it arrives (perf_counter, Kafka timestamp)."""
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await c.start()
    try:
        c.assign(list(since))
        for tp, off in since.items():
            c.seek(tp, off)
        ready.set()
        while len(got) < len(ids) and time.monotonic() < deadline:
            batch = await c.getmany(timeout_ms=200, max_records=5000)
            now = time.perf_counter()
            for records in batch.values():
                for r in records:
                    b = json.loads(r.value)
                    if b["activity_id"] in ids and b["activity_id"] not in got:
                        got[b["activity_id"]] = {"at": now, "timestamp": r.timestamp / 1000,
                                                 "scored_at": b["scored_at"]}
                        on_record(now, len(got))
    finally:
        ready.set()
        await c.stop()


async def drain_phase(a, staff: list[str], today: str, db_url: str) -> dict:
    out: dict = {"activities": a.activities}
    old = scoring_pid()
    if old is None:
        return {**out, "error": "no live scoring process in .run/services/scoring.pid (was it started by make up?)"}
    out["scoring_stop_s"] = round(await stop_scoring(old), 2)
    proc = None
    try:
        print(f"drain: scoring (pid {old}) stopped in {out['scoring_stop_s']} s")
        start_offsets = await end_offsets(a.bootstrap, SUBMITTED)
        scored_since = await end_offsets(a.bootstrap, SCORED)
        plan = []
        for i in range(a.activities):
            slot = i // len(staff)  # 0 for one per employee; a later 10-minute slot for a second
            m = 8 * 60 + slot * 10
            plan.append((staff[i % len(staff)], f"{m // 60:02d}:{m % 60:02d}", f"{(m + 5) // 60:02d}:{(m + 5) % 60:02d}"))
        sub = await submit_all(plan, today, a.concurrency, a.phase_timeout)
        ids = sub.pop("ids")
        out["submit"] = {"accepted": len(ids), **sub}
        print(f"drain: {len(ids)}/{a.activities} activities accepted in {sub['seconds']} s ({sub['per_s']}/s, "
              f"HTTP p50 {sub['http_p50_ms']} ms, p99 {sub['http_p99_ms']} ms, codes {sub['codes']})")
        if sub["first_refusal"]:
            print(f"drain: first refusal {sub['first_refusal']}")
        on_topic = await wait_on_topic(a.bootstrap, SUBMITTED, start_offsets, len(ids), a.phase_timeout)
        end = await end_offsets(a.bootstrap, SUBMITTED)
        out["submitted_on_topic"] = on_topic
        out["_ids"] = ids  # activity_id → nip, for phase 2 (not written out)
        if not ids:
            return {**out, "error": "no activity accepted"}

        # Restart scoring, tail its output.
        got: dict[str, dict] = {}
        marks: dict[str, float] = {}
        pid_box: dict[str, int] = {}

        def on_record(now: float, count: int) -> None:  # CPU noted as the first and the K-th arrive
            if count == 1:
                marks["first"], marks["cpu_first"] = now, cpu_seconds(pid_box.get("pid"))
            if count == len(ids):
                marks["last"], marks["cpu_last"] = now, cpu_seconds(pid_box.get("pid"))

        ready = asyncio.Event()
        deadline = time.monotonic() + a.phase_timeout
        tailer = asyncio.create_task(tail_scored(a.bootstrap, scored_since, set(ids), ready, got, on_record, deadline))
        await ready.wait()
        t0 = time.perf_counter()
        proc = start_scoring(db_url, a.bootstrap)
        pid_box["pid"] = proc.pid
        admin = AIOKafkaAdminClient(bootstrap_servers=a.bootstrap)
        lagc = AIOKafkaConsumer(bootstrap_servers=a.bootstrap, enable_auto_commit=False)
        await admin.start()
        await lagc.start()
        ready_s = committed_s = None
        try:
            async with httpx.AsyncClient(timeout=2) as http:
                while time.monotonic() < deadline and (committed_s is None or not tailer.done()):
                    if proc.poll() is not None:
                        out["error"] = f"scoring exited with {proc.returncode} after the restart (see its log)"
                        break
                    if ready_s is None:
                        try:
                            if (await http.get(f"{SCORING}/health/ready")).status_code == 200:
                                ready_s = time.perf_counter() - t0
                        except httpx.HTTPError:
                            pass
                    if committed_s is None and (await group_lag(admin, lagc, SUBMITTED)) == 0:
                        committed_s = time.perf_counter() - t0
                    await asyncio.sleep(0.05)
        finally:
            await lagc.stop()
            await admin.close()
        if not tailer.done():
            tailer.cancel()
        await asyncio.gather(tailer, return_exceptions=True)
        if "last" not in marks:  # not all K arrived before the deadline: up to the last one that did
            marks["last"] = max((g["at"] for g in got.values()), default=float("nan"))
            marks["cpu_last"] = cpu_seconds(proc.pid)
        cpu_last = marks["cpu_last"]
        n = len(got)
        first, last = marks.get("first", float("nan")), marks["last"]
        span = last - first
        stamps = sorted(g["timestamp"] for g in got.values())
        drain_s = last - t0
        out.update({
            "scored": n, "restart_to_ready_s": rounded(ready_s if ready_s is not None else float("nan")),
            "restart_to_first_scored_s": rounded(first - t0), "restart_to_last_scored_s": rounded(drain_s),
            "restart_to_lag_zero_s": rounded(committed_s if committed_s is not None else float("nan")),
            "first_to_last_scored_s": rounded(span, 3),
            "first_to_last_kafka_timestamp_s": round(stamps[-1] - stamps[0], 3) if len(stamps) > 1 else None,
            "sustained_events_per_s": round((n - 1) / span, 1) if n > 1 and span > 0 else None,
            "drain_events_per_s": round(n / drain_s, 1) if n and drain_s > 0 else None,
            "scoring_pid": proc.pid,
            "scoring_cpu_s_restart_to_last": rounded(cpu_last),
            "scoring_cpu_s_first_to_last": rounded(cpu_last - marks.get("cpu_first", float("nan"))),
        })
        if out["scoring_cpu_s_first_to_last"] and n > 1:
            out["scoring_cpu_ms_per_event"] = round(1000 * out["scoring_cpu_s_first_to_last"] / (n - 1), 2)
        print(f"drain: {n}/{len(ids)} activity.scored.v1 after the restart; ready after {out['restart_to_ready_s']} s, "
              f"first scored at {out['restart_to_first_scored_s']} s, K-th at {out['restart_to_last_scored_s']} s, "
              f"group lag 0 at {out['restart_to_lag_zero_s']} s")

        base = await bare_read(a.bootstrap, start_offsets, end, False, a.phase_timeout)
        parsed = await bare_read(a.bootstrap, start_offsets, end, True, a.phase_timeout)
        out["baseline_bare_consumer"] = base
        out["baseline_bare_consumer_validating"] = parsed
        if out["sustained_events_per_s"] and base["records_per_s"]:
            out["ratio_sustained_to_bare"] = round(out["sustained_events_per_s"] / base["records_per_s"], 4)
        if out["drain_events_per_s"] and base["records_per_s"]:
            out["ratio_drain_to_bare"] = round(out["drain_events_per_s"] / base["records_per_s"], 4)
        return out
    finally:
        if proc is None and scoring_pid() is None:  # never leave the platform without scoring
            start_scoring(db_url, a.bootstrap)
            print("drain: scoring restarted after an early stop of the phase")


# -- phase 2: approval → monthly performance ----------------------------------------------------

async def approval_phase(a, chosen: dict[str, str], boss: dict[str, str]) -> dict:
    """`chosen`: activity_id → nip (distinct nips). Each is approved by boss[nip]."""
    by_head: dict[str, set[str]] = defaultdict(set)
    for act, nip in chosen.items():
        by_head[boss[nip]].add(act)
    tokens = {h: f"Bearer {mint(h, ['pegawai'])}" for h in by_head}
    deadline = time.monotonic() + a.phase_timeout
    sem = asyncio.Semaphore(a.concurrency)

    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=a.concurrency)) as http:
        async def in_inbox(head: str) -> int:
            async with sem:
                seen: set[str] = set()
                while not by_head[head] <= seen and time.monotonic() < deadline:
                    r = await http.get(f"{APPROVAL}/v1/inbox", params={"limit": 500},
                                       headers={"Authorization": tokens[head]})
                    if r.status_code == 200:
                        seen = {t["activity_id"] for t in tasks_of(r.json())}
                    if not by_head[head] <= seen:
                        await asyncio.sleep(0.5)
                return len(by_head[head] & seen)

        started = time.perf_counter()
        present = sum(await asyncio.gather(*(in_inbox(h) for h in by_head)))
        inbox_s = time.perf_counter() - started
        print(f"approve: {present}/{len(chosen)} tasks in {len(by_head)} heads' inboxes after {inbox_s:.1f} s")

        since_ms = int(time.time() * 1000) - 1000
        cpu_pid = scoring_pid()
        cpu0 = cpu_seconds(cpu_pid)
        codes, lat, refusal = Counter(), [], None

        async def decide(i: int, act: str) -> None:
            nonlocal refusal
            delay = t0 + i / a.approve_rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            async with sem:
                if time.monotonic() > deadline:
                    codes["skipped (deadline)"] += 1
                    return
                s = time.perf_counter()
                try:
                    r = await http.post(f"{APPROVAL}/v1/approvals/{act}/decision", json={"decision": "approve"},
                                        headers={"Authorization": tokens[boss[chosen[act]]]})
                except httpx.HTTPError as exc:
                    codes[type(exc).__name__] += 1
                    return
                lat.append(time.perf_counter() - s)
                codes[str(r.status_code)] += 1
                if r.status_code != 200 and refusal is None:
                    refusal = f"{r.status_code} {r.text[:300]}"

        t0 = time.perf_counter()
        await asyncio.gather(*(decide(i, act) for i, act in enumerate(chosen)))
        send_s = time.perf_counter() - t0
    lat.sort()
    print(f"approve: {codes.get('200', 0)}/{len(chosen)} approved in {send_s:.1f} s at {a.approve_rate}/s "
          f"(HTTP p50 {pct(lat, 50) * 1000:.1f} ms, p99 {pct(lat, 99) * 1000:.1f} ms, codes {dict(codes)})")
    if refusal:
        print(f"approve: first refusal {refusal}")
    drained = await wait_drained(a.bootstrap, a.phase_timeout)
    cpu = cpu_seconds(cpu_pid) - cpu0

    decided = {}
    for r in await read_topic(a.bootstrap, DECIDED, since_ms, 120):
        b = r["body"]
        if b["activity_id"] in chosen and b["decision"] == "approve" and b["activity_id"] not in decided:
            decided[b["activity_id"]] = b
    monthly: dict[tuple[str, str], list[dict]] = defaultdict(list)
    nips = set(chosen.values())
    for r in await read_topic(a.bootstrap, MONTHLY, since_ms, 120):  # per key, in offset order
        b = r["body"]
        if b["nip"] in nips:
            monthly[(b["nip"], b["period"])].append({**b, "_timestamp": r["timestamp"] / 1000})
    # The n-th approval of a nip in this run makes approved_activities n (fresh NIPs, none before).
    order: dict[str, list[dict]] = defaultdict(list)
    for b in decided.values():
        order[b["nip"]].append(b)
    to_computed, to_kafka, unmatched = [], [], 0
    for nip, bs in order.items():
        bs.sort(key=lambda b: ts(b["decided_at"]))
        for n, b in enumerate(bs, start=1):
            period = b["work_date"][:7]
            hit = next((m for m in monthly[(nip, period)] if m["approved_activities"] >= n), None)
            if hit is None:
                unmatched += 1
                continue
            to_computed.append(ts(hit["computed_at"]) - ts(b["decided_at"]))
            to_kafka.append(hit["_timestamp"] - ts(b["decided_at"]))
    return {"approvals": len(chosen), "heads": len(by_head), "in_inbox": present, "inbox_wait_s": round(inbox_s, 2),
            "rate": a.approve_rate, "send_s": round(send_s, 2), "http_codes": dict(codes), "first_refusal": refusal,
            "http_p50_ms": round(pct(lat, 50) * 1000, 1), "http_p99_ms": round(pct(lat, 99) * 1000, 1),
            "drained_after_s": rounded(drained), "decided_on_kafka": len(decided), "unmatched": unmatched,
            "decided_to_computed": dist(to_computed), "decided_to_monthly_on_kafka": dist(to_kafka),
            "scoring_cpu_s": rounded(cpu)}


# -- the run ----------------------------------------------------------------------------------

async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--employees", type=int, default=2000, help="the city")
    p.add_argument("--activities", type=int, default=2000, help="K: the backlog scoring drains")
    p.add_argument("--approvals", type=int, default=300, help="A: decisions of phase 2 (≤ staff)")
    p.add_argument("--approve-rate", type=float, default=20, help="decisions/s (open loop)")
    p.add_argument("--concurrency", type=int, default=16, help="HTTP requests in flight")
    p.add_argument("--bootstrap", default=f"127.0.0.1:{os.environ.get('KINERJA_KAFKA_PORT', '9092')}")
    p.add_argument("--scoring-db", default=None, help="scoring's DATABASE_URL (default: scripts/postgres.sh url)")
    p.add_argument("--phase-timeout", type=float, default=300, help="seconds, per wait")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "scoring.json"))
    a = p.parse_args()
    if a.activities < 2 or a.approvals < 1 or a.approve_rate <= 0 or a.concurrency < 1:
        sys.exit("--activities ≥ 2, --approvals ≥ 1, --approve-rate > 0, --concurrency ≥ 1")
    if scoring_pid() is None:
        sys.exit(f"no live scoring process in {SVC_DIR}/scoring.pid: start the platform with `make up`")
    db_url = scoring_db_url(a.scoring_db)
    today = datetime.now(ZoneInfo(os.environ.get("KINERJA_TIMEZONE", "Asia/Jakarta"))).date().isoformat()
    run = f"{random.randrange(10**5):05d}"
    result: dict = {"config": {**vars(a), "out": Path(a.out).name, "scoring_db": "(url)", "date": today, "run": run},
                    "machine": {"cpus": os.cpu_count(), "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
                    "started_at": datetime.now().astimezone().isoformat(timespec="seconds")}

    csv_text, units, _, _ = city(a.employees, 0, run)
    async with httpx.AsyncClient(timeout=300) as http:
        started = time.perf_counter()
        r = await http.post(f"{ACTIVITY}/v1/org/import", content=csv_text,
                            headers={"Authorization": f"Bearer {mint(ADMIN, ['admin'])}", "content-type": "text/csv"})
    if r.status_code != 200:
        sys.exit(f"org import refused: {r.status_code} {r.text[:500]}")
    result["org_import"] = {"employees": r.json()["imported"], "units": len(units),
                            "http_s": round(time.perf_counter() - started, 2),
                            "consumed_s": rounded(await wait_drained(a.bootstrap, a.phase_timeout))}
    print(f"org import: {result['org_import']}")
    spare = units[-1][1][-1]
    await preflight(spare, today, 60)
    await wait_drained(a.bootstrap, a.phase_timeout)

    boss = {s: h for h, staff in units for s in staff}
    staff = [us[k] for k in range(20) for _, us in units if us[k] != spare]  # one per unit in turn

    # 1. the backlog.
    drain = await drain_phase(a, staff, today, db_url)
    result["drain"] = drain
    if drain.get("error"):
        print(f"drain: {drain['error']}")
    if drain.get("scored"):
        b, v = drain["baseline_bare_consumer"], drain["baseline_bare_consumer_validating"]
        print(f"scoring consumer, backlog of {drain['scored']} activity.submitted.v1: sustained "
              f"{drain['sustained_events_per_s']} events/s (first → K-th scored record {drain['first_to_last_scored_s']} s); "
              f"restart → K-th {drain['restart_to_last_scored_s']} s = {drain['drain_events_per_s']} events/s with startup; "
              f"scoring CPU {drain['scoring_cpu_s_first_to_last']} s first → K-th "
              f"({drain.get('scoring_cpu_ms_per_event')} ms/event), {drain['scoring_cpu_s_restart_to_last']} s since restart")
        print(f"  baseline bare aiokafka consumer, the same {b['records']} records: {b['records_per_s']:,} rec/s "
              f"({b['seconds']} s); validating into ActivitySubmittedV1: {v['records_per_s']:,} rec/s; "
              f"ratio sustained / bare {drain.get('ratio_sustained_to_bare')}")

    # 2. approval → monthly performance, scoring running.
    await wait_drained(a.bootstrap, a.phase_timeout)
    submitted = drain.pop("_ids", {})
    chosen: dict[str, str] = {}  # activity_id → nip: an employee's first activity, one per unit in turn
    if drain.get("scored"):
        first_of: dict[str, str] = {}
        for act, nip in submitted.items():
            first_of.setdefault(nip, act)
        for nip in staff:
            if nip in first_of and len(chosen) < a.approvals:
                chosen[first_of[nip]] = nip
    if chosen:
        appr = await approval_phase(a, chosen, boss)
        result["approval_to_monthly"] = appr
        d, k = appr["decided_to_computed"], appr["decided_to_monthly_on_kafka"]
        print(f"approval → performance.monthly.v1: n={d['count']} of {appr['decided_on_kafka']} approvals on Kafka "
              f"({appr['unmatched']} unmatched): decided_at → computed_at p50 {d['p50_ms']} ms, p99 {d['p99_ms']} ms, "
              f"max {d['max_ms']} ms; decided_at → on Kafka p50 {k['p50_ms']} ms, p99 {k['p99_ms']} ms; "
              f"scoring CPU {appr['scoring_cpu_s']} s")
    else:
        print("approval → monthly: skipped (no scored activities)")

    result["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=1, default=str) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    asyncio.run(main())
