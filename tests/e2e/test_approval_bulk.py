"""Bulk decisions (POST /v1/approvals/bulk) against the real broker and PostgreSQL: a result per
id, each decision its own event and audit entry, refusals named and changing nothing."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from support import eventually, import_org, post_activity, read_topic, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def test_a_superior_approves_a_batch_with_a_result_per_id(services, org, kafka_bootstrap):
    bulk = services.url("approval") + "/v1/approvals/bulk"
    # A unit of its own, so the other tests' months are untouched.
    sup, x, y = ("1980050520" + org.b[10:16] + t for t in ("21", "22", "23"))
    unit = ("nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
            f"{sup},Sri Kasubag,BAPPEDA,Bappeda,Kepala Subbagian,struktural,IV.a,9,{org.head},PNS\n"
            f"{x},Xaverius,BAPPEDA,Bappeda,Staf,pelaksana,,5,{sup},PNS\n"
            f"{y},Yuliani,BAPPEDA,Bappeda,Staf,pelaksana,,5,{sup},PNS\n")
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        r = await http.post(services.url("activity") + "/v1/org/import", content=unit,
                            headers={**token(org.admin, "admin"), "content-type": "text/csv"})
        assert r.status_code == 200, r.text
        ids = []
        for who, start, end in [(x, "20:00", "20:05"), (x, "20:10", "20:15"), (x, "20:20", "20:25"),
                                (y, "20:00", "20:05")]:
            async def submitted():
                r = await post_activity(http, services, who, type_code="SURAT-MASUK", quantity=1,
                                        start_time=start, end_time=end)
                return r if r.status_code == 201 else None
            ids.append((await eventually(submitted)).json()["id"])

        async def all_in_inbox():
            items = (await http.get(services.url("approval") + "/v1/inbox", params={"limit": 500},
                                    headers=token(sup))).json()
            return {t["activity_id"] for t in items} >= set(ids)
        await eventually(all_in_inbox, timeout=60)

        # The employee may not decide their own work, in bulk either; nothing changes.
        r = await http.post(bulk, json={"activity_ids": ids[:1], "decision": "approve"}, headers=token(x))
        assert r.status_code == 200 and r.json()["results"][0]["status"] == 403 and r.json()["decided"] == 0
        assert (await http.post(bulk, json={"activity_ids": [], "decision": "approve"},
                                headers=token(sup))).status_code == 422
        too_many = [str(uuid.uuid4()) for _ in range(201)]
        assert (await http.post(bulk, json={"activity_ids": too_many, "decision": "approve"},
                                headers=token(sup))).status_code == 422
        r = await http.post(bulk, json={"activity_ids": ids[:2], "decision": "reject"}, headers=token(sup))
        assert [x["field"] for x in r.json()["results"]] == ["reason", "reason"] and r.json()["decided"] == 0

        unknown = str(uuid.uuid4())
        r = await http.post(bulk, json={"activity_ids": [*ids, unknown, ids[0]], "decision": "approve"},
                            headers=token(sup))
        assert r.status_code == 200, r.text
        out = r.json()
        assert (out["decided"], out["refused"]) == (4, 1)
        assert [(x["activity_id"], x["decided"], x["status"]) for x in out["results"]] == [
            *[(i, True, 200) for i in ids], (unknown, False, 404)]
        assert all(x["task"]["status"] == "approved" for x in out["results"][:4])
        again = (await http.post(bulk, json={"activity_ids": ids[:1], "decision": "approve"},
                                 headers=token(sup))).json()
        assert again["results"][0]["status"] == 409

        for i in ids:  # one audit entry each
            trail = (await http.get(services.url("approval") + f"/v1/audit/activities/{i}",
                                    headers=token(org.admin, "inspektorat"))).json()
            # (a reroute may come first: a task opened before its atasan's org record arrived waits unassigned)
            assert [e["action"] for e in trail if e["action"] != "reroute"] == ["approve"]
        verify = (await http.get(services.url("approval") + "/v1/audit/verify", headers=token(org.admin, "inspektorat"))).json()
        assert verify["ok"] is True

    wanted = {i.encode() for i in ids}
    records = await read_topic(kafka_bootstrap, "approval.decided.v1",
                               lambda rec: json.loads(rec.value)["activity_id"].encode() in wanted, expect=4)
    assert sorted(json.loads(r.value)["activity_id"] for r in records) == sorted(ids)
