"""Backup and restore of every service database (docs/operations/backup-restore.md).

After one activity's whole flow, each of the five databases is dumped online with pg_dump
(custom format) while its service runs, restored with pg_restore into a new database, and the
services are started again on the restored databases: a set of reads across all five answers
exactly as before, and every table and sequence holds the same contents as the snapshot the
dump was taken from."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
from pathlib import Path

import asyncpg
import httpx
import pytest

from support import ROOT, SERVICES, ServiceProcesses, eventually, token

pytestmark = [pytest.mark.infra, pytest.mark.timeout(900)]

RUN_DIR = Path(os.environ.get("KINERJA_RUN_DIR", ROOT / ".run" / "test"))


def pg_tool(name: str) -> str:
    """The newest installed PostgreSQL's client (pg_dump must not be older than the server)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    tool = found[-1] if found else shutil.which(name)
    if not tool:
        pytest.fail(f"{name} not found (Debian: postgresql-client)")
    return tool


async def run(*argv: str) -> str:
    proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, f"{' '.join(argv[:2])} failed ({proc.returncode}): {err.decode()[-3000:]}"
    return out.decode()


TABLES = """
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 1
"""


async def contents(conn: asyncpg.Connection) -> dict[str, tuple]:
    """Every table's row count and a digest of its rows (in a canonical order); every sequence's
    position (so ids handed out after a restore do not collide)."""
    out: dict[str, tuple] = {}
    for name, kind in await conn.fetch(TABLES):
        if kind == "S":
            out[name] = ("sequence", *await conn.fetchrow(f"SELECT last_value, is_called FROM {name}"))
        else:
            out[name] = ("table", *await conn.fetchrow(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {name} t"))
    return out


async def dump_online(url: str, path: Path) -> dict[str, tuple]:
    """pg_dump a running service's database from an exported snapshot, and return the contents
    of that same snapshot (what the dump must restore to, whatever the service writes meanwhile)."""
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            expected = await contents(conn)
            await run(pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                      f"--snapshot={snapshot}", f"--file={path}", f"--dbname={url}")
        return expected
    finally:
        await conn.close()


def reads(flow) -> list[tuple[str, str, dict, str]]:
    """(service, path, params, caller): what employees, superiors, admins and auditors read."""
    period, a_id, other = flow.period, flow.activity_id, flow.other_activity_id
    return [
        ("activity", f"/v1/activities/{a_id}", {}, "a"),
        ("activity", f"/v1/activities/{other}", {}, "a"),
        ("activity", "/v1/activities", {"month": period}, "a"),
        ("activity", f"/v1/org/employees/{flow.org.a}", {}, "admin"),
        ("activity", f"/v1/attendance/{flow.org.a}/{period}", {}, "a"),
        ("scoring", f"/v1/performance/{flow.org.a}/{period}", {}, "a"),
        ("scoring", "/v1/catalog", {}, "a"),
        ("approval", "/v1/inbox", {"status": "approved"}, "b"),
        ("approval", "/v1/inbox/counts", {}, "b"),
        ("approval", f"/v1/audit/activities/{a_id}", {}, "inspektorat"),
        ("approval", "/v1/audit/verify", {}, "inspektorat"),
        ("tpp", f"/v1/tpp/{period}/{flow.org.a}", {}, "a"),
        ("tpp", f"/v1/tpp/{period}/{flow.org.b}", {}, "b"),
        ("tpp", f"/v1/periods/{period}", {}, "admin"),
        ("notify", "/v1/notifications", {}, "a"),
        ("notify", "/v1/notifications", {}, "b"),
        ("notify", "/v1/notifications/unread-count", {}, "a"),
    ]


async def answers(services: ServiceProcesses, flow) -> dict[str, tuple[int, object]]:
    org = flow.org
    callers = {"a": token(org.a), "b": token(org.b), "admin": token(org.admin, "admin"),
               "inspektorat": token("199901012020121099", "inspektorat")}
    out = {}
    async with httpx.AsyncClient(timeout=30) as http:
        for service, path, params, caller in reads(flow):
            r = await http.get(services.url(service) + path, params=params, headers=callers[caller])
            key = f"{service} GET {path}" + (f"?{httpx.QueryParams(params)}" if params else "") + f" as {caller}"
            out[key] = (r.status_code, r.json() if "json" in r.headers.get("content-type", "") else r.text)
    return out


async def settled_answers(services: ServiceProcesses, flow) -> dict[str, tuple[int, object]]:
    """The answers once the flow's last events (the TPP notifications) are in and two rounds a
    second apart agree: nothing is still on its way when the backup is taken."""
    async def settled():
        first = await answers(services, flow)
        kinds = {n["kind"] for n in first["notify GET /v1/notifications as a"][1]}
        if "tpp.computed" not in kinds:
            return None
        await asyncio.sleep(1.0)
        return first if await answers(services, flow) == first else None
    return await eventually(settled, timeout=60, interval=0.5)


async def test_each_database_restored_from_pg_dump_gives_the_same_answers(flow, fresh_database, ops_kafka,
                                                                          service_ports):
    services = flow.services
    before = await settled_answers(services, flow)
    failed = {k: v for k, v in before.items() if v[0] != 200}
    assert not failed, f"reads that should answer before the backup: {failed}"
    assert before[f"tpp GET /v1/tpp/{flow.period}/{flow.org.a} as a"][1]["status"] == "final"
    assert before["approval GET /v1/audit/verify as inspektorat"][1]["ok"] is True
    assert before["notify GET /v1/notifications as a"][1], "A was notified of the decision and the TPP"

    backups = RUN_DIR / "backups"
    backups.mkdir(parents=True, exist_ok=True)
    expected: dict[str, dict] = {}
    for name in SERVICES:  # online: the services keep running while they are dumped
        expected[name] = await dump_online(services.database_urls[name], backups / f"{name}.dump")
        assert sum(v[1] for v in expected[name].values() if v[0] == "table"), f"{name}: an empty database?"
    services.stop()

    restored_urls = {}
    for name in SERVICES:
        url = restored_urls[name] = await fresh_database(f"restored_{name}")
        await run(pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                  f"--dbname={url}", str(backups / f"{name}.dump"))
        conn = await asyncpg.connect(url)
        try:
            got = await contents(conn)
        finally:
            await conn.close()
        differs = {t: (expected[name].get(t), got.get(t)) for t in expected[name].keys() | got.keys()
                   if expected[name].get(t) != got.get(t)}
        assert not differs, f"{name}: restored tables differ from the dumped snapshot: {differs}"

    # Stopped above; now started on the restored databases (on ports of their own).
    restored = ServiceProcesses(ops_kafka, restored_urls, RUN_DIR / "logs" / "ops-restored", ports=service_ports())
    restored.start()
    try:
        await restored.wait_ready()
        after = await answers(restored, flow)
    finally:
        codes = restored.stop()
    differs = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    assert not differs, f"the restored services answer differently: {differs}"
    unclean = {n: c for n, c in codes.items() if c not in (0, -15) or "service stopped" not in restored.log(n)}
    assert not unclean, f"unclean shutdown of the restored services: {unclean}"
