"""Revise and withdraw through all the services, against the real broker and PostgreSQL: a returned
activity, corrected, goes back to the same superior; a withdrawn one leaves the superior's inbox.
(Runs before test_flow.py, which closes the running month.)"""

from __future__ import annotations

import asyncio
import hashlib
import uuid

import httpx
import pytest

from support import PDF, eventually, import_org, post_activity, read_topic, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def _post(http, services, nip, start, end):
    r = await post_activity(http, services, nip, start_time=start, end_time=end, type_code="SURAT-MASUK", quantity=1)
    return r if r.status_code == 201 else None


async def _waiting_with_b(http, services, org, nip, start, end) -> str:
    """An activity of `nip` logged and routed to B's inbox; its id."""
    await import_org(http, services, org)
    r = await eventually(lambda: _post(http, services, nip, start, end))
    await eventually(_task_in(http, services, org.b, r.json()["id"]))
    return r.json()["id"]


def _task_in(http, services, approver, activity_id, **expect):
    async def check():
        inbox = (await http.get(services.url("approval") + "/v1/inbox", headers=token(approver))).json()
        task = next((t for t in inbox if t["activity_id"] == activity_id), None)
        return task if task and all(task[k] == v for k, v in expect.items()) else None
    return check


async def test_a_returned_activity_is_revised_back_to_the_same_superior(services, org):
    activities = services.url("activity") + "/v1/activities"
    async with httpx.AsyncClient(timeout=30) as http:
        activity_id = await _waiting_with_b(http, services, org, org.a, "12:00", "12:30")
        decide = services.url("approval") + f"/v1/approvals/{activity_id}/decision"
        assert (await http.post(decide, json={"decision": "return", "reason": "volume salah"},
                                headers=token(org.b))).status_code == 200

        async def returned():
            got = (await http.get(f"{activities}/{activity_id}", headers=token(org.a))).json()
            return got if got["status"] == "returned" else None
        assert (await eventually(returned))["decision_reason"] == "volume salah"

        # Nobody else may revise it; server-owned fields are refused; an overlap is a conflict.
        assert (await http.patch(f"{activities}/{activity_id}", json={"quantity": 3},
                                 headers=token(org.d))).status_code == 404
        r = await http.patch(f"{activities}/{activity_id}", json={"quantity": 3, "status": "approved"},
                             headers=token(org.a))
        assert r.status_code == 422 and "status" in [e["field"] for e in r.json()["errors"]]
        await eventually(lambda: _post(http, services, org.a, "13:00", "13:30"))
        r = await http.patch(f"{activities}/{activity_id}", json={"end_time": "13:10"}, headers=token(org.a))
        assert r.status_code == 409 and r.json()["errors"][0]["field"] == "start_time"

        r = await http.patch(f"{activities}/{activity_id}", json={"quantity": 3}, headers=token(org.a))
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["revision"], r.json()["quantity"]) == ("revised", 1, 3)

        # Priced again (3 x 10 minutes) and back with B, pending.
        task = await eventually(_task_in(http, services, org.b, activity_id, minutes=30), timeout=60)
        assert task["status"] == "pending" and task["assignee_nip"] == org.b
        # (Rejected, not approved: test_flow.py counts A's approved minutes of this month.)
        assert (await http.post(decide, json={"decision": "reject", "reason": "bukan tugas"},
                                headers=token(org.b))).status_code == 200

        async def rejected():
            got = (await http.get(f"{activities}/{activity_id}", headers=token(org.a))).json()
            return got if got["status"] == "rejected" else None
        assert (await eventually(rejected))["minutes"] == 30
        r = await http.patch(f"{activities}/{activity_id}", json={"quantity": 4}, headers=token(org.a))
        assert r.status_code == 409 and "rejected" in r.json()["detail"]
        r = await http.post(f"{activities}/{activity_id}/withdraw", headers=token(org.a))
        assert r.status_code == 409 and "rejected" in r.json()["detail"]


async def test_a_withdrawn_activity_leaves_the_superiors_inbox(services, org):
    activities = services.url("activity") + "/v1/activities"
    async with httpx.AsyncClient(timeout=30) as http:
        activity_id = await _waiting_with_b(http, services, org, org.d, "14:00", "14:30")
        assert (await http.post(f"{activities}/{activity_id}/withdraw", headers=token(org.a))).status_code == 404
        r = await http.post(f"{activities}/{activity_id}/withdraw", json={"reason": "salah input"},
                            headers=token(org.d))
        assert r.status_code == 200 and r.json()["status"] == "withdrawn"

        async def gone():
            inbox = (await http.get(services.url("approval") + "/v1/inbox", headers=token(org.b))).json()
            return all(t["activity_id"] != activity_id for t in inbox)
        await eventually(gone, timeout=60)
        decide = services.url("approval") + f"/v1/approvals/{activity_id}/decision"
        r = await http.post(decide, json={"decision": "approve"}, headers=token(org.b))
        assert r.status_code == 409 and "cancelled" in r.json()["detail"]
        # Its time span is free again.
        assert await eventually(lambda: _post(http, services, org.d, "14:00", "14:30"))


async def test_a_retried_submit_with_its_idempotency_key_logs_one_activity(services, org, kafka_bootstrap):
    url = services.url("activity") + "/v1/activities"
    body = {"type_code": "SURAT-MASUK", "date": today(), "start_time": "15:00", "end_time": "15:20", "quantity": 1,
            "description": "Agenda surat masuk"}
    key = {"Idempotency-Key": f"phone-{uuid.uuid4()}"}
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        first = await eventually(lambda: _with_key(http, url, body, {**token(org.d), **key}))
        again = await http.post(url, json=body, headers={**token(org.d), **key})
        assert again.status_code == 201 and again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        r = await http.post(url, json={**body, "quantity": 2}, headers={**token(org.d), **key})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "Idempotency-Key"

        # Twins racing on a flaky connection: both answered with the one activity.
        twin_key = {"Idempotency-Key": f"phone-{uuid.uuid4()}"}
        twin_body = {**body, "start_time": "15:30", "end_time": "15:50"}
        a, b = await asyncio.gather(*(http.post(url, json=twin_body, headers={**token(org.d), **twin_key})
                                      for _ in range(2)))
        assert (a.status_code, b.status_code) == (201, 201) and a.json()["id"] == b.json()["id"]

        for activity_id in (first.json()["id"], a.json()["id"]):
            records = await read_topic(kafka_bootstrap, "activity.submitted.v1",
                                       lambda rec, i=activity_id: i.encode() in rec.value, expect=1)
            assert len(records) == 1, "one event for one activity"
        own = (await http.get(url, params={"month": today()[:7]}, headers=token(org.d))).json()
        assert sum(1 for x in own if x["start_time"] in ("15:00:00", "15:30:00")) == 2


async def _with_key(http, url, body, headers):
    r = await http.post(url, json=body, headers=headers)
    return r if r.status_code == 201 else None


async def test_evidence_is_required_sniffed_stored_and_shown_to_the_superior_only(services, org):
    activity = services.url("activity") + "/v1/activities"
    async with httpx.AsyncClient(timeout=60) as http:
        # The org CSV as a multipart upload (before: the part was never recognised as a file).
        r = await http.post(services.url("activity") + "/v1/org/import", headers=token(org.admin, "admin"),
                            files=[("file", ("org.csv", org.csv().encode(), "text/csv"))])
        assert r.status_code == 200 and r.json()["imported"] == 4, r.text
        kw = dict(start_time="18:00", end_time="18:30", quantity=1)  # LAPORAN: evidence required
        async def refused_for_evidence():  # (until the catalog reaches activity, it is refused for type_code)
            r = await post_activity(http, services, org.d, **kw)
            return r if r.status_code == 422 and "evidence" in [e["field"] for e in r.json()["errors"]] else None
        await eventually(refused_for_evidence)
        script = b"#!/bin/sh\nrm -rf /\n"
        r = await post_activity(http, services, org.d, evidence=[("../../etc/photo.jpg", script)], **kw)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "evidence", r.text
        big = b"%PDF-" + b"0" * (10 * 1024 * 1024)
        r = await post_activity(http, services, org.d, evidence=[("big.pdf", big)], **kw)
        assert r.status_code == 413 and r.json()["errors"][0]["field"] == "evidence", r.text
        assert [a for a in (await http.get(activity, params={"month": today()[:7]}, headers=token(org.d))).json()
                if a["start_time"] == "18:00:00"] == [], "refusals leave nothing behind"

        r = await post_activity(http, services, org.d, evidence=[("laporan.pdf", PDF)], **kw)
        assert r.status_code == 201, r.text
        created = r.json()
        [sha] = created["evidence"]
        assert sha == hashlib.sha256(PDF).hexdigest()
        download = f"{activity}/{created['id']}/evidence/{sha}"
        got = await http.get(download, headers=token(org.b))  # D's atasan
        assert got.status_code == 200 and got.content == PDF and got.headers["content-type"] == "application/pdf"
        assert (await http.get(download, headers=token(org.a))).status_code == 404  # a peer
        assert (await http.get(download, headers=token(org.admin, "inspektorat"))).status_code == 200

        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
        r = await http.post(f"{activity}/{created['id']}/evidence", files=[("evidence", ("foto.pdf", png, "x/y"))],
                            headers=token(org.d))
        assert r.status_code == 200 and len(r.json()["evidence"]) == 2, r.text
        assert (await http.post(f"{activity}/{created['id']}/evidence", files=[("evidence", ("x.png", png, "x/y"))],
                                headers=token(org.a))).status_code == 404
        png_sha = hashlib.sha256(png).hexdigest()
        got = await http.get(f"{activity}/{created['id']}/evidence/{png_sha}", headers=token(org.d))
        assert got.headers["content-type"] == "image/png", "the type comes from the bytes, not the name or header"



async def test_lists_page_with_cursors(services, org):
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        for start, end in (("20:00", "20:20"), ("20:30", "20:50")):
            r = await eventually(lambda: _post(http, services, org.d, start, end))
            await eventually(_task_in(http, services, org.b, r.json()["id"]))  # settled before the walk
        for url, params, who in ((services.url("activity") + "/v1/activities", {"month": today()[:7]}, org.d),
                                 (services.url("approval") + "/v1/inbox", {}, org.b)):
            everything = (await http.get(url, params={**params, "limit": 500}, headers=token(who))).json()
            assert len(everything) >= 3
            seen, cursor = [], None
            for _ in range(len(everything) + 2):  # bounded walk
                r = await http.get(url, params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})},
                                   headers=token(who))
                seen += [x.get("id") or x["task_id"] for x in r.json()]
                cursor = r.headers.get("x-next-cursor")
                if not cursor:
                    break
                assert 'rel="next"' in r.headers["link"]
            assert seen == [x.get("id") or x["task_id"] for x in everything], url
            r = await http.get(url, params={**params, "cursor": "bm90LWEtY3Vyc29y"}, headers=token(who))
            assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor"
