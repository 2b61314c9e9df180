"""Leaders' dashboards on the running platform (`make up`): the delay from an approval to the
update on an open dashboard stream (p50/p99) with a city of N employees loaded and S streams open,
and the dashboard's answer time (p50/p99) for the largest unit and for the whole organisation.
A benchmark, not a test: it prints figures and never fails on them.

The city is imported through `POST /v1/org/import`: a Sekda unit on top, and units of 20 staff
under a head (bench/intake_files.py's `city()`, NIPs fresh per run), plus one large unit of
--large staff under one head (the "largest unit", e.g. a Dinas Pendidikan of 2,000). One preflight
activity is accepted and the run waits until every consumer group has caught up. Then:

1. Fill. Every staff member of the large unit and one staff member per regular unit log one
   activity (SURAT-MASUK, no evidence) through `POST /v1/activities` (--concurrency at a time),
   so the read model has a month of work to aggregate; the run waits until approval has opened
   the large unit's tasks (its head's `GET /v1/inbox`).
2. Streams. S streams `GET /v1/dashboard/units/{unit}/stream` are opened (admin tokens of S
   different NIPs, so the per-user cap never bites), spread over the units that A approvals will
   touch; each reads its snapshot first.
3. Approval → stream. A approvals (one task of A different units' staff, in turn; the large
   unit's head decides the rest) are posted at --approve-rate/s, open loop, by each task's head
   (`POST /v1/approvals/bulk`, one id); the time of each POST's answer is noted, and each stream
   notes when its `event: change` of kind `decided` for that activity arrives. Delay = arrival −
   the answer of the decision's POST (the decision is committed when approval answers), per
   (approval, stream following that unit): p50/p99/max and count, and how many never arrived
   within --phase-timeout.
4. Answer time. R sequential `GET /v1/dashboard/units/{large}` (limit 50) and R
   `GET /v1/dashboard/organisation` (admin token), after W warm-up requests each: p50/p99/max.

Figures go to stdout and --out (JSON). Loopback only; every phase is bounded in count and time.
The machine's load average at the start is recorded: other work on the machine moves the figures.

    make up && uv run python bench/dashboard.py --employees 20000 --large 2000 --streams 100 --approvals 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from approval import dist, preflight, rounded  # noqa: E402
from intake_files import wait_drained  # noqa: E402

from kinerja_kit.tokens import mint  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ACTIVITY, SCORING, APPROVAL = "http://127.0.0.1:8001", "http://127.0.0.1:8002", "http://127.0.0.1:8003"
CSV_HEAD = "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"


def auth(nip: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(nip, list(roles) or ['pegawai'])}"}


def city(n: int, large: int, run: str) -> tuple[str, str, list[str], list[tuple[str, str, list[str]]], str]:
    """CSV of `n` employees: a Sekda unit, one large unit (`large` staff under a head), and units of
    20 staff under a head. Returns the CSV, the large unit's head, its staff, the regular units
    (code, head, staff) and the large unit's code."""
    seq = iter(range(10**9))
    nip = lambda: f"1994{run}{next(seq):08d}"  # noqa: E731
    sekda = nip()
    rows = [f"{sekda},Sekda,D{run}SETDA,Sekretariat Daerah,Sekda,struktural,II.a,16,,PNS"]
    large_code, large_head = f"D{run}BESAR", nip()
    rows.append(f"{large_head},Kepala Dinas Besar,{large_code},Dinas Besar,Kepala Dinas,struktural,II.b,14,{sekda},PNS")
    large_staff = [nip() for _ in range(large)]
    rows += [f"{s},Staf Besar {i},{large_code},Dinas Besar,Staf,pelaksana,,6,{large_head},PNS"
             for i, s in enumerate(large_staff)]
    units = []
    for u in range(max(1, (n - 2 - large) // 21)):
        code, head = f"D{run}U{u}", nip()
        staff = [nip() for _ in range(20)]
        rows.append(f"{head},Kepala {u},{code},Unit {u},Kepala,struktural,III.a,12,{sekda},PNS")
        rows += [f"{s},Staf {u}-{k},{code},Unit {u},Staf,pelaksana,,6,{head},PNS" for k, s in enumerate(staff)]
        units.append((code, head, staff))
    return CSV_HEAD + "\n".join(rows) + "\n", large_head, large_staff, units, large_code


async def submit_all(who: list[str], today: str, concurrency: int, timeout: float) -> dict[str, str]:
    """One activity each; returns nip -> activity id (of those accepted)."""
    sem, out = asyncio.Semaphore(concurrency), {}
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as http:
        async def one(nip: str) -> None:
            async with sem:
                while time.monotonic() < deadline:
                    r = await http.post(f"{ACTIVITY}/v1/activities", headers=auth(nip), json={
                        "type_code": "SURAT-MASUK", "date": today, "start_time": "22:00", "end_time": "22:05",
                        "quantity": 1, "description": "bench dashboard"})
                    if r.status_code == 201:
                        out[nip] = r.json()["id"]
                        return
                    if r.status_code not in (403, 429, 503):  # 403 until activity knows the employee
                        return
                    await asyncio.sleep(0.5)
        await asyncio.gather(*(one(n) for n in who))
    return out


async def wait_inbox(head: str, ids: set[str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=30) as http:
        while time.monotonic() < deadline:
            seen, cursor = set(), None
            while True:  # every page of the inbox (500 at most per page)
                r = await http.get(f"{APPROVAL}/v1/inbox", headers=auth(head),
                                   params={"limit": 500, **({"cursor": cursor} if cursor else {})})
                r.raise_for_status()
                seen |= {t["activity_id"] for t in r.json()}
                cursor = r.headers.get("X-Next-Cursor")
                if not cursor:
                    break
            if seen >= ids:
                return True
            await asyncio.sleep(1.0)
    return False


class Stream:
    """One open dashboard stream: notes when each decided change arrives (activity id -> monotonic)."""

    def __init__(self, unit: str, viewer: str) -> None:
        self.unit, self.viewer = unit, viewer
        self.snapshot = asyncio.Event()
        self.decided: dict[str, float] = {}
        self.status: int | None = None

    async def run(self, http: httpx.AsyncClient) -> None:
        try:
            async with http.stream("GET", f"{SCORING}/v1/dashboard/units/{self.unit}/stream",
                                   headers=auth(self.viewer, "admin"), timeout=None) as r:
                self.status = r.status_code
                event, data = None, None
                async for line in r.aiter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data = line[5:].strip()
                    elif line == "" and event:
                        if event == "snapshot":
                            self.snapshot.set()
                        elif event == "change" and data:
                            c = json.loads(data)
                            if c["kind"] == "decided" and c["ref"]:
                                self.decided.setdefault(c["ref"], time.monotonic())
                        event, data = None, None
        except (httpx.HTTPError, asyncio.CancelledError):
            pass
        finally:
            self.snapshot.set()


async def answer_times(url: str, params: dict, rounds: int, warmup: int) -> dict:
    async with httpx.AsyncClient(timeout=60) as http:
        h = auth("199400000000000001", "admin")
        for _ in range(warmup):
            await http.get(url, params=params, headers=h)
        took, statuses = [], set()
        for _ in range(rounds):
            t = time.perf_counter()
            r = await http.get(url, params=params, headers=h)
            took.append(time.perf_counter() - t)
            statuses.add(r.status_code)
    return {**dist(took), "statuses": sorted(statuses)}


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--employees", type=int, default=20000, help="the city")
    p.add_argument("--large", type=int, default=2000, help="staff of the largest unit")
    p.add_argument("--streams", type=int, default=100, help="S: open dashboard streams")
    p.add_argument("--approvals", type=int, default=200, help="A: approvals whose delay is measured")
    p.add_argument("--approve-rate", type=float, default=10, help="approvals/s (open loop)")
    p.add_argument("--rounds", type=int, default=50, help="R: dashboard requests timed, per view")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--concurrency", type=int, default=16, help="HTTP requests in flight while filling")
    p.add_argument("--bootstrap", default=f"127.0.0.1:{os.environ.get('KINERJA_KAFKA_PORT', '9092')}")
    p.add_argument("--phase-timeout", type=float, default=600, help="seconds, per wait")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "dashboard.json"))
    a = p.parse_args()
    run = f"{random.randrange(10**6):06d}"
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    result: dict = {"args": {**vars(a), "out": Path(a.out).name}, "run": run,
                    "machine": {"cpus": os.cpu_count(), "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}}

    csv, large_head, large_staff, units, large_code = city(a.employees, a.large, run)
    async with httpx.AsyncClient(timeout=600) as http:
        r = await http.post(f"{ACTIVITY}/v1/org/import", content=csv,
                            headers={**auth("199400000000000001", "admin"), "content-type": "text/csv"})
        r.raise_for_status()
    await preflight(units[0][2][0], today, a.phase_timeout)
    result["caught_up_after_import_s"] = rounded(await wait_drained(a.bootstrap, a.phase_timeout))

    # 1. Fill: the large unit's staff and one per regular unit log one activity each.
    t = time.monotonic()
    regular = [staff[1] for _, _, staff in units]
    ids = await submit_all(large_staff + regular, today, a.concurrency, a.phase_timeout)
    result["fill"] = {"accepted": len(ids), "seconds": rounded(time.monotonic() - t)}
    result["caught_up_after_fill_s"] = rounded(await wait_drained(a.bootstrap, a.phase_timeout))
    await wait_inbox(large_head, {ids[s] for s in large_staff if s in ids}, a.phase_timeout)

    # The approvals: one per regular unit in turn, the rest from the large unit.
    plan: list[tuple[str, str, str]] = []  # (unit, head, activity id)
    for code, head, staff in units:
        if staff[1] in ids and len(plan) < a.approvals // 2:
            plan.append((code, head, ids[staff[1]]))
    plan += [(large_code, large_head, ids[s]) for s in large_staff if s in ids][:a.approvals - len(plan)]
    touched = sorted({u for u, _, _ in plan})
    # 2. Streams: half on the large unit, the rest over the touched units in turn.
    layout = [large_code if i % 2 == 0 else touched[i // 2 % len(touched)] for i in range(a.streams)]
    streams = [Stream(u, f"1995{run}{i:08d}") for i, u in enumerate(layout)]
    async with httpx.AsyncClient(timeout=None, limits=httpx.Limits(max_connections=a.streams + 8)) as sh:
        tasks = [asyncio.create_task(s.run(sh)) for s in streams]
        try:
            await asyncio.wait_for(asyncio.gather(*(s.snapshot.wait() for s in streams)), a.phase_timeout)
            result["streams"] = {"opened": sum(s.status == 200 for s in streams), "asked": a.streams}
            # 3. Approval -> stream, open loop.
            answered: dict[str, float] = {}
            async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=a.concurrency)) as http:
                async def decide(head: str, activity_id: str) -> None:
                    r = await http.post(f"{APPROVAL}/v1/approvals/bulk", headers=auth(head),
                                        json={"activity_ids": [activity_id], "decision": "approve"})
                    if r.status_code == 200 and r.json().get("decided") == 1:
                        answered[activity_id] = time.monotonic()
                started, pending = time.monotonic(), []
                for i, (_, head, activity_id) in enumerate(plan):
                    await asyncio.sleep(max(0.0, started + i / a.approve_rate - time.monotonic()))
                    pending.append(asyncio.create_task(decide(head, activity_id)))
                await asyncio.gather(*pending)
            unit_of = {aid: u for u, _, aid in plan}
            deadline = time.monotonic() + a.phase_timeout
            expected = [(s, aid) for aid in answered for s in streams if s.unit == unit_of[aid] and s.status == 200]
            while time.monotonic() < deadline and any(aid not in s.decided for s, aid in expected):
                await asyncio.sleep(0.25)
            delays = [s.decided[aid] - answered[aid] for s, aid in expected if aid in s.decided]
            result["approval_to_stream"] = {**dist(delays), "approvals": len(answered),
                                            "missing": sum(aid not in s.decided for s, aid in expected)}
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # 4. Answer times.
    month = today[:7]
    result["dashboard_largest_unit"] = await answer_times(f"{SCORING}/v1/dashboard/units/{large_code}",
                                                          {"period": month, "limit": 50}, a.rounds, a.warmup)
    result["dashboard_organisation"] = await answer_times(f"{SCORING}/v1/dashboard/organisation",
                                                          {"period": month, "limit": 50}, a.rounds, a.warmup)
    result["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=1, default=str))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=1, default=str) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
