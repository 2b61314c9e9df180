"""Benchmark: closing a month for a city (default 20,000 employees; issue 11 measures 100,000) on PostgreSQL.

1. Seeds a fresh database (COPY, plus one INSERT … SELECT for the earlier months' attendance): N
   employees over ~60 OPDs (skewed sizes), kelas 1–17, a PNS / CPNS / PPPK / PPPK_PW / NON_ASN mix,
   about a third with a personnel history (`employees.history`, the postings of org.employee.v1),
   among them transfers and promotions mid-month, leavers, joiners and people who left before the
   month; every workday of the month in `attendance_inputs` (lateness, early leaving, missed checks
   and apel, leave, a few days tanpa keterangan) and every workday of the months before it in the
   year (the PP 94/2021 count reads them), sanctions, escalations and the month's performance.
2. Closes the month (cutoff, then the close transaction, as POST /v1/periods/{p}/close does) in a
   SUBPROCESS, so its peak RSS (getrusage ru_maxrss, and VmHWM beside it) is the close's alone, not
   the seeding's. Linux keeps ru_maxrss across fork and execve, so the close processes are started
   before the seeding, while this one is small, and wait for the database's name on their stdin.
3. Baselines in the same run and on the same server, from the rows the close wrote: (a) a bare
   bulk insert of the same computations rows and outbox rows (COPY, one transaction) and, beside
   it, the same rows through the write path the close uses (SQLAlchemy Core insert, CHUNK rows a
   statement); (b) with --bootstrap, a bare produce of the same records (key, payload, headers;
   aiokafka acks=all, idempotent) to a scratch topic. Each is printed as a ratio to the close.
4. Prints the figures and writes bench/results/period_close.json (one entry per city size, the
   other sizes' entries kept). No timed assertions: the target (issue 11: ≤ 30 s, ≤ 250 MiB for
   100,000 employees on the 2-core machine) is printed beside the figures, not enforced.

    uv run python bench/period_close.py --pg postgresql://postgres@127.0.0.1:55432 --employees 20000
    uv run python bench/period_close.py --pg … --employees 100000 --runs 2 --bootstrap 127.0.0.1:9092

Profiling: `--cprofile FILE` writes a cProfile of the close (in the subprocess; it sees the event
loop's thread only, not compute_tpp in the worker thread: py-spy sees both); `--wrap "CMD …"`
prefixes the subprocess (e.g. `--wrap "uvx py-spy record -o close.svg --"`); `--keep-db` keeps the
database (its name is printed) and `--close-only DB` closes it again (the month's outputs are
cleared first).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shlex
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
PERIOD = "2026-10"
FIRST, LAST = date(2026, 10, 1), date(2026, 10, 31)
TODAY = date(2026, 11, 2)  # the month has ended: a plain close, no allow_early
CLOSED_BY = "199901012024011001"
TARGET_S, TARGET_MIB = 30.0, 250.0
CITY = 100_000  # the size issue 11 sets the target for


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib() -> float:
    """getrusage's ru_maxrss. On Linux it is kept across fork and execve: a process started by a
    large parent reports the parent's high-water mark (hence the close processes are started
    before the seeding, while this process is small)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def hwm_mib() -> float:
    """VmHWM: the peak RSS of this address space, i.e. since execve (not inherited)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# --------------------------------------------------------------------------------------------- the city

FIRST_NAMES = ["Agus", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gita", "Hendra", "Indah", "Joko", "Kartika",
               "Lestari", "Made", "Nur", "Oktaviani", "Putu", "Rina", "Siti", "Teguh", "Utami", "Wahyu", "Yanti"]
LAST_NAMES = ["Saputra", "Wijaya", "Hidayat", "Lestari", "Pratama", "Kusuma", "Santoso", "Nugroho", "Rahmawati",
              "Siregar", "Nasution", "Harahap", "Simanjuntak", "Putri", "Setiawan", "Wibowo", "Hasibuan"]
TYPES = (["PNS"] * 68 + ["CPNS"] * 5 + ["PPPK"] * 18 + ["PPPK_PW"] * 3 + ["NON_ASN"] * 6)
KELAS_WEIGHTS = [1, 2, 3, 4, 9, 12, 14, 13, 11, 8, 6, 4, 3, 2, 1, 0.5, 0.2]  # kelas 1..17: mostly 5–10
LEAVE = ["sakit", "izin", "cuti", "dinas_luar"]


def units(rnd: random.Random) -> list[tuple[str, str, float]]:
    """~60 OPDs of skewed sizes (Dinas Pendidikan and Kesehatan dwarf the rest)."""
    out = [("1.01.01", "Dinas Pendidikan", 30.0), ("1.02.01", "Dinas Kesehatan", 14.0), ("1.02.02", "RSUD", 8.0)]
    for i in range(3, 60):
        out.append((f"{1 + i // 12}.{i % 12 + 1:02d}.{i:02d}", f"OPD {i:02d}", rnd.uniform(0.3, 2.5)))
    return out


def posting(valid_from: date, valid_until: date | None, unit: tuple[str, str, float], kelas: int, etype: str,
            active: bool = True, supervisor: str | None = None) -> dict:
    """One posting as the tpp service stores it (PostingV1.model_dump(mode="json"))."""
    kind = "struktural" if kelas >= 12 else ("fungsional" if kelas >= 8 else "pelaksana")
    return {"valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat() if valid_until else None,
            "unit_code": unit[0], "unit_name": unit[1], "position": f"{kind.title()} kelas {kelas}",
            "position_kind": kind, "eselon": ("III.a" if kelas >= 13 else "IV.a") if kind == "struktural" else None,
            "kelas_jabatan": kelas, "supervisor_nip": supervisor, "employee_type": etype, "active": active}


def make_nip(rnd: random.Random, etype: str, seen: set[str]) -> str:
    while True:
        if etype == "NON_ASN":  # a registration number, shorter than an NIP
            nip = f"{rnd.randrange(10**15, 10**16)}"
        else:  # birth date, TMT (year, month), gender, sequence
            born = date(1965, 1, 1) + timedelta(days=rnd.randrange(35 * 365))
            tmt = rnd.randrange(max(born.year + 20, 1990), 2026)
            nip = f"{born:%Y%m%d}{tmt}{rnd.randint(1, 12):02d}{rnd.randint(1, 2)}{rnd.randrange(1000):03d}"
        if nip not in seen:
            seen.add(nip)
            return nip


def city(n: int, seed: int = 42):
    """The employees (rows for COPY) and, per employee, the days of the month they are in post."""
    rnd = random.Random(seed)
    opds = units(rnd)
    weights = [u[2] for u in opds]
    seen: set[str] = set()
    employees, in_post, kinds = [], {}, {}
    for i in range(n):
        etype = rnd.choice(TYPES)
        nip = make_nip(rnd, etype, seen)
        unit = rnd.choices(opds, weights)[0]
        kelas = rnd.choices(range(1, 18), KELAS_WEIGHTS)[0]
        active, history, days = True, None, (FIRST, LAST)
        r = rnd.random()
        start = date(2026 - rnd.randrange(1, 25), rnd.randint(1, 12), 1)
        if r < 0.02:  # transfer to another OPD on the 15th (kelas may change with it)
            other = rnd.choices(opds, weights)[0]
            new_kelas = min(17, max(1, kelas + rnd.choice([0, 0, 1, -1])))
            history = [posting(start, date(2026, 10, 14), unit, kelas, etype),
                       posting(date(2026, 10, 15), None, other, new_kelas, etype)]
            unit, kelas, kind = other, new_kelas, "transfer"
        elif r < 0.025:  # promotion on the 20th
            history = [posting(start, date(2026, 10, 19), unit, kelas, etype),
                       posting(date(2026, 10, 20), None, unit, min(17, kelas + 1), etype)]
            kelas, kind = min(17, kelas + 1), "promotion"
        elif r < 0.03:  # leaves on the 10th (pension, resignation): paid 9 days
            history = [posting(start, date(2026, 10, 9), unit, kelas, etype),
                       posting(date(2026, 10, 10), None, unit, kelas, etype, active=False)]
            active, days, kind = False, (FIRST, date(2026, 10, 9)), "leaver"
        elif r < 0.035:  # joins on the 12th (a new CPNS mostly)
            etype = "CPNS" if etype != "NON_ASN" else etype
            history = [posting(date(2026, 10, 12), None, unit, kelas, etype)]
            days, kind = (date(2026, 10, 12), LAST), "joiner"
        elif r < 0.038:  # left before the month: not in post, not paid
            history = [posting(start, date(2026, 7, 31), unit, kelas, etype),
                       posting(date(2026, 8, 1), None, unit, kelas, etype, active=False)]
            active, days, kind = False, None, "gone"
        elif r < 0.048:  # inactive, no history: not loaded at all
            active, days, kind = False, None, "inactive"
        elif r < 0.35:  # an ordinary employee imported with their postings (1–3, the last open)
            hops = rnd.randint(1, 3)
            froms = sorted({date(2026 - rnd.randrange(1, 25), rnd.randint(1, 12), 1) for _ in range(hops)})
            history = []
            for j, f in enumerate(froms):
                until = froms[j + 1] - timedelta(days=1) if j + 1 < len(froms) else None
                k = kelas if until is None else max(1, kelas - (len(froms) - 1 - j))
                history.append(posting(f, until, unit if until is None else rnd.choices(opds, weights)[0], k, etype))
            kind = "history"
        else:
            kind = "plain"
        name = f"{rnd.choice(FIRST_NAMES)} {rnd.choice(LAST_NAMES)}"
        employees.append((nip, name, unit[0], kelas, etype, active, json.dumps(history) if history else None))
        if days:
            in_post[nip] = days
        kinds[kind] = kinds.get(kind, 0) + 1
    return employees, in_post, kinds


def workdays(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1) if (first + timedelta(days=i)).weekday() < 5]


def attendance_rows(in_post: dict[str, tuple[date, date]], seed: int = 7):
    """Every workday in post of the month, day by day as e-Absen delivers them (so one employee's
    days are spread over the table, as in production): mostly present, ~8% late, some early
    leaving, missed checks and apel, ~3.5% leave, ~0.5% tanpa keterangan (a few employees much more)."""
    rnd = random.Random(seed)
    chronic = {nip for nip in in_post if rnd.random() < 0.004}
    for d in workdays(FIRST, LAST):
        for nip, (a, b) in in_post.items():
            if d < a or d > b:
                continue
            x = rnd.random()
            late = early = 0
            no_in = no_out = apel = False
            if x < (0.15 if nip in chronic else 0.005):
                status = "tanpa_keterangan"
            elif x < 0.04:
                status = LEAVE[int(x * 1000) % 4]
            elif x < 0.12:
                status, late = "terlambat", int(rnd.expovariate(1 / 25)) + 1
            elif x < 0.14:
                status, early = "pulang_cepat", int(rnd.expovariate(1 / 30)) + 1
            else:
                status = "hadir"
            if status in ("hadir", "terlambat", "pulang_cepat"):
                y = rnd.random()
                no_in, no_out, apel = y < 0.003, 0.003 <= y < 0.008, 0.008 <= y < 0.02
            yield (nip, d, status, late, early, no_in, no_out, apel)


PRIOR_MONTHS_SQL = """
INSERT INTO attendance_inputs (nip, work_date, status, late_minutes, early_leave_minutes,
                               missing_check_in, missing_check_out, apel_missed)
SELECT x.nip, g.d::date,
       CASE WHEN h < CASE WHEN chronic THEN 60 ELSE 4 END THEN 'tanpa_keterangan'
            WHEN h < 40 THEN (ARRAY['sakit','izin','cuti','dinas_luar'])[1 + h % 4]
            WHEN h < 120 THEN 'terlambat' WHEN h < 140 THEN 'pulang_cepat' ELSE 'hadir' END,
       CASE WHEN h >= 40 AND h < 120 THEN 1 + h % 90 ELSE 0 END,
       CASE WHEN h >= 120 AND h < 140 THEN 1 + h % 60 ELSE 0 END,
       false, false, h % 97 = 0
FROM generate_series($1::date, $2::date, interval '1 day') AS g(d)
CROSS JOIN LATERAL (  -- day by day (LATERAL: the days drive), every employee of the day
    SELECT e.nip, abs(hashtext(e.nip || g.d::text)) % 1000 AS h, abs(hashtext(e.nip)) % 250 = 0 AS chronic
    FROM employees e WHERE e.active OR e.history IS NOT NULL) AS x
WHERE extract(isodow FROM g.d) < 6
"""


async def seed(conn: asyncpg.Connection, n: int, prior_months: int) -> dict:
    t0 = time.perf_counter()
    employees, in_post, kinds = city(n)
    rnd = random.Random(11)
    perf, sanctions, sla = [], [], []
    for nip in in_post:
        if rnd.random() < 0.02:
            continue  # no approved work this month: scoring sent nothing (the calendar's workdays count)
        minutes = max(0, int(rnd.gauss(6000, 1100)))
        perf.append((nip, PERIOD, minutes, (Decimal(minutes) / 60).quantize(Decimal("0.01")), 22, 6600, rnd.randint(1, 4), None))
        if rnd.random() < 0.006:
            sanctions.append((str(uuid.UUID(int=rnd.getrandbits(128))), nip, Decimal(rnd.choice([20, 30, 40, 50, 60])),
                              date(2026, rnd.randint(5, 10), 1), date(2027, rnd.randint(1, 9), 28),
                              "PP 94/2021 (hukuman disiplin)"))
        if rnd.random() < 0.03:
            sla.append((nip, PERIOD, rnd.randint(1, 6), 1))
    generated = time.perf_counter()
    pkey = await conn.fetchval("SELECT conname FROM pg_constraint WHERE conrelid = 'attendance_inputs'::regclass "
                               "AND contype = 'p'")
    await conn.execute(f'ALTER TABLE attendance_inputs DROP CONSTRAINT "{pkey}"')  # COPY, then one index build
    async with conn.transaction():
        await conn.copy_records_to_table("employees", records=employees, columns=[
            "nip", "name", "unit_code", "kelas_jabatan", "employee_type", "active", "history"])
        await conn.copy_records_to_table("performance_inputs", records=perf, columns=[
            "nip", "period", "approved_minutes", "approved_points", "workdays", "target_minutes", "version",
            "productivity"])
        await conn.copy_records_to_table("sanction_inputs", records=sanctions, columns=[
            "sanction_id", "nip", "cut_percent", "effective_from", "effective_until", "regulation"])
        await conn.copy_records_to_table("sla_inputs", records=sla, columns=["nip", "period", "escalated_count", "version"])
        month_rows = 0

        def counted():
            nonlocal month_rows
            for r in attendance_rows(in_post):
                month_rows += 1
                yield r
        await conn.copy_records_to_table("attendance_inputs", records=counted(), columns=[
            "nip", "work_date", "status", "late_minutes", "early_leave_minutes", "missing_check_in",
            "missing_check_out", "apel_missed"])
        prior_rows = 0
        if prior_months:
            status = await conn.execute(PRIOR_MONTHS_SQL, date(2026, 10 - prior_months, 1), FIRST - timedelta(days=1))
            prior_rows = int(status.split()[-1])
    copied = time.perf_counter()
    await conn.execute(f'ALTER TABLE attendance_inputs ADD CONSTRAINT "{pkey}" PRIMARY KEY (nip, work_date)')
    await conn.execute("VACUUM ANALYZE")  # a live database has statistics and a visibility map
    done = time.perf_counter()
    return {"employees": len(employees), "in_post": len(in_post), "kinds": kinds, "performance_inputs": len(perf),
            "sanctions": len(sanctions), "sla_inputs": len(sla), "attendance_month": month_rows,
            "attendance_prior_months": prior_rows, "prior_months": prior_months,
            "generate_s": round(generated - t0, 2), "copy_s": round(copied - generated, 2),
            "index_analyze_s": round(done - copied, 2), "seed_s": round(done - t0, 2)}


# --------------------------------------------------------------------------------------------- the close

async def close_only(server: str, dbname: str, profile: str | None, cprofile: str | None) -> dict:
    """The subprocess: cutoff, then the close transaction; JSON of its figures on stdout."""
    import sqlalchemy as sa

    from kinerja_contracts.calendar.v1 import WorkCalendar
    from kinerja_kit.db import Database
    from kinerja_kit.outbox import UnitOfWork
    from tpp_service.application import period_close
    from tpp_service.domain.rules import rule_set_for
    from tpp_service.region import load_rule_sets
    from tpp_service.persistence.tables import metadata

    db = Database(f"{server}/{dbname}".replace("postgresql://", "postgresql+asyncpg://"), metadata)
    rules = load_rule_sets(None, profile)
    async with db.engine.begin() as conn:  # a re-run: the month's outputs go, its inputs stay
        await conn.execute(sa.text("TRUNCATE computations, outbox, periods, pending_revisions RESTART IDENTITY"))
    await db.ping()  # the pool's first connection is not the close's cost
    rss_before, peak_before = rss_mib(), peak_rss_mib()
    prof = None
    if cprofile:
        import cProfile
        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    async with UnitOfWork(db, "bench") as uow:
        await period_close.cutoff(uow, PERIOD, today=TODAY)
    t1 = time.perf_counter()
    async with UnitOfWork(db, "bench") as uow:
        row = await period_close.close(uow, PERIOD, rules, WorkCalendar(), CLOSED_BY, today=TODAY)
    t2 = time.perf_counter()
    cpu = time.process_time() - cpu0
    if prof:
        prof.disable()
        prof.dump_stats(cprofile)
    await db.dispose()
    return {"employee_count": row.employee_count, "total_amount": row.total_amount, "chunk": period_close.CHUNK,
            "cutoff_s": round(t1 - t0, 3), "close_tx_s": round(t2 - t1, 3), "wall_s": round(t2 - t0, 3),
            "cpu_s": round(cpu, 2), "employees_per_s": round(row.employee_count / (t2 - t0)),
            "rss_before_mib": round(rss_before, 1), "peak_rss_before_mib": round(peak_before, 1),
            "peak_rss_mib": round(peak_rss_mib(), 1), "vm_hwm_mib": round(hwm_mib(), 1),
            "rss_after_mib": round(rss_mib(), 1),
            "rule_set": rule_set_for(rules, FIRST).label}


def spawn_close(server: str, a: argparse.Namespace) -> subprocess.Popen:
    """A close process, started now (this process still small, see peak_rss_mib); it waits for the
    database's name on its stdin."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--pg", server, "--close-only", "-"]
    if a.profile:
        cmd += ["--profile", a.profile]
    if a.cprofile:
        cmd += ["--cprofile", a.cprofile]
    if a.wrap:
        cmd = shlex.split(a.wrap) + cmd
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)


def run_close(proc: subprocess.Popen, dbname: str) -> dict:
    proc.stdin.write(dbname + "\n")
    proc.stdin.close()
    out = proc.stdout.read()
    if proc.wait() != 0:
        raise SystemExit(f"the close subprocess failed (exit {proc.returncode}); stdout: {out[-2000:]}")
    return json.loads([ln for ln in out.splitlines() if ln.startswith("{")][-1])


def dismiss(procs: list[subprocess.Popen]) -> None:
    """Close processes not used (an error before their turn): an empty name ends them."""
    for proc in procs:
        if proc.returncode is None and proc.stdin and not proc.stdin.closed:
            proc.stdin.close()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


# --------------------------------------------------------------------------------------------- baselines

CONTENT_DIGEST_SQL = r"""
SELECT md5(coalesce((SELECT string_agg(md5(topic || key || regexp_replace(payload,
               '"(computed_at|closed_at|cutoff_at)":"[^"]*"', '', 'g') || CASE WHEN topic = 'tpp.computed.v1'
               THEN (headers::jsonb - 'occurred-at' - 'traceparent' - 'tracestate')::text ELSE '' END), '' ORDER BY id)
             FROM outbox), '')
           || coalesce((SELECT string_agg(md5((row_to_json(c)::jsonb - 'computed_at')::text), '' ORDER BY nip, revision)
                        FROM computations c), ''))
"""
"""What the close wrote, without its instants (the cutoff and close times) and the manifest's random
event id: the same dataset gives the same digest whatever the code, so a change to the close that
alters a record shows here."""


async def written(conn: asyncpg.Connection) -> dict:
    """What the close wrote: counts and sizes, to check it and to size the baselines."""
    c = await conn.fetchrow("SELECT count(*) AS n, avg(pg_column_size(c.*))::int AS row_bytes, "
                            "sum(pg_column_size(c.*))::bigint AS bytes FROM computations c")
    o = await conn.fetchrow("SELECT count(*) FILTER (WHERE topic = 'tpp.computed.v1') AS computed, "
                            "count(*) FILTER (WHERE topic = 'tpp.period.closed.v1') AS manifests, "
                            "avg(octet_length(payload)) FILTER (WHERE topic = 'tpp.computed.v1')::int AS payload_bytes, "
                            "max(octet_length(payload))::int AS max_payload_bytes, "
                            "sum(octet_length(payload) + octet_length(headers::text))::bigint AS bytes FROM outbox")
    last = await conn.fetchval("SELECT topic FROM outbox ORDER BY id DESC LIMIT 1")
    digest = await conn.fetchval(CONTENT_DIGEST_SQL)
    return {"computations": c["n"], "computation_row_bytes": c["row_bytes"], "computations_bytes": c["bytes"],
            "outbox_computed": o["computed"], "outbox_manifests": o["manifests"], "payload_bytes": o["payload_bytes"],
            "max_payload_bytes": o["max_payload_bytes"], "outbox_bytes": o["bytes"], "manifest_last": last == "tpp.period.closed.v1",
            "content_md5": digest,
            "computations_table_mib": round(await conn.fetchval("SELECT pg_total_relation_size('computations')") / 2**20, 1),
            "outbox_table_mib": round(await conn.fetchval("SELECT pg_total_relation_size('outbox')") / 2**20, 1)}


OUTBOX_COLUMNS = ["topic", "key", "payload", "headers"]


async def bare_inserts(conn: asyncpg.Connection, server: str, dbname: str) -> dict:
    """The rows the close wrote, written again into empty look-alike tables (same columns, indexes,
    defaults) in one transaction: by COPY (the floor), then by the close's own write path."""
    comp = await conn.fetch("SELECT * FROM computations ORDER BY nip")
    comp_cols = list(comp[0].keys()) if comp else []
    outbox = await conn.fetch("SELECT topic, key, payload, headers FROM outbox ORDER BY id")

    async def scratch() -> None:
        await conn.execute("DROP TABLE IF EXISTS bench_computations, bench_outbox")
        await conn.execute("CREATE TABLE bench_computations (LIKE computations INCLUDING ALL)")
        await conn.execute("CREATE TABLE bench_outbox (LIKE outbox INCLUDING ALL)")

    await scratch()
    t0 = time.perf_counter()
    async with conn.transaction():
        await conn.copy_records_to_table("bench_computations", records=comp, columns=comp_cols)
        await conn.copy_records_to_table("bench_outbox", records=outbox, columns=OUTBOX_COLUMNS)
    copy_s = time.perf_counter() - t0

    # The close's write path: SQLAlchemy Core insert of plain dicts (JSON columns as Python objects),
    # CHUNK rows a statement, through the same engine settings.
    import sqlalchemy as sa

    from kinerja_kit.db import Database
    from tpp_service.application.period_close import CHUNK
    from tpp_service.persistence.tables import metadata

    await scratch()
    md = sa.MetaData()
    bc = metadata.tables["computations"].to_metadata(md, name="bench_computations")
    bo = metadata.tables["outbox"].to_metadata(md, name="bench_outbox")
    json_cols = [c.name for c in bc.columns if isinstance(c.type, sa.JSON)]

    def comp_dicts(rows):
        return [{**dict(r), **{k: json.loads(r[k]) for k in json_cols}} for r in rows]

    def out_dicts(rows):
        return [{"topic": r["topic"], "key": r["key"], "payload": r["payload"], "headers": json.loads(r["headers"])}
                for r in rows]

    db = Database(f"{server}/{dbname}".replace("postgresql://", "postgresql+asyncpg://"), metadata)  # its engine
    await db.ping()
    core_s = 0.0  # the statements only: each chunk's dicts are built outside the clock
    async with db.engine.connect() as sa_conn:
        t0 = time.perf_counter()
        await sa_conn.begin()
        core_s += time.perf_counter() - t0
        for i in range(0, max(len(comp), len(outbox)), CHUNK):
            c, o = comp_dicts(comp[i:i + CHUNK]), out_dicts(outbox[i:i + CHUNK])
            t0 = time.perf_counter()
            if c:
                await sa_conn.execute(sa.insert(bc), c)
            if o:
                await sa_conn.execute(sa.insert(bo), o)
            core_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        await sa_conn.commit()
        core_s += time.perf_counter() - t0
    await db.dispose()
    await conn.execute("DROP TABLE IF EXISTS bench_computations, bench_outbox")
    return {"computations_rows": len(comp), "outbox_rows": len(outbox),
            "copy_s": round(copy_s, 3), "core_insert_s": round(core_s, 3)}


async def bare_produce(conn: asyncpg.Connection, bootstrap: str) -> dict:
    """The outbox's records (key, payload, headers) to a scratch topic of tpp.computed.v1's
    partitions, aiokafka acks=all, idempotent, until every one is acknowledged."""
    from aiokafka import AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from kinerja_contracts.topics import TPP_COMPUTED, spec

    rows = await conn.fetch("SELECT key, payload, headers FROM outbox ORDER BY id")
    records = [(r["key"].encode(), r["payload"].encode(), [(k, str(v).encode()) for k, v in json.loads(r["headers"]).items()])
               for r in rows]
    topic = f"bench-tpp-close-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, spec(TPP_COMPUTED).partitions, 1)])
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            # Not timed: metadata, connections, and a leader for every partition of the new topic.
            await asyncio.gather(*[await producer.send(topic, b"warm-up", key=b"w", partition=p)
                                   for p in range(spec(TPP_COMPUTED).partitions)])
            t0 = time.perf_counter()
            futures = [await producer.send(topic, value, key=key, headers=headers) for key, value, headers in records]
            await asyncio.gather(*futures)
            seconds = time.perf_counter() - t0
        finally:
            await producer.stop()
        return {"records": len(records), "seconds": round(seconds, 3), "records_per_s": round(len(records) / seconds),
                "bytes": sum(len(v) for _, v, _ in records)}
    finally:
        try:
            await admin.delete_topics([topic])
        finally:
            await admin.close()


# --------------------------------------------------------------------------------------------- main

async def create_db(server: str) -> str:
    import tpp_service
    from kinerja_kit.db import Database
    from tpp_service.persistence.tables import metadata

    name = f"bench_tpp_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(server + "/postgres")
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    db = Database(f"{server}/{name}".replace("postgresql://", "postgresql+asyncpg://"), metadata)
    await db.migrate(str(Path(tpp_service.__file__).parent / "migrations"))
    await db.dispose()
    return name


async def drop_db(server: str, name: str) -> None:
    conn = await asyncpg.connect(server + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def ratio(a: float, b: float | None) -> float | None:
    return round(a / b, 2) if b else None


def code_state() -> dict:
    """Which code was measured: HEAD, and a digest of the close's files (they change between commits)."""
    import hashlib
    files = ["services/tpp/src/tpp_service/application/period_close.py",
             "services/tpp/src/tpp_service/persistence/repository.py",
             "services/tpp/src/tpp_service/persistence/bulk.py", "services/tpp/src/tpp_service/persistence/tables.py",
             "services/tpp/src/tpp_service/domain/compute.py", "libs/kit/src/kinerja_kit/outbox.py"]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", *files], cwd=ROOT, capture_output=True,
                               text=True).stdout.split()[1::2]
    except OSError:
        head, dirty = None, []
    digest = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in files if (ROOT / f).exists())).hexdigest()[:12]
    return {"head": head, "modified": dirty, "digest": digest}


def write_result(path: Path, n: int, result: dict) -> None:
    """One entry per city size; the other sizes' entries are kept."""
    try:
        data = json.loads(path.read_text())
        if not isinstance(data.get("by_employees"), dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data.setdefault("by_employees", {})[str(n)] = result
    data["target"] = {"employees": CITY, "wall_s": TARGET_S, "peak_rss_mib": TARGET_MIB}
    data["updated_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(data.items())), indent=1, default=str) + "\n")


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pg", required=True, help="server URL, e.g. postgresql://postgres@127.0.0.1:55432")
    p.add_argument("--employees", type=int, default=20_000)
    p.add_argument("--runs", type=int, default=1, help="closes of the same seeded month (each with its baselines)")
    p.add_argument("--bootstrap", help="Kafka bootstrap servers for the bare-produce baseline (skipped without)")
    p.add_argument("--prior-months", type=int, default=9, choices=range(0, 10),
                   help="months of attendance before the closed one (Jan–Sep: 9, read by the PP 94/2021 count)")
    p.add_argument("--profile", help="rule-set profile (default: the packaged rules.json)")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "period_close.json"))
    p.add_argument("--cprofile", help=argparse.SUPPRESS)
    p.add_argument("--wrap", help=argparse.SUPPRESS)
    p.add_argument("--keep-db", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--close-only", metavar="DBNAME", help=argparse.SUPPRESS)
    a = p.parse_args()
    server = a.pg.rstrip("/")
    if a.close_only:
        dbname = sys.stdin.readline().strip() if a.close_only == "-" else a.close_only
        if dbname:  # an empty line: the parent gave up before this close's turn
            print(json.dumps(await close_only(server, dbname, a.profile, a.cprofile)), flush=True)
        return

    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    load0 = os.getloadavg()
    code = code_state()
    procs = [spawn_close(server, a) for _ in range(a.runs)]
    parent_at_spawn = peak_rss_mib()
    name = await create_db(server)
    print(f"database {name}; seeding {a.employees:,} employees", flush=True)
    conn = await asyncpg.connect(f"{server}/{name}")
    runs: list[dict] = []
    failure: str | None = None
    try:
        seeded = await seed(conn, a.employees, a.prior_months)
        print(f"seeded in {seeded['seed_s']} s: {seeded['in_post']:,} in post, attendance "
              f"{seeded['attendance_month']:,} rows this month + {seeded['attendance_prior_months']:,} before it "
              f"(parent peak RSS {peak_rss_mib():.0f} MiB)", flush=True)
        for i in range(a.runs):
            try:
                run = await one_run(procs[i], conn, server, name, a)
            except (Exception, SystemExit) as e:  # e.g. the server restarted: keep the runs done
                failure = f"run {i + 1}: {type(e).__name__}: {e}"[:1000]
                print(f"FAILED {failure}", file=sys.stderr)
                break
            runs.append(run)
            report(i + 1, a.employees, run)
    finally:
        dismiss(procs)
        try:
            await conn.close()
            if a.keep_db:
                print(f"kept database {name}")
            else:
                await drop_db(server, name)
        except Exception as e:  # the server went away: say so, keep the figures
            print(f"could not drop database {name}: {e!r}", file=sys.stderr)
    if not runs:
        raise SystemExit(f"no run completed ({failure})")
    result = {"config": {"employees": a.employees, "runs": a.runs, "period": PERIOD, "prior_months": a.prior_months,
                         "profile": a.profile or "rules.json", "bootstrap": a.bootstrap,
                         "produce": "measured" if a.bootstrap else "skipped: no --bootstrap"},
              "machine": {"cpus": os.cpu_count(), "loadavg_at_start": load0, "loadavg_at_end": os.getloadavg()},
              "parent_peak_rss_mib": {"when_the_close_processes_started": round(parent_at_spawn, 1),
                                      "at_end": round(peak_rss_mib(), 1)},
              "started_at": started_at, "code": {**code, "changed_during_run": code_state()["digest"] != code["digest"]},
              "seed": seeded, "runs": runs, "failed": failure, "summary": summary(runs)}
    write_result(Path(a.out), a.employees, result)
    print(f"written {a.out}")
    if failure:
        raise SystemExit(f"stopped early: {failure}")


async def one_run(proc: subprocess.Popen, conn: asyncpg.Connection, server: str, name: str,
                  a: argparse.Namespace) -> dict:
    """One close (in its process), its check, and its baselines."""
    close = run_close(proc, name)
    out = await written(conn)
    if out["computations"] != close["employee_count"] or out["outbox_computed"] != close["employee_count"] \
            or out["outbox_manifests"] != 1 or not out["manifest_last"]:
        raise SystemExit(f"the close wrote something else than expected: {close} {out}")
    inserts = await bare_inserts(conn, server, name)
    produce = None
    if a.bootstrap:
        try:
            produce = await asyncio.wait_for(bare_produce(conn, a.bootstrap), timeout=600)
        except Exception as e:  # the close's figures still count: say why there is no produce figure
            produce = {"error": f"{type(e).__name__}: {e}"[:500]}
    return {"close": close, "written": out, "bare_insert": inserts, "bare_produce": produce,
            "loadavg": os.getloadavg(),
            "ratios": {"close_over_copy": ratio(close["wall_s"], inserts["copy_s"]),
                       "close_over_core_insert": ratio(close["wall_s"], inserts["core_insert_s"]),
                       "close_over_produce": ratio(close["wall_s"], produce and produce.get("seconds"))}}


def summary(runs: list[dict]) -> dict:
    """Each figure over the runs, in run order (a shared 2-core machine: read the spread, not one)."""
    def each(f):
        return [f(r) for r in runs]
    return {"wall_s": each(lambda r: r["close"]["wall_s"]),
            "employees_per_s": each(lambda r: r["close"]["employees_per_s"]),
            "peak_rss_mib": each(lambda r: r["close"]["peak_rss_mib"]),
            "vm_hwm_mib": each(lambda r: r["close"]["vm_hwm_mib"]),
            "bare_copy_s": each(lambda r: r["bare_insert"]["copy_s"]),
            "bare_core_insert_s": each(lambda r: r["bare_insert"]["core_insert_s"]),
            "bare_produce_s": each(lambda r: r["bare_produce"] and r["bare_produce"].get("seconds")),
            "close_over_copy": each(lambda r: r["ratios"]["close_over_copy"]),
            "close_over_core_insert": each(lambda r: r["ratios"]["close_over_core_insert"]),
            "close_over_produce": each(lambda r: r["ratios"]["close_over_produce"])}


def report(i: int, n: int, run: dict) -> None:
    c, w, b, pr, r = run["close"], run["written"], run["bare_insert"], run["bare_produce"], run["ratios"]
    print(f"run {i}: closed {c['employee_count']:,} of {n:,} employees, total Rp{c['total_amount']:,} "
          f"(chunk {c['chunk']}, rule set {c['rule_set']})")
    print(f"  close:  {c['wall_s']:.2f} s wall (cutoff {c['cutoff_s']:.2f} + close {c['close_tx_s']:.2f}), "
          f"cpu {c['cpu_s']:.1f} s, {c['employees_per_s']:,} employees/s, peak RSS {c['peak_rss_mib']:.0f} MiB "
          f"(VmHWM {c['vm_hwm_mib']:.0f}; before the close {c['rss_before_mib']:.0f} MiB)")
    print(f"  wrote:  {w['computations']:,} computations (~{w['computation_row_bytes']} B/row, {w['computations_table_mib']} MiB), "
          f"{w['outbox_computed'] + w['outbox_manifests']:,} outbox rows (payload ~{w['payload_bytes']} B, "
          f"{w['outbox_table_mib']} MiB); content digest {w['content_md5']}")
    print(f"  bare bulk insert (COPY, one tx):        {b['copy_s']:.2f} s   close/COPY = {r['close_over_copy']}x")
    print(f"  same rows via SQLAlchemy Core inserts:  {b['core_insert_s']:.2f} s   close/core = {r['close_over_core_insert']}x")
    if pr and "error" in pr:
        print(f"  bare produce: failed ({pr['error']})")
    elif pr:
        print(f"  bare produce (aiokafka acks=all, idempotent): {pr['seconds']:.2f} s ({pr['records_per_s']:,} records/s)"
              f"   close/produce = {r['close_over_produce']}x")
    else:
        print("  bare produce: skipped (no --bootstrap)")
    if n == CITY:
        ok = c["wall_s"] <= TARGET_S and c["peak_rss_mib"] <= TARGET_MIB
        print(f"  issue 11 target ≤ {TARGET_S:.0f} s and ≤ {TARGET_MIB:.0f} MiB: {'met' if ok else 'NOT met'} (not asserted)")


if __name__ == "__main__":
    asyncio.run(main())
