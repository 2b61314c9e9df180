"""Evidence uploads and e-Absen attendance into the activity service (`make up`), each beside a
baseline measured in the same run. A benchmark, not a test: it prints figures and never fails on
them.

A city of N employees (units of 20 staff under a head, heads under a Sekda) is imported through
`POST /v1/org/import`, and the run waits until every consumer group has caught up. Then:

1. Evidence upload: C concurrent clients (httpx, one connection each) send U multipart
   `POST /v1/activities` (LAPORAN today 08:00-10:00, one activity per employee, a distinct NIP
   per upload so neither the overlap rule nor the per-user write limit interferes), each with one
   `evidence` part of F MiB: `%PDF-1.4\\n`, a line naming the upload, then random bytes, so every
   file is distinct (content addressing does not dedupe) and the type sniff passes. The file parts
   are streamed: each is a small file-like object that serves 64 KiB reads from one shared 32 MiB
   pool of random bytes at an offset of its own, so the client holds the pool and nothing per
   upload. Baseline: the same clients send the same requests, byte for byte, to a bare ASGI
   endpoint (uvicorn, uvloop, httptools, one process, like the services) that streams the body to
   a temporary file while hashing it with SHA-256 and renames it to its hash, the store's own
   steps without multipart parsing, authentication or the database. Throughput is of the file
   bytes; RSS is the server's (VmRSS of the pid and its children, sampled every 0.1 s).
2. Attendance: one record per employee for today (a morning: mostly hadir, some terlambat, a few
   absent with a reason) in batches of up to 5,000 to `POST /v1/attendance` with the machine role
   `absensi` and an Idempotency-Key per batch, sent one batch after another like one e-Absen
   system. Baselines: (a) the same rows in the same batches into a scratch table of the same
   columns and primary key with asyncpg `copy_records_to_table` on the same PostgreSQL (one
   transaction per batch, table dropped after); (b) in-process, the JSON parse and pydantic
   validation the route does of the same bodies (AttendanceBatchIn, then AttendanceIn per record).

Figures go to stdout and --out (JSON). Loopback only; every phase is bounded in count and time.

    make up && uv run python bench/intake_files.py --employees 20000 --uploads 200 \\
        --pg "$(bash scripts/postgres.sh url postgres)"
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
RUN = Path(os.environ.get("KINERJA_RUN_DIR", ROOT / ".run"))
ACTIVITY = "http://127.0.0.1:8001"
HEADER = "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
ADMIN = "199901012024011001"
GROUPS = ["kinerja-activity", "kinerja-scoring", "kinerja-approval", "kinerja-tpp", "kinerja-notify"]
ABSENSI = "999900000000000001"  # the e-Absen system's client (machine role, not an employee)
MIB = 1024 * 1024
POOL_BYTES = 32 * MIB
READ_CHUNK = 64 * 1024


# -- the baseline endpoint (run as a subprocess: intake_files.py --serve-baseline PORT DIR) --------

def serve_baseline(port: int, scratch: str) -> None:
    """Streams each request body to a temporary file in `scratch`, hashing it with SHA-256 as it
    goes, renames the file to its hash and answers 201 with the hash; GET answers 200 (ready)."""
    import uvicorn

    root = Path(scratch)

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        if scope["method"] == "GET":
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
            await send({"type": "http.response.body", "body": b"ok"})
            return
        digest, size = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(dir=root, prefix=".upload-")
        with os.fdopen(fd, "wb") as out:
            more = True
            while more:
                message = await receive()
                chunk = message.get("body", b"")
                if chunk:
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                more = message.get("more_body", False)
        sha = digest.hexdigest()
        os.replace(tmp, root / sha)
        body = json.dumps({"sha256": sha, "size": size}).encode()
        await send({"type": "http.response.start", "status": 201,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", http="httptools", log_level="warning",
                access_log=False, lifespan="off")


# -- the city ---------------------------------------------------------------------------------

def city(n: int, run: str) -> tuple[str, list[str], list[str]]:
    """Exactly `n` employees: CSV, every NIP, and the staff (non-heads)."""
    sekda = f"1991{run}{0:09d}"
    rows, nips, staff = [f"{sekda},Sekda,BS{run},Sekretariat Daerah,Sekda,struktural,II.a,16,,PNS"], [sekda], []
    head = sekda
    for i in range(1, n):
        u, k = divmod(i - 1, 21)
        nip = f"1991{run}{i:09d}"
        if k == 0:
            head = nip
            rows.append(f"{nip},Kepala {u},B{run}U{u},Unit {u},Kepala,struktural,III.a,12,{sekda},PNS")
        else:
            rows.append(f"{nip},Staf {u}-{k},B{run}U{u},Unit {u},Staf,pelaksana,,6,{head},PNS")
            staff.append(nip)
        nips.append(nip)
    return HEADER + "\n".join(rows) + "\n", nips, staff


# -- measuring --------------------------------------------------------------------------------

def pct(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1))))]


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for t in Path(f"/proc/{pid}/task").iterdir() for c in (t / "children").read_text().split()]
    except OSError:
        return []


def rss_mib(pid: int) -> float | None:
    """VmRSS of `pid` and its children, MiB (None when it is gone)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/status") as f:
                total += int(next(line for line in f if line.startswith("VmRSS")).split()[1])
        except (OSError, StopIteration):
            if p == pid:
                return None
    return round(total / 1024, 1)


def cpu_seconds(pid: int) -> float:
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


class Watch:
    """RSS of one process every `every` s while a phase runs: before, peak, and its CPU seconds."""

    def __init__(self, pid: int | None, every: float = 0.1) -> None:
        self.pid, self.every, self.stop_ = pid, every, threading.Event()
        self.before = rss_mib(pid) if pid else None
        self.peak = self.before or 0.0
        self.cpu0 = cpu_seconds(pid) if pid else float("nan")
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop_.wait(self.every):
            now = rss_mib(self.pid)
            if now is not None:
                self.peak = max(self.peak, now)

    def __enter__(self) -> "Watch":
        if self.pid:
            self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop_.set()
        if self.pid:
            self.thread.join()
        self.cpu = cpu_seconds(self.pid) - self.cpu0 if self.pid else float("nan")

    def figures(self) -> dict:
        return {"rss_before_mib": self.before, "rss_peak_mib": self.peak,
                "cpu_s": round(self.cpu, 2) if self.cpu == self.cpu else None}


def client_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def service_pid(name: str) -> int | None:
    f = RUN / "services" / f"{name}.pid"
    try:
        pid = int(f.read_text().strip())
        return pid if Path(f"/proc/{pid}").exists() else None
    except (OSError, ValueError):
        return None


async def wait_drained(bootstrap: str, timeout: float) -> float:
    """Seconds until every consumer group of the platform has no lag (NaN past `timeout`)."""
    from aiokafka import AIOKafkaConsumer
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            behind = 0
            for group in GROUPS:
                committed = await admin.list_consumer_group_offsets(group)
                if committed:
                    ends = await consumer.end_offsets(list(committed))
                    behind += sum(max(0, ends[tp] - committed[tp].offset) for tp in committed)
            if behind == 0:
                return time.monotonic() - started
            await asyncio.sleep(0.5)
        return float("nan")
    finally:
        await consumer.stop()
        await admin.close()


# -- evidence uploads -------------------------------------------------------------------------

class GeneratedPdf:
    """A file-like object of `size` bytes: `%PDF-1.4\\n`, a line naming the upload, then the random
    pool from an offset of its own (wrapping). Seekable, so httpx knows its length (Content-Length)
    and streams it in 64 KiB reads; nothing per upload is held in memory."""

    def __init__(self, pool: bytes, size: int, tag: str, offset: int) -> None:
        self.pool, self.size, self.offset, self.pos = memoryview(pool), size, offset % len(pool), 0
        self.head = f"%PDF-1.4\n%kinerja-bench {tag}\n".encode()
        self.name = f"{tag}.pdf"

    def seek(self, pos: int, whence: int = 0) -> int:
        self.pos = {0: pos, 1: self.pos + pos, 2: self.size + pos}[whence]
        return self.pos

    def tell(self) -> int:
        return self.pos

    def read(self, n: int = -1) -> bytes:
        end = self.size if n is None or n < 0 else min(self.size, self.pos + n)
        out = bytearray()
        while self.pos < end:
            if self.pos < len(self.head):
                take = self.head[self.pos:min(end, len(self.head))]
            else:
                at = (self.offset + self.pos - len(self.head)) % len(self.pool)
                take = self.pool[at:at + min(end - self.pos, len(self.pool) - at)]
            out += take
            self.pos += len(take)
        return bytes(out)

    def sha256(self) -> str:
        digest, self.pos = hashlib.sha256(), 0
        while chunk := self.read(MIB):
            digest.update(chunk)
        return digest.hexdigest()


async def upload_phase(url: str, uploads: list[dict], *, clients: int, pool: bytes, size: int, today: str,
                       timeout: float) -> dict:
    """`clients` workers, one connection each, take the uploads in order until done or `timeout`."""
    import httpx

    queue: asyncio.Queue = asyncio.Queue()
    for u in uploads:
        queue.put_nowait(u)
    results: list[dict] = []
    deadline = time.monotonic() + timeout

    async def client() -> None:
        async with httpx.AsyncClient(timeout=httpx.Timeout(120, connect=10)) as http:
            while time.monotonic() < deadline:
                try:
                    u = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                fields = {"type_code": "LAPORAN", "date": today, "start_time": "08:00", "end_time": "10:00",
                          "quantity": "1", "description": f"bench evidence upload {u['tag']}"}
                pdf = GeneratedPdf(pool, size, u["tag"], u["offset"])
                started = time.perf_counter()
                try:
                    r = await http.post(url, data=fields, files={"evidence": (pdf.name, pdf, "application/pdf")},
                                        headers={"Authorization": u["auth"]})
                    code, body = r.status_code, r.text[:2000]
                except httpx.HTTPError as exc:
                    code, body = 0, f"{type(exc).__name__}: {exc}"[:300]
                results.append({"i": u["i"], "code": code, "t0": started, "t1": time.perf_counter(), "body": body})

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - started
    ok = [r for r in results if r["code"] == 201]
    span = (max(r["t1"] for r in ok) - min(r["t0"] for r in ok)) if ok else wall
    lat = sorted(r["t1"] - r["t0"] for r in ok)
    refused = [r for r in results if r["code"] != 201]
    return {"uploads": len(uploads), "sent": len(results), "ok": len(ok),
            "codes": dict(Counter(str(r["code"]) for r in results)),
            "first_refusal": refused[0]["body"] if refused else None,
            "seconds": round(span, 2), "mib_per_s": round(len(ok) * size / MIB / span, 1) if span else 0,
            "uploads_per_s": round(len(ok) / span, 2) if span else 0,
            "p50_ms": round(pct(lat, 50) * 1000, 1), "p99_ms": round(pct(lat, 99) * 1000, 1),
            "max_ms": round(lat[-1] * 1000, 1) if lat else 0.0,
            "bodies": {r["i"]: r["body"] for r in ok if r["i"] == 0}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_http(url: str, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get(url)).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout} s")


async def preflight(auth: str, today: str, timeout: float) -> None:
    """One small upload until it is accepted (the activity service learns LAPORAN from the catalog
    topic; a fresh platform may not have it yet). Exits naming the refusal past `timeout`."""
    import httpx

    deadline, last = time.monotonic() + timeout, ""
    async with httpx.AsyncClient(timeout=30) as http:
        while time.monotonic() < deadline:
            r = await http.post(f"{ACTIVITY}/v1/activities", headers={"Authorization": auth},
                                data={"type_code": "LAPORAN", "date": today, "start_time": "07:00", "end_time": "07:30",
                                      "quantity": "1", "description": "bench preflight"},
                                files={"evidence": ("p.pdf", b"%PDF-1.4\n%%EOF\n" + os.urandom(16), "application/pdf")})
            if r.status_code == 201:
                return
            last = f"{r.status_code} {r.text[:300]}"
            if not (r.status_code == 503 or r.status_code == 422 and "type_code" in r.text):
                break  # only "not ready" and "unknown type" (catalog not consumed yet) are waited out
            await asyncio.sleep(1.0)
    raise SystemExit(f"preflight upload refused: {last}")


# -- attendance -------------------------------------------------------------------------------

def morning(nips: list[str], day: str, seed: int = 7) -> list[dict]:
    """One record per employee for `day`: e-Absen's picture of a morning (check-in only)."""
    rnd, out = random.Random(seed), []
    for nip in nips:
        x = rnd.random()
        if x < 0.80:
            m = 6 * 60 + 30 + rnd.randrange(60)  # 06:30-07:29
            out.append({"nip": nip, "date": day, "status": "hadir", "check_in": f"{m // 60:02d}:{m % 60:02d}"})
        elif x < 0.92:
            m = 7 * 60 + 31 + rnd.randrange(90)
            out.append({"nip": nip, "date": day, "status": "terlambat", "check_in": f"{m // 60:02d}:{m % 60:02d}",
                        "apel_missed": rnd.random() < 0.5})
        elif x < 0.95:
            out.append({"nip": nip, "date": day, "status": "dinas_luar"})
        elif x < 0.97:
            out.append({"nip": nip, "date": day, "status": "cuti", "leave_type": "tahunan"})
        elif x < 0.99:
            out.append({"nip": nip, "date": day, "status": rnd.choice(["sakit", "izin"])})
        else:
            out.append({"nip": nip, "date": day, "status": "tanpa_keterangan"})
    return out


async def attendance_service(batches: list[bytes], auth: str, timeout: float) -> dict:
    import httpx

    lat, codes, accepted, errors, first_error = [], Counter(), 0, 0, None
    deadline = time.monotonic() + timeout
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=httpx.Timeout(300, connect=10)) as http:
        for body in batches:
            if time.monotonic() > deadline:
                break
            t = time.perf_counter()
            try:
                r = await http.post(f"{ACTIVITY}/v1/attendance", content=body,
                                    headers={"Authorization": auth, "content-type": "application/json",
                                             "Idempotency-Key": str(uuid.uuid4())})
                code = r.status_code
            except httpx.HTTPError as exc:
                code, r = 0, None
                first_error = first_error or f"{type(exc).__name__}: {exc}"
            lat.append(time.perf_counter() - t)
            codes[str(code)] += 1
            if code == 200:
                out = r.json()
                accepted += out["accepted"]
                errors += len(out["errors"])
                if out["errors"] and first_error is None:
                    first_error = out["errors"][0]
            elif first_error is None and r is not None:
                first_error = f"{code} {r.text[:300]}"
    wall = time.perf_counter() - started
    return {"batches": len(batches), "sent": sum(codes.values()), "codes": dict(codes), "accepted": accepted,
            "record_errors": errors, "first_error": first_error, "seconds": round(wall, 2),
            "records_per_s": round(accepted / wall) if wall else 0,
            "batch_ms": [round(x * 1000) for x in lat],
            "batch_p50_ms": round(pct(sorted(lat), 50) * 1000), "batch_max_ms": round(max(lat, default=0) * 1000)}


def attendance_parse_baseline(batches: list[bytes]) -> dict:
    """What the route does to a body before it touches the database: JSON + pydantic."""
    from pydantic import TypeAdapter

    from activity_service.api.schemas import AttendanceBatchIn, AttendanceIn

    record = TypeAdapter(AttendanceIn)
    started, n = time.perf_counter(), 0
    for body in batches:
        batch = AttendanceBatchIn.model_validate_json(body)
        n += len([record.validate_python(raw) for raw in batch.records])
    wall = time.perf_counter() - started
    return {"records": n, "seconds": round(wall, 3), "records_per_s": round(n / wall) if wall else 0}


async def attendance_copy_baseline(pg: str, batches: list[list[dict]]) -> dict:
    """The same rows, same batches, COPY into a scratch table of the same columns and key."""
    import asyncpg
    from datetime import time as dtime, timezone

    table = f"bench_attendance_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(pg, timeout=10)
    try:
        await conn.execute(f"""CREATE TABLE {table} (nip varchar(18) NOT NULL, work_date date NOT NULL,
            status varchar(20) NOT NULL, check_in time, check_out time, late_minutes integer NOT NULL,
            early_leave_minutes integer NOT NULL, apel_missed boolean NOT NULL, leave_type varchar(40),
            updated_at timestamptz NOT NULL, PRIMARY KEY (nip, work_date))""")
        columns = ["nip", "work_date", "status", "check_in", "check_out", "late_minutes", "early_leave_minutes",
                   "apel_missed", "leave_type", "updated_at"]
        lat, n = [], 0
        started = time.perf_counter()
        for batch in batches:
            t = time.perf_counter()
            now = datetime.now(timezone.utc)
            rows = []
            for r in batch:
                check_in = dtime.fromisoformat(r["check_in"]) if r.get("check_in") else None
                late = max(0, check_in.hour * 60 + check_in.minute - 450) if check_in else 0  # after 07:30
                rows.append((r["nip"], date.fromisoformat(r["date"]), r["status"], check_in, None, late, 0,
                             bool(r.get("apel_missed")), r.get("leave_type"), now))
            async with conn.transaction():
                await conn.copy_records_to_table(table, records=rows, columns=columns)
            lat.append(time.perf_counter() - t)
            n += len(rows)
        wall = time.perf_counter() - started
        return {"records": n, "seconds": round(wall, 3), "records_per_s": round(n / wall) if wall else 0,
                "batch_ms": [round(x * 1000, 1) for x in lat]}
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS {table}")
        await conn.close()


# -- the run ----------------------------------------------------------------------------------

async def check_pg(pg: str) -> None:
    import asyncpg

    try:
        conn = await asyncpg.connect(pg, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        raise SystemExit(f"PostgreSQL for the COPY baseline ({pg}) not reachable: {exc}") from None
    await conn.close()


def pg_url(given: str | None) -> str:
    if given:
        return given
    out = subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), "url", "postgres"], capture_output=True,
                         text=True, timeout=30, check=True)
    return out.stdout.strip().splitlines()[-1]


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--employees", type=int, default=20000)
    p.add_argument("--uploads", type=int, default=200, help="evidence uploads (one per employee)")
    p.add_argument("--clients", type=int, default=20, help="concurrent upload clients")
    p.add_argument("--file-mib", type=float, default=10, help="size of each evidence file (the service's limit: 10)")
    p.add_argument("--batch", type=int, default=5000, help="attendance records per request (≤ 5,000)")
    p.add_argument("--date", help="activity and attendance date (default: today in KINERJA_TIMEZONE)")
    p.add_argument("--bootstrap", default=f"127.0.0.1:{os.environ.get('KINERJA_KAFKA_PORT', '9092')}")
    p.add_argument("--pg", help="PostgreSQL URL for the COPY baseline (default: scripts/postgres.sh url postgres)")
    p.add_argument("--phase-timeout", type=float, default=600, help="seconds, per phase")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "intake_files.json"))
    a = p.parse_args()
    if not 1 <= a.batch <= 5000:
        sys.exit("--batch: 1 to 5,000 records")

    from kinerja_kit.tokens import mint
    import httpx

    size = int(a.file_mib * MIB)
    today = a.date or datetime.now(ZoneInfo(os.environ.get("KINERJA_TIMEZONE", "Asia/Jakarta"))).date().isoformat()
    run = f"{random.randrange(10**5):05d}"
    result: dict = {"config": {**vars(a), "out": Path(a.out).name, "file_bytes": size, "date": today, "run": run},
                    "machine": {"cpus": os.cpu_count()}}
    activity_pid = service_pid("activity")
    if activity_pid is None:
        sys.exit("activity service not running (.run/services/activity.pid): `make up` first")
    pg = pg_url(a.pg)
    await check_pg(pg)  # before the long phases: the COPY baseline needs it at the end

    # The city.
    csv_text, nips, staff = city(a.employees, run)
    if len(staff) < a.uploads + 1:
        sys.exit(f"--uploads {a.uploads} needs {a.uploads + 1} staff; {a.employees} employees have {len(staff)}")
    async with httpx.AsyncClient(timeout=300) as http:
        started = time.perf_counter()
        r = await http.post(f"{ACTIVITY}/v1/org/import", content=csv_text,
                            headers={"Authorization": f"Bearer {mint(ADMIN, ['admin'])}", "content-type": "text/csv"})
        r.raise_for_status()
        imported = r.json()
    http_s = time.perf_counter() - started
    if imported["errors"]:
        print(f"org import: {len(imported['errors'])} rows refused, first {imported['errors'][0]}")
    result["org_import"] = {"employees": imported["imported"], "http_s": round(http_s, 2),
                            "consumed_s": round(await wait_drained(a.bootstrap, a.phase_timeout), 2)}
    print(f"org import: {result['org_import']}")

    # 1. Evidence uploads: baseline, then the service, the same requests.
    pool = random.Random(int(run)).randbytes(POOL_BYTES)
    uploaders = staff[1:a.uploads + 1]
    uploads = [{"i": i, "tag": f"{run}-{i}", "offset": random.Random(i).randrange(POOL_BYTES),
                "auth": f"Bearer {mint(nip, ['pegawai'])}"} for i, nip in enumerate(uploaders)]
    await preflight(f"Bearer {mint(staff[0], ['pegawai'])}", today, 60)

    scratch = tempfile.mkdtemp(prefix="kinerja-bench-upload-", dir=os.environ.get("TMPDIR", "/tmp"))
    port = free_port()
    bare = subprocess.Popen([sys.executable, __file__, "--serve-baseline", str(port), scratch])
    try:
        await wait_http(f"http://127.0.0.1:{port}/", 30)
        cpu0 = client_cpu()
        with Watch(bare.pid) as w:
            base = await upload_phase(f"http://127.0.0.1:{port}/v1/activities", uploads, clients=a.clients, pool=pool,
                                      size=size, today=today, timeout=a.phase_timeout)
        base.update({"server": w.figures(), "client_cpu_s": round(client_cpu() - cpu0, 2)})
    finally:
        bare.terminate()
        try:
            bare.wait(10)
        except subprocess.TimeoutExpired:
            bare.kill()
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"uploads, baseline bare ASGI (stream to file + SHA-256): {summary_line(base)}")

    cpu0 = client_cpu()
    with Watch(activity_pid) as w:
        svc = await upload_phase(f"{ACTIVITY}/v1/activities", uploads, clients=a.clients, pool=pool, size=size,
                                 today=today, timeout=a.phase_timeout)
    svc.update({"server": w.figures(), "client_cpu_s": round(client_cpu() - cpu0, 2)})
    sample = uploads[0]
    want = GeneratedPdf(pool, size, sample["tag"], sample["offset"]).sha256()
    body = svc["bodies"].get(0)
    svc["sample_hash_matches"] = bool(body and want in body)
    print(f"uploads, activity service:                              {summary_line(svc)}")
    result["uploads"] = {"baseline_bare_asgi": base, "service": svc, "ratio_mib_per_s": round(
        svc["mib_per_s"] / base["mib_per_s"], 3) if base["mib_per_s"] else None,
        "ratio_p50": round(svc["p50_ms"] / base["p50_ms"], 2) if base["p50_ms"] else None,
        "client": f"httpx, {a.clients} AsyncClients, file parts streamed in 64 KiB reads from a shared 32 MiB random pool"}
    print(f"uploads: ratio service/baseline {result['uploads']['ratio_mib_per_s']} (MiB/s), "
          f"p50 latency ×{result['uploads']['ratio_p50']}; activity RSS {svc['server']['rss_before_mib']} MiB before, "
          f"{svc['server']['rss_peak_mib']} MiB peak (baseline server peak {base['server']['rss_peak_mib']} MiB)")
    result["after_uploads_drained_s"] = round(await wait_drained(a.bootstrap, a.phase_timeout), 2)

    # 2. Attendance: baselines, then the service.
    records = morning(nips, today)
    chunks = [records[i:i + a.batch] for i in range(0, len(records), a.batch)]
    bodies = [json.dumps({"records": c}, separators=(",", ":")).encode() for c in chunks]
    parse = attendance_parse_baseline(bodies)
    copy = await attendance_copy_baseline(pg, chunks)
    with Watch(activity_pid) as w:
        att = await attendance_service(bodies, f"Bearer {mint(ABSENSI, ['absensi'])}", a.phase_timeout)
    att["server"] = w.figures()
    att["consumed_s"] = round(await wait_drained(a.bootstrap, a.phase_timeout), 2)
    result["attendance"] = {"records": len(records), "body_bytes": sum(map(len, bodies)),
                            "baseline_copy": copy, "baseline_parse_validate": parse, "service": att,
                            "ratio_to_copy": round(att["records_per_s"] / copy["records_per_s"], 4)
                            if copy["records_per_s"] else None,
                            "ratio_to_parse_validate": round(att["records_per_s"] / parse["records_per_s"], 4)
                            if parse["records_per_s"] else None}
    print(f"attendance, baseline asyncpg COPY into a scratch table: {copy['records_per_s']:,} rec/s "
          f"({copy['seconds']} s; batches {copy['batch_ms']} ms)")
    print(f"attendance, baseline JSON + pydantic in-process:        {parse['records_per_s']:,} rec/s "
          f"({parse['seconds']} s)")
    print(f"attendance, activity service: {att['records_per_s']:,} rec/s ({att['accepted']:,} accepted, "
          f"{att['record_errors']} refused, codes {att['codes']}, {att['seconds']} s; batches {att['batch_ms']} ms; "
          f"RSS {att['server']['rss_before_mib']} → peak {att['server']['rss_peak_mib']} MiB; "
          f"consumed by every service {att['consumed_s']} s later)")
    if att["first_error"]:
        print(f"attendance: first error {att['first_error']}")
    print(f"attendance: ratio service/COPY {result['attendance']['ratio_to_copy']}, "
          f"service/parse+validate {result['attendance']['ratio_to_parse_validate']}")

    for phase in (base, svc):
        phase.pop("bodies", None)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=1, default=str) + "\n")
    print(f"wrote {a.out}")


def summary_line(r: dict) -> str:
    line = (f"{r['mib_per_s']:,} MiB/s, {r['uploads_per_s']} uploads/s, p50 {r['p50_ms']:,} ms, "
            f"p99 {r['p99_ms']:,} ms ({r['ok']}/{r['uploads']} ok, codes {r['codes']}, {r['seconds']} s; "
            f"server RSS {r['server']['rss_before_mib']} → peak {r['server']['rss_peak_mib']} MiB, "
            f"CPU {r['server']['cpu_s']} s; client CPU {r['client_cpu_s']} s)")
    if r["first_refusal"]:
        line += f"\n    first refusal: {r['first_refusal']}"
    return line


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-baseline":
        serve_baseline(int(sys.argv[2]), sys.argv[3])
    else:
        asyncio.run(main())
