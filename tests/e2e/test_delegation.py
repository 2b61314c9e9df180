"""Delegation and the inbox (issue 9) against the real broker and PostgreSQL: a superior delegates
to a peer, who sees the tasks marked `delegated_from` and decides them on the superior's behalf
(`on_behalf_of` in the event and the audit trail) until the delegation is revoked; refusals are
named; the inbox's filters and counts answer."""

from __future__ import annotations

import json
from datetime import date, timedelta

import httpx
import pytest

from support import eventually, import_org, post_activity, read_topic, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]
HEADER = "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"


async def test_a_delegate_decides_for_the_superior_until_revoked(services, org, kafka_bootstrap):
    approval = services.url("approval")
    # A unit of its own (NIPs unique to this run), so the other tests' inboxes and months are untouched.
    kadis, sup, peer, x, y, z = ("1982070720" + org.b[10:16] + t for t in ("41", "42", "43", "44", "45", "46"))
    unit = (HEADER +
            f"{kadis},Kadis Perhubungan,DISHUB,Dinas Perhubungan,Kepala Dinas,struktural,II.b,14,{org.head},PNS\n"
            f"{sup},Sinta Kabid,DISHUB,Dinas Perhubungan,Kepala Bidang,struktural,III.a,11,{kadis},PNS\n"
            f"{peer},Pandu Kabid,DISHUB,Dinas Perhubungan,Kepala Bidang,struktural,III.a,11,{kadis},PNS\n"
            f"{x},Xena,DISHUB,Dinas Perhubungan,Staf,pelaksana,,5,{sup},PNS\n"
            f"{y},Yusuf,DISHUB,Dinas Perhubungan,Staf,pelaksana,,5,{sup},PNS\n"
            f"{z},Zaenal,DISHUB,Dinas Perhubungan,Staf,pelaksana,,5,{peer},PNS\n")
    day = date.fromisoformat(today())
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        r = await http.post(services.url("activity") + "/v1/org/import", content=unit,
                            headers={**token(org.admin, "admin"), "content-type": "text/csv"})
        assert r.status_code == 200, r.text

        async def submit(who: str, start: str, end: str) -> str:
            async def submitted():
                r = await post_activity(http, services, who, type_code="SURAT-MASUK", quantity=1,
                                        start_time=start, end_time=end)
                return r if r.status_code == 201 else None
            return (await eventually(submitted)).json()["id"]

        x1, x2 = await submit(x, "19:00", "19:05"), await submit(x, "19:10", "19:15")
        y1 = await submit(y, "19:00", "19:05")
        z1 = await submit(z, "19:00", "19:05")  # the peer's own staff

        async def inbox(who: str, **params) -> httpx.Response:
            return await http.get(approval + "/v1/inbox", params={"limit": 500, **params}, headers=token(who))

        async def ids(who: str, **params) -> set[str]:
            r = await inbox(who, **params)
            assert r.status_code == 200, r.text
            return {t["activity_id"] for t in r.json()}

        async def reached(who: str, wanted: set[str]):
            return await ids(who) >= wanted
        await eventually(lambda: reached(sup, {x1, x2, y1}), timeout=60)
        await eventually(lambda: reached(peer, {z1}), timeout=60)
        assert all(t["delegated_from"] is None for t in (await inbox(sup)).json())

        decide = lambda who, aid, decision="approve": http.post(  # noqa: E731
            approval + f"/v1/approvals/{aid}/decision", json={"decision": decision}, headers=token(who))
        assert (await decide(peer, x1)).status_code == 403  # no delegation yet

        # Refused delegations, each naming what is wrong; nothing is stored.
        new = lambda who, body: http.post(approval + "/v1/delegations", json=body, headers=token(*who))  # noqa: E731
        plain = {"delegate_nip": peer, "from": day.isoformat(), "until": (day + timedelta(days=3)).isoformat()}
        for body, field in [({**plain, "until": (day - timedelta(days=1)).isoformat()}, "until"),
                            ({**plain, "until": (day + timedelta(days=120)).isoformat()}, "until"),
                            ({**plain, "delegate_nip": sup}, "delegate_nip"),
                            ({**plain, "delegate_nip": "1999010120" + org.b[10:16] + "99"}, "delegate_nip")]:
            r = await new((sup,), body)
            assert r.status_code == 422, r.text
            assert [e["field"] for e in r.json()["errors"]] == [field], r.text
        r = await new((peer,), {**plain, "delegator_nip": sup})  # a non-admin for someone else
        assert r.status_code == 403, r.text
        assert (await http.get(approval + "/v1/delegations", headers=token(sup))).json() == []

        async def delegated():
            r = await new((sup,), plain)
            return r if r.status_code == 201 else None  # 422 until the employees reached approval
        d = (await eventually(delegated)).json()
        assert (d["delegator_nip"], d["delegate_nip"], d["from"], d["until"], d["created_by"], d["revoked_at"],
                d["active"]) == (sup, peer, plain["from"], plain["until"], sup, None, True)

        listed = lambda who, *roles, **params: http.get(  # noqa: E731
            approval + "/v1/delegations", params=params, headers=token(who, *roles))
        assert [e["id"] for e in (await listed(sup)).json()] == [d["id"]]
        assert [e["id"] for e in (await listed(peer)).json()] == [d["id"]]
        assert (await listed(z)).json() == []
        assert (await listed(z, nip=sup)).status_code == 403
        assert [e["id"] for e in (await listed(org.admin, "inspektorat", nip=peer)).json()] == [d["id"]]

        # The peer's inbox: their own task and the superior's, marked delegated_from.
        items = {t["activity_id"]: t for t in (await inbox(peer)).json()}
        assert set(items) == {x1, x2, y1, z1}
        assert {a: t["delegated_from"] for a, t in items.items()} == {x1: sup, x2: sup, y1: sup, z1: None}
        assert items[x1]["assignee_nip"] == sup
        assert await ids(peer, nip=x) == {x1, x2}
        assert await ids(peer, unit_code="DISHUB") == {x1, x2, y1, z1}
        assert await ids(peer, unit_code="BAPPEDA") == set()
        assert await ids(peer, **{"from": day.isoformat(), "to": day.isoformat()}) == {x1, x2, y1, z1}
        assert await ids(peer, **{"from": (day + timedelta(days=1)).isoformat()}) == set()
        assert await ids(peer, overdue="true") == set()  # due in 3 working days
        assert await ids(peer, overdue="false") == {x1, x2, y1, z1}
        assert await ids(peer, status="approved") == set()
        r = await inbox(peer, **{"from": day.isoformat(), "to": (day - timedelta(days=1)).isoformat()})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "to", r.text
        page = await inbox(peer, limit=2)  # cursor pagination over own and delegated tasks
        rest = await http.get(approval + "/v1/inbox", params={"limit": 500, "cursor": page.headers["X-Next-Cursor"]},
                              headers=token(peer))
        assert {t["activity_id"] for t in page.json() + rest.json()} == {x1, x2, y1, z1}
        counts = (await http.get(approval + "/v1/inbox/counts", headers=token(peer))).json()
        assert (counts["pending"], counts["overdue"], counts["delegated"], counts["decided_today"]) == (4, 0, 3, 0)

        # The delegate decides, alone and in bulk; nobody else may.
        assert (await decide(z, x1)).status_code == 403  # a non-delegate
        assert (await decide(x, x1)).status_code == 403  # nobody decides their own work
        r = await decide(peer, x1)
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["decided_by"], r.json()["on_behalf_of"]) == ("approved", peer, sup)
        r = await http.post(approval + "/v1/approvals/bulk", json={"activity_ids": [x2], "decision": "approve"},
                            headers=token(peer))
        assert r.status_code == 200 and r.json()["decided"] == 1, r.text
        assert r.json()["results"][0]["task"]["on_behalf_of"] == sup
        assert await ids(peer, status="approved") == {x1, x2}
        assert {t["delegated_from"] for t in (await inbox(peer, status="approved")).json()} == {sup}
        counts = (await http.get(approval + "/v1/inbox/counts", headers=token(peer))).json()
        assert (counts["pending"], counts["delegated"], counts["decided_today"]) == (2, 1, 2)
        assert counts["by_status"]["approved"] == 2
        assert (await http.get(approval + "/v1/inbox/counts", headers=token(sup))).json()["pending"] == 1

        trail = (await http.get(approval + f"/v1/audit/activities/{x1}", headers=token(org.admin, "inspektorat"))).json()
        assert [(e["action"], e["actor_nip"], e["on_behalf_of"]) for e in trail] == [("approve", peer, sup)]

        # Revoked: the delegate decides no more and the superior's tasks leave their inbox.
        revoke = lambda who, *roles: http.post(  # noqa: E731
            approval + f"/v1/delegations/{d['id']}/revoke", headers=token(who, *roles))
        assert (await revoke(peer)).status_code == 403  # the delegate does not revoke
        assert (await revoke(z)).status_code == 404
        r = await revoke(sup)
        assert r.status_code == 200, r.text
        assert r.json()["revoked_at"] is not None and r.json()["active"] is False
        assert (await revoke(sup)).status_code == 409
        r = await decide(peer, y1)
        assert r.status_code == 403, r.text
        assert await ids(peer) == {z1}
        assert (await decide(sup, y1)).status_code == 200  # the superior still decides

        # An admin delegates for someone else; it is recorded as created by the admin.
        r = await new((org.admin, "admin"), {"delegator_nip": peer, "delegate_nip": sup,
                                             "from": (day + timedelta(days=1)).isoformat(),
                                             "until": (day + timedelta(days=2)).isoformat()})
        assert r.status_code == 201, r.text
        assert (r.json()["delegator_nip"], r.json()["created_by"], r.json()["active"]) == (peer, org.admin, False)
        assert (await http.post(approval + f"/v1/delegations/{r.json()['id']}/revoke",
                                headers=token(org.admin, "admin"))).status_code == 200

        verify = (await http.get(approval + "/v1/audit/verify", headers=token(org.admin, "inspektorat"))).json()
        assert verify["ok"] is True, verify

    records = await read_topic(kafka_bootstrap, "approval.decided.v1",
                               lambda rec: json.loads(rec.value)["activity_id"] in (x1, x2, y1), expect=3)
    decided = {json.loads(r.value)["activity_id"]: json.loads(r.value) for r in records}
    assert {a: (e["approver_nip"], e["on_behalf_of"]) for a, e in decided.items()} == {
        x1: (peer, sup), x2: (peer, sup), y1: (sup, None)}
