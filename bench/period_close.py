"""Benchmark: closing a month for a city (default 20,000 employees) on PostgreSQL.

Prints the close time and, as the baseline measured in the same run, the time to write the same
number of outbox rows alone; the ratio says what the computation and bookkeeping cost on top of
the unavoidable writes. Run with `make bench` (starts PostgreSQL if needed).

    uv run python bench/period_close.py --pg postgresql://postgres@127.0.0.1:55432 --employees 20000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import time
import uuid
from datetime import date
from pathlib import Path

import asyncpg
import sqlalchemy as sa

import tpp_service
from kinerja_contracts.calendar.v1 import WorkCalendar
from kinerja_kit.db import Database
from kinerja_kit.outbox import UnitOfWork
from tpp_service.application.period_close import close
from tpp_service.region import load_rule_sets
from tpp_service.persistence.tables import AttendanceInput, Employee, PerformanceInput, metadata

PERIOD = "2026-10"


async def fresh_db(server: str) -> tuple[Database, str]:
    name = f"bench_tpp_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(server + "/postgres")
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    db = Database(f"{server}/{name}".replace("postgresql://", "postgresql+asyncpg://"), metadata)
    await db.migrate(str(Path(tpp_service.__file__).parent / "migrations"))
    return db, name


async def seed(db: Database, n: int) -> None:
    rnd = random.Random(42)
    employees, perf, attendance = [], [], []
    for i in range(n):
        nip = f"19{i:016d}"
        employees.append(dict(nip=nip, name=f"Pegawai {i}", unit_code=f"OPD{i % 60:02d}",
                              kelas_jabatan=rnd.randint(1, 17), employee_type=rnd.choice(["PNS", "PNS", "CPNS", "PPPK"]),
                              active=True))
        perf.append(dict(nip=nip, period=PERIOD, approved_minutes=rnd.randint(3000, 7500), approved_points=0,
                         workdays=22, target_minutes=6600, version=1))
        for d in rnd.sample(range(1, 31), 3):
            attendance.append(dict(nip=nip, work_date=date(2026, 10, d), status="terlambat",
                                   late_minutes=rnd.randint(1, 120), early_leave_minutes=0,
                                   missing_check_in=False, missing_check_out=False, apel_missed=False))
    async with db.sessions() as s, s.begin():
        await s.execute(sa.insert(Employee.__table__), employees)
        await s.execute(sa.insert(PerformanceInput.__table__), perf)
        await s.execute(sa.insert(AttendanceInput.__table__), attendance)


async def baseline(db: Database, n: int, payload: str) -> float:
    """The same number of outbox rows of the same size, written in one transaction."""
    rows = [{"topic": "bench", "key": f"{i}", "payload": payload, "headers": {"event-id": str(uuid.uuid4())}}
            for i in range(n)]
    started = time.perf_counter()
    async with db.sessions() as s, s.begin():
        await s.execute(sa.insert(db.outbox), rows)
    elapsed = time.perf_counter() - started
    async with db.sessions() as s, s.begin():
        await s.execute(sa.delete(db.outbox).where(db.outbox.c.topic == "bench"))
    return elapsed


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--pg", required=True, help="server URL, e.g. postgresql://postgres@127.0.0.1:55432")
    p.add_argument("--employees", type=int, default=20_000)
    a = p.parse_args()
    db, name = await fresh_db(a.pg.rstrip("/"))
    try:
        await seed(db, a.employees)
        rules = load_rule_sets(None)
        started = time.perf_counter()
        async with UnitOfWork(db, "bench") as uow:
            row = await close(uow, PERIOD, rules, WorkCalendar(), "199901012024011001", today=date.today(), allow_early=True)
        close_s = time.perf_counter() - started
        async with db.sessions() as s:
            payload = await s.scalar(sa.select(db.outbox.c.payload).where(db.outbox.c.topic == "tpp.computed.v1").limit(1))
        base_s = await baseline(db, a.employees, payload)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"employees={row.employee_count} total=Rp{row.total_amount:,}")
        print(f"close: {close_s:.2f} s ({row.employee_count / close_s:,.0f} employees/s)")
        print(f"baseline (outbox rows alone): {base_s:.2f} s")
        print(f"ratio close/baseline: {close_s / base_s:.1f}x")
        print(f"peak RSS: {rss_mb:.0f} MiB")
    finally:
        await db.dispose()
        conn = await asyncpg.connect(a.pg.rstrip("/") + "/postgres")
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
