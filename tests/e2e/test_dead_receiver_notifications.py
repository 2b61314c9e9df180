"""A dead webhook receiver never delays the in-app notification of the same event (issue 12),
against the real broker and PostgreSQL: a receiver that accepts connections and never answers is
subscribed to approval.requested.v1; a submit still reaches the superior's in-app list within
seconds, while that event's webhook delivery is still being retried."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from support import eventually, import_org, post_activity, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def test_a_hung_receiver_does_not_delay_the_in_app_notification(services, org):
    hung: list[asyncio.StreamWriter] = []

    async def never_answer(reader, writer):  # reads the request, never writes a response
        hung.append(writer)
        await asyncio.sleep(120)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    admin = token(org.admin, "admin")
    notify = services.url("notify")
    sup, staff = ("1981080820" + org.b[10:16] + t for t in ("51", "52"))
    unit = ("nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
            f"{sup},Hadi Kasi,DISPORA,Dispora,Kepala Seksi,struktural,IV.a,9,{org.head},PNS\n"
            f"{staff},Indah,DISPORA,Dispora,Staf,pelaksana,,5,{sup},PNS\n")
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        r = await http.post(services.url("activity") + "/v1/org/import", content=unit,
                            headers={**admin, "content-type": "text/csv"})
        assert r.status_code == 200, r.text
        hook = await http.post(notify + "/v1/webhooks", headers=admin,
                               json={"url": f"http://127.0.0.1:{port}/hook", "event_types": ["approval.requested.v1"]})
        assert hook.status_code == 201, hook.text
        hook_id = hook.json()["id"]
        try:
            async def submitted():
                r = await post_activity(http, services, staff, type_code="SURAT-MASUK", quantity=1,
                                        start_time="21:30", end_time="21:35")
                return r if r.status_code == 201 else None
            activity_id = (await eventually(submitted)).json()["id"]
            started = time.monotonic()

            async def in_app():
                items = (await http.get(notify + "/v1/notifications", headers=token(sup))).json()
                return [n for n in items if n["data"].get("activity_id") == activity_id]
            await eventually(in_app, timeout=20)
            in_app_s = time.monotonic() - started

            async def delivery_hanging():
                # (only events after the webhook was made go to it: this test's task)
                log = (await http.get(notify + f"/v1/webhooks/{hook_id}/deliveries", headers=admin)).json()
                return log if log and all(d["status"] == "pending" for d in log) else None
            pending = await eventually(delivery_hanging, timeout=20)
            assert pending[0]["status"] == "pending"  # the receiver has not answered, the delivery waits
            assert in_app_s < 10, f"the in-app notification took {in_app_s:.1f}s"
            print(f"in-app notification {in_app_s:.2f}s after the submit; webhook delivery still pending")
        finally:
            await http.delete(notify + f"/v1/webhooks/{hook_id}", headers=admin)
            server.close()
            for w in hung:
                w.close()
