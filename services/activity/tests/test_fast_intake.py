"""The lean intake path (JSON POST /v1/activities on PostgreSQL, asyncpg directly) against real
PostgreSQL: the overlap check stays race-free per employee, Idempotency-Key answers and the
outbox row commit with the activity, and the answer is the ORM path's, byte for byte in meaning.
Each case runs on both paths (`fast_intake` on and off) so they stay equivalent. Kafka is not
needed: the service takes writes while the broker is away (they wait in the outbox)."""

from __future__ import annotations

import asyncio
import json
import random
import socket
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from activity_service.main import SERVICE, ActivitySettings
from kinerja_kit.tokens import mint

pytestmark = pytest.mark.infra
ADMIN = "199901012024011001"
HEADER = "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=[True, False], ids=["fast", "orm"], scope="module")
async def service(request, fresh_database):
    url = await fresh_database("activity_fast")
    # A port nobody listens on: the service serves with Kafka away, rows wait in the outbox.
    settings = ActivitySettings(service="activity", database_url=url, fast_intake=request.param,
                                kafka_bootstrap=f"127.0.0.1:{_free_port()}")
    app = SERVICE.create_app(settings)
    async with app.router.lifespan_context(app):
        assert (app.state.fast_intake is not None) is request.param
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("INSERT INTO activity_types (code, effective_from, name, evidence_required, "
                               "allowed_position_kinds, active) VALUES ('SURAT-MASUK', '2000-01-01', 'Surat', false, "
                               "'[]', true)")
        finally:
            await conn.close()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://activity") as client:
            yield client, url


async def _employees(client, n: int) -> list[str]:
    run = f"{random.randrange(10**6):06d}"
    head = f"197001012000{run}"
    staff = [f"1990010120{run}{i:02d}" for i in range(n)]
    rows = [f"{head},Kepala,U1,Unit,Kepala,struktural,III.a,12,,PNS"]
    rows += [f"{nip},Staf {i},U1,Unit,Staf,pelaksana,,6,{head},PNS" for i, nip in enumerate(staff)]
    r = await client.post("/v1/org/import", content=HEADER + "\n".join(rows) + "\n",
                          headers={"Authorization": f"Bearer {mint(ADMIN, ['admin'])}", "content-type": "text/csv"})
    assert r.status_code == 200, r.text
    return staff


def _auth(nip: str, key: str | None = None) -> dict[str, str]:
    h = {"Authorization": f"Bearer {mint(nip, ['pegawai'])}"}
    return h | ({"Idempotency-Key": key} if key else {})


def _body(start: str, end: str, **kw) -> dict:
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    return {"type_code": "SURAT-MASUK", "date": today, "start_time": start, "end_time": end, "quantity": 1,
            "description": "Mengagendakan surat", **kw}


async def _rows(url: str, nip: str) -> tuple[list, list]:
    conn = await asyncpg.connect(url)
    try:
        acts = await conn.fetch("SELECT id, start_time FROM activities WHERE nip = $1 ORDER BY start_time", nip)
        outbox = await conn.fetch("SELECT topic, key, payload, headers::text AS headers FROM outbox "
                                  "WHERE topic = 'activity.submitted.v1' AND key = $1", nip)
        return list(acts), list(outbox)
    finally:
        await conn.close()


async def test_two_concurrent_overlapping_posts_give_one_201_and_one_409(service):
    client, url = service
    staff = await _employees(client, 5)
    for nip in staff:  # each employee: two overlapping spans at once
        a, b = await asyncio.gather(client.post("/v1/activities", json=_body("08:00", "09:00"), headers=_auth(nip)),
                                    client.post("/v1/activities", json=_body("08:30", "09:30"), headers=_auth(nip)))
        assert sorted([a.status_code, b.status_code]) == [201, 409], (a.text, b.text)
        refused = a if a.status_code == 409 else b
        assert refused.json()["errors"][0]["field"] == "start_time"
        acts, outbox = await _rows(url, nip)
        assert len(acts) == 1 and len(outbox) == 1, "one activity, one event; nothing of the refused one"


async def test_a_retry_with_the_same_key_answers_the_first_201_and_writes_nothing(service):
    client, url = service
    nip = (await _employees(client, 1))[0]
    first = await client.post("/v1/activities", json=_body("10:00", "11:00"), headers=_auth(nip, "k-1"))
    again = await client.post("/v1/activities", json=_body("10:00", "11:00"), headers=_auth(nip, "k-1"))
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    assert again.json() == first.json()
    other = await client.post("/v1/activities", json=_body("12:00", "13:00"), headers=_auth(nip, "k-1"))
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    # Concurrent twins with a new key: both answer the same 201, one activity is stored.
    twins = await asyncio.gather(*(client.post("/v1/activities", json=_body("14:00", "15:00"),
                                               headers=_auth(nip, "k-2")) for _ in range(2)))
    assert [t.status_code for t in twins] == [201, 201], [t.text for t in twins]
    assert twins[0].json()["id"] == twins[1].json()["id"]
    acts, outbox = await _rows(url, nip)
    assert len(acts) == 2 and len(outbox) == 2


async def test_the_outbox_row_is_the_event_of_the_activity_and_the_answer_is_the_stored_one(service):
    client, url = service
    nip = (await _employees(client, 1))[0]
    r = await client.post("/v1/activities", json=_body("07:00", "07:45", quantity=3), headers=_auth(nip))
    assert r.status_code == 201, r.text
    posted = r.json()
    (act,), (row,) = (await _rows(url, nip))
    assert act["id"] == posted["id"]
    event, headers = json.loads(row["payload"]), json.loads(row["headers"])
    assert event["activity_id"] == posted["id"] and event["nip"] == nip and event["quantity"] == 3
    assert event["start_time"] == "07:00:00" and event["evidence_sha256"] == []
    assert headers["event-type"] == "activity.submitted" and headers["producer"] == "activity"
    read = await client.get(f"/v1/activities/{posted['id']}", headers=_auth(nip))
    assert read.json() == posted, "the POST answers what the ORM path reads back"
    assert posted["status"] == "submitted" and posted["evidence"] == [] and posted["revision"] == 0


async def test_refusals_name_the_field_and_write_nothing(service):
    client, url = service
    nip = (await _employees(client, 1))[0]
    bad = await client.post("/v1/activities", json=_body("09:00", "08:00"), headers=_auth(nip))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "end_time"
    unknown = await client.post("/v1/activities", json=_body("08:00", "09:00", type_code="NOPE"), headers=_auth(nip))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "type_code"
    stranger = await client.post("/v1/activities", json=_body("08:00", "09:00"),
                                 headers=_auth("199001011990011999"))
    assert stranger.status_code == 403
    assert await _rows(url, nip) == ([], [])


async def test_a_database_out_of_reach_answers_503_and_retry_after(service):
    client, url = service
    nip = (await _employees(client, 1))[0]
    app = client._transport.app
    if app.state.fast_intake is None:
        pytest.skip("the lean path only")
    from activity_service.persistence.fast_intake import IntakePool

    kept, app.state.fast_intake = app.state.fast_intake, IntakePool(f"postgresql://postgres@127.0.0.1:{_free_port()}/x")
    try:  # as a server answers it (Starlette re-raises after the 503 handler, for the server's log)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                     base_url="http://activity") as raw:
            r = await raw.post("/v1/activities", json=_body("16:00", "16:30"), headers=_auth(nip))
    finally:
        app.state.fast_intake = kept
    assert r.status_code == 503 and r.headers["retry-after"] == "5", r.text
    assert await _rows(url, nip) == ([], [])
