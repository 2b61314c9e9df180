"""Benchmark: activities through intake, scoring and approval on the running platform (`make up`).

Imports an organisation of N employees under one superior, posts one activity per employee
(concurrently), and measures (a) intake: HTTP 201s per second, (b) end to end: until every
activity is a task in the superior's inbox. Baseline in the same run: producing and consuming the
same number of records of the same size straight through Kafka (no service code), so the ratio
shows what our hops cost on top of the broker.

    make up && uv run python bench/flow.py --employees 500
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from kinerja_kit.tokens import mint

HEADER = "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"


def auth(nip: str, *roles: str) -> dict:
    return {"Authorization": f"Bearer {mint(nip, list(roles) or ['pegawai'])}"}


async def kafka_baseline(bootstrap: str, n: int, size: int) -> float:
    topic = f"bench-baseline-{uuid.uuid4().hex[:6]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 6, 1)])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                group_id=f"bench-{uuid.uuid4().hex[:6]}")
    await producer.start()
    await consumer.start()
    try:
        started = time.perf_counter()
        await asyncio.gather(*[await producer.send(topic, b"x" * size, key=str(i).encode()) for i in range(n)])
        got = 0
        while got < n:
            batch = await consumer.getmany(timeout_ms=1000)
            got += sum(len(r) for r in batch.values())
        return time.perf_counter() - started
    finally:
        await producer.stop()
        await consumer.stop()
        await admin.delete_topics([topic])
        await admin.close()


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--employees", type=int, default=500)
    p.add_argument("--concurrency", type=int, default=20)
    p.add_argument("--bootstrap", default="127.0.0.1:9092")
    a = p.parse_args()
    run = f"{random.randrange(10**6):06d}"
    boss = f"1970010120{run}01"
    staff = [f"1990{i:06d}{run}02"[:18] for i in range(a.employees)]
    rows = [f"{boss},Atasan,BENCH,Unit Bench,Kepala,struktural,III.a,11,,PNS"]
    rows += [f"{nip},Staf {i},BENCH,Unit Bench,Staf,pelaksana,,5,{boss},PNS" for i, nip in enumerate(staff)]
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    async with httpx.AsyncClient(timeout=60) as http:
        r = await http.post("http://127.0.0.1:8001/v1/org/import", content=HEADER + "\n".join(rows) + "\n",
                            headers={**auth("199901012024011001", "admin"), "content-type": "text/csv"})
        r.raise_for_status()
        await asyncio.sleep(3)  # let scoring and approval learn the new employees
        sem = asyncio.Semaphore(a.concurrency)

        async def post(nip: str) -> str:
            async with sem:
                body = {"type_code": "SURAT-MASUK", "date": today, "start_time": "20:00", "end_time": "20:10",
                        "quantity": 1, "description": "bench"}
                r = await http.post("http://127.0.0.1:8001/v1/activities", json=body, headers=auth(nip))
                r.raise_for_status()
                return r.json()["id"]

        started = time.perf_counter()
        ids = set(await asyncio.gather(*(post(nip) for nip in staff)))
        intake_s = time.perf_counter() - started
        seen: set[str] = set()
        deadline = time.monotonic() + 600
        while seen < ids and time.monotonic() < deadline:
            inbox = (await http.get("http://127.0.0.1:8003/v1/inbox", params={"limit": 500, "offset": 0},
                                    headers=auth(boss))).json()
            offset = 500
            while len(inbox) == offset:
                inbox += (await http.get("http://127.0.0.1:8003/v1/inbox", params={"limit": 500, "offset": offset},
                                         headers=auth(boss))).json()
                offset += 500
            seen = {t["activity_id"] for t in inbox} & ids
            await asyncio.sleep(0.2)
        e2e_s = time.perf_counter() - started
    base_s = await kafka_baseline(a.bootstrap, len(ids), 600)
    print(f"activities={len(ids)} reached inbox={len(seen)}")
    print(f"intake: {intake_s:.2f} s ({len(ids) / intake_s:.0f} activities/s, concurrency {a.concurrency})")
    print(f"end to end (post -> superior's inbox): {e2e_s:.2f} s ({len(ids) / e2e_s:.0f} activities/s)")
    print(f"baseline (same records straight through Kafka): {base_s:.2f} s")
    print(f"ratio end-to-end/baseline: {e2e_s / base_s:.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
