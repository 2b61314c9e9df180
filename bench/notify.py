"""Notifications on the running platform (`make up`), each beside a baseline measured in the same run.

1. inbox: N `approval.decided.v1` records (one recipient each) produced straight to Kafka; the
   time until notify has stored all N notifications → notifications/s; baseline: a bare aiokafka
   consumer reading the same N records.
2. webhooks: a webhook (admin) for `approval.decided.v1` pointing at a local receiver; deliveries/s
   of those N events as the receiver counts them; baseline: the same receiver posted N times by an
   httpx client with the dispatcher's per-receiver concurrency.
3. stream: K employees hold `GET /v1/notifications/stream` open; one decision each is produced;
   the delay from producing the decision event to its arrival on the stream (p50/p99).

Loopback only; every phase bounded in count and time.

    make up && uv run python bench/notify.py --events 5000 --streams 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
import uuid
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rush import pct  # noqa: E402

from kinerja_contracts.approval.v1 import ApprovalDecidedV1, Decision  # noqa: E402
from kinerja_contracts.envelope import make_headers  # noqa: E402
from kinerja_kit.tokens import mint  # noqa: E402

NOTIFY = "http://127.0.0.1:8005"
TOPIC = "approval.decided.v1"
ADMIN = "199901012024011001"


def decided(run: str, i: int, nip: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    e = ApprovalDecidedV1(task_id=uuid.uuid4(), activity_id=uuid.uuid4(), nip=nip, approver_nip="197001012000011001",
                          decision=Decision.reject, reason=f"bench {run} #{i}", type_code="SURAT-MASUK",
                          work_date=date.today(), minutes=10, points=0, decided_at=datetime.now(timezone.utc))
    headers = make_headers(event_type="approval.decided", schema_version=1, producer="bench")
    return nip.encode(), e.model_dump_json().encode(), [(k, v.encode()) for k, v in headers.items()]


async def produce(bootstrap: str, records) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [await producer.send(TOPIC, value=v, key=k, headers=h) for k, v, h in records]
        await asyncio.gather(*futures)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def bare_consume(bootstrap: str, markers: set[bytes], timeout: float) -> float:
    """Seconds for a bare consumer (from the run's first offset) to read every marked record."""
    consumer = AIOKafkaConsumer(TOPIC, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        started, seen = time.perf_counter(), 0
        while seen < len(markers) and time.perf_counter() - started < timeout:
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                seen += sum(1 for r in records if r.key in markers)
        return time.perf_counter() - started
    finally:
        await consumer.stop()


async def stored(pg: str, run: str) -> int:
    conn = await asyncpg.connect(pg)
    try:
        return await conn.fetchval("SELECT count(*) FROM notifications WHERE body LIKE $1", f"%bench {run} #%")
    finally:
        await conn.close()


class Receiver:
    """A local webhook receiver counting the bench's deliveries (ThreadingHTTPServer on 127.0.0.1)."""

    def __init__(self, run: str) -> None:
        self.times: list[float] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if f"bench {run} #".encode() in body or b"direct" in body:
                    receiver.times.append(time.perf_counter())
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


async def direct_posts(url: str, n: int, concurrency: int) -> float:
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=10) as http:
        async def one(i):
            async with sem:
                await http.post(url, content=json.dumps({"direct": i}))
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return time.perf_counter() - started


async def stream_delays(bootstrap: str, run: str, nips: list[str], timeout: float) -> list[float]:
    """Open one stream per nip, produce one decision each, return decided_at → arrival delays."""
    delays: list[float] = []
    sent_at: dict[str, float] = {}
    ready = asyncio.Event()
    opened = 0

    async def listen(nip: str) -> None:
        nonlocal opened
        headers = {"Authorization": f"Bearer {mint(nip, ['pegawai'])}", "Accept": "text/event-stream"}
        async with httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=5)) as http:
            async with http.stream("GET", NOTIFY + "/v1/notifications/stream", headers=headers) as r:
                opened += 1
                if opened == len(nips):
                    ready.set()
                async for line in r.aiter_lines():
                    if line.startswith("data:") and f"bench {run} #" in line and nip in sent_at:
                        delays.append(time.perf_counter() - sent_at[nip])
                        return

    tasks = [asyncio.create_task(listen(n)) for n in nips]
    await asyncio.wait_for(ready.wait(), 30)
    await asyncio.sleep(0.5)
    records = [decided(run, i, nip) for i, nip in enumerate(nips)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for nip, (k, v, h) in zip(nips, records):
            sent_at[nip] = time.perf_counter()  # the decision event leaves for Kafka
            await (await producer.send(TOPIC, value=v, key=k, headers=h))
            await asyncio.sleep(0.05)
    finally:
        await producer.stop()
    await asyncio.wait(tasks, timeout=timeout)
    for t in tasks:
        t.cancel()
    return sorted(delays)


def figures(xs: list[float]) -> dict:
    return {"n": len(xs), "p50_ms": round(pct(xs, 50) * 1000, 1), "p99_ms": round(pct(xs, 99) * 1000, 1),
            "max_ms": round((xs[-1] if xs else 0) * 1000, 1)}


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--bootstrap", default="127.0.0.1:9092")
    p.add_argument("--pg", required=True, help="the notify database URL (postgresql://…/kinerja_notify)")
    p.add_argument("--events", type=int, default=5000)
    p.add_argument("--streams", type=int, default=20)
    p.add_argument("--concurrency", type=int, default=4, help="the dispatcher's per-receiver concurrency")
    p.add_argument("--timeout", type=float, default=180)
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "notify.json"))
    a = p.parse_args()
    run = uuid.uuid4().hex[:8]
    out: dict = {"run": run, "events": a.events}
    receiver = Receiver(run)
    admin = {"Authorization": f"Bearer {mint(ADMIN, ['admin'])}"}
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(NOTIFY + "/v1/webhooks", json={"url": receiver.url, "event_types": [TOPIC]}, headers=admin)
        webhook = r.json().get("id") if r.status_code == 201 else None
    print(f"webhook registered: {webhook} (HTTP {r.status_code})")

    nips = [f"19900101{int(run[:6], 16) % 10**4:04d}{i:06d}" for i in range(a.events)]
    records = [decided(run, i, nip) for i, nip in enumerate(nips)]
    produce_s = await produce(a.bootstrap, records)
    started = time.perf_counter()
    while (n := await stored(a.pg, run)) < a.events and time.perf_counter() - started < a.timeout:
        await asyncio.sleep(0.25)
    inbox_s = time.perf_counter() - started + produce_s
    bare_s = await bare_consume(a.bootstrap, {k for k, _, _ in records}, a.timeout)
    out["inbox"] = {"stored": n, "seconds": round(inbox_s, 2), "per_s": round(n / inbox_s, 1),
                    "baseline_bare_consume_per_s": round(a.events / bare_s, 1)}
    print(f"inbox: {n} notifications in {inbox_s:.2f} s = {n / inbox_s:,.0f}/s; "
          f"bare consume {a.events / bare_s:,.0f} rec/s; ratio {(n / inbox_s) / (a.events / bare_s):.3f}")

    if webhook:
        deadline = time.perf_counter() + a.timeout
        while len(receiver.times) < a.events and time.perf_counter() < deadline:
            await asyncio.sleep(0.25)
        got = sorted(receiver.times)
        span = (got[-1] - got[0]) if len(got) > 1 else float("nan")
        receiver.times.clear()
        direct_s = await direct_posts(receiver.url, a.events, a.concurrency)
        out["webhooks"] = {"delivered": len(got), "per_s": round(len(got) / span, 1) if got else 0,
                           "baseline_direct_per_s": round(a.events / direct_s, 1)}
        print(f"webhooks: {len(got)} delivered, {out['webhooks']['per_s']:,}/s; the same receiver posted directly "
              f"(concurrency {a.concurrency}): {a.events / direct_s:,.0f}/s")
        async with httpx.AsyncClient(timeout=10) as http:
            await http.delete(NOTIFY + f"/v1/webhooks/{webhook}", headers=admin)
    receiver.close()

    stream_nips = [f"19900202{int(run[:6], 16) % 10**4:04d}{i:06d}" for i in range(a.streams)]
    delays = await stream_delays(a.bootstrap, run, stream_nips, 60)
    out["stream"] = figures(delays)
    print(f"decision → stream event: {out['stream']}")
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    asyncio.run(main())
