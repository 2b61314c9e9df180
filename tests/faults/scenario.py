"""One scenario: a fresh organisation, an open-loop burst with a fault injected at a random point,
decisions on part of what was acknowledged, then healing and the invariants."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

import asyncpg
import httpx

from faults.checker import check, wait_healed
from faults.report import Rig, record
from faults.load import FaultOrg, Load
from support import token

Fault = Callable[[Rig, Load, dict], Awaitable[None]]


async def _import_org(rig: Rig, org: FaultOrg) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = await http.post(rig.platform.url("activity") + "/v1/org/import", content=org.csv(),
                                    headers={**token(org.admin, "admin"), "content-type": "text/csv"})
                if r.status_code == 200:
                    return
                last = r.text
            except httpx.TransportError as exc:
                last = repr(exc)
            if time.monotonic() > deadline:
                raise AssertionError(f"org import failed: {last}")
            await asyncio.sleep(1)


async def _warm_up(load: Load) -> None:
    """The first activity of the organisation (the catalog and org reach activity over Kafka)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        req = await load.activity(load.org.staff[0])
        if req.acked:
            return
        await asyncio.sleep(1)
    raise AssertionError("activity never accepted the first entry")


async def _tasks(rig: Rig, activity_ids: list[str]) -> set[str]:
    conn = await asyncpg.connect(rig.urls["approval"], timeout=10)
    try:
        rows = await conn.fetch("SELECT activity_id FROM tasks WHERE activity_id = ANY($1::text[])", activity_ids)
        return {r["activity_id"] for r in rows}
    finally:
        await conn.close()


async def run(rig: Rig, name: str, fault: Fault | None, *, count: int = 200, rate: float = 40.0,
              decisions: float = 0.5, fault_during: str = "activities", heal_timeout: float = 300.0,
              retry_share: float = 1.0, org_size: int = 12,
              burst: Callable[[Load, dict], Awaitable[None]] | None = None,
              extra_checks: Callable[[Rig, Load, dict], Awaitable[list[str]]] | None = None) -> dict:
    """Run one scenario and record its result; returns it (the test asserts `ok`). `burst`
    replaces the open-loop activities (it fills `load.requests` itself)."""
    started = time.monotonic()
    org = FaultOrg.new(org_size)
    load = Load(rig.platform, org, retry_share=retry_share)
    notes: dict = {}
    try:
        await _import_org(rig, org)
        await _warm_up(load)
        fault_task = None
        if fault and fault_during == "activities":
            fault_task = asyncio.create_task(fault(rig, load, notes))
        if burst:
            await burst(load, notes)
        else:
            await load.open_loop(count, rate, load.activity)
        if fault_task:
            await fault_task
        acked = [r.activity_id for r in load.requests if r.kind == "activity" and r.acked]
        chosen = random.sample(acked, int(len(acked) * decisions))
        if chosen:
            deadline, ready = time.monotonic() + 120, set()
            while time.monotonic() < deadline and len(ready) < len(chosen):
                try:
                    ready = await _tasks(rig, chosen)
                except (OSError, asyncpg.PostgresError):
                    pass
                await asyncio.sleep(1)
            chosen = [a for a in chosen if a in ready]
            if fault and fault_during == "decisions":
                fault_task = asyncio.create_task(fault(rig, load, notes))
            pending = iter(chosen)
            await load.open_loop(len(chosen), rate,
                                 lambda: load.decide(next(pending), random.choice(["approve", "approve", "reject"])))
            if fault_task and fault_during == "decisions":
                await fault_task
        dead = [s for s, alive in rig.platform.alive().items() if not alive]
        heal_seconds, state = await wait_healed(rig.broker.bootstrap, rig.urls, heal_timeout)
        verdict = await check(rig.broker.bootstrap, rig.urls, load)
        violations = list(verdict.violations)
        if dead:
            violations.append(f"services down after the fault: {dead}")
        if heal_seconds is None:
            violations.append(f"6 not healed within {heal_timeout:.0f}s: {state}")
        if extra_checks:
            violations += await extra_checks(rig, load, notes)
        result = {"ok": not violations, "violations": violations, "counts": verdict.counts,
                  "heal_seconds": heal_seconds, "fault": notes, "seconds": round(time.monotonic() - started, 1),
                  "invariants": {"1 nothing lost": verdict.counts["lost"] == 0,
                                 "2 once per cause": verdict.counts["duplicated"] == 0,
                                 "3 no effect without cause": verdict.counts["orphans"] == 0,
                                 "4 order, no stale state": verdict.counts["order_breaks"] == 0
                                 and verdict.counts["stale_states"] == 0,
                                 "6 healed (lag 0, outbox empty)": heal_seconds is not None}}
    except Exception as exc:
        result = {"ok": False, "violations": [f"scenario error: {exc!r}"], "counts": load.counts("activity"),
                  "heal_seconds": None, "fault": notes, "seconds": round(time.monotonic() - started, 1)}
    finally:
        await load.close()
    record(name, result)
    return result


async def at_random(low: float, high: float) -> float:
    delay = random.uniform(low, high)
    await asyncio.sleep(delay)
    return round(delay, 2)
