"""Bad input gets a clear 4xx and leaves nothing stored and nothing published."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from kinerja_contracts.topics import ACTIVITY_SUBMITTED, APPROVAL_DECIDED
from support import eventually, import_org, post_activity, read_topic, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def end_offsets(bootstrap: str, topic: str) -> dict:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap)  # subscribing loads its metadata
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        return await consumer.end_offsets(parts)
    finally:
        await consumer.stop()


async def own_activities(http, services, nip) -> list:
    r = await http.get(services.url("activity") + "/v1/activities", params={"month": today()[:7]}, headers=token(nip))
    assert r.status_code == 200
    return r.json()


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def test_tokens_are_required_and_verified(services, org, http):
    for service, path in [("activity", "/v1/activities?month=2026-11"), ("scoring", "/v1/catalog"),
                          ("approval", "/v1/inbox"), ("tpp", f"/v1/tpp/2026-11/{org.a}"),
                          ("notify", "/v1/notifications")]:
        url = services.url(service) + path
        r = await http.get(url)
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
        assert (await http.get(url, headers=token(org.a, audience="someone-else"))).status_code == 401
        assert (await http.get(url, headers=token(org.a, secret="not-the-secret"))).status_code == 401
        assert (await http.get(url, headers={"Authorization": "Bearer garbage"})).status_code == 401
        assert (await http.get(url, headers=token(org.a))).status_code in (200, 404)  # 404: no slip yet
    r = await http.post(services.url("activity") + "/v1/org/import", content=org.csv(),
                        headers={**token(org.a), "content-type": "text/csv"})
    assert r.status_code == 403  # pegawai is not admin


async def test_rejected_bodies_leave_nothing_behind(services, org, http, kafka_bootstrap):
    await import_org(http, services, org)
    good = await eventually(lambda: _submitted(http, services, org.d, start_time="13:00", end_time="13:30",
                                               type_code="SURAT-MASUK", quantity=1))
    before_rows = await own_activities(http, services, org.d)
    # Wait until the relay has published the good one, so only a leak could move the offsets.
    await read_topic(kafka_bootstrap, ACTIVITY_SUBMITTED, lambda r: good.json()["id"].encode() in r.value)
    before_offsets = await end_offsets(kafka_bootstrap, ACTIVITY_SUBMITTED)

    cases = [
        ({"type_code": "NO-SUCH-TYPE"}, 422, "type_code"),
        ({"date": "not-a-date"}, 422, "date"),
        ({"quantity": 0}, 422, "quantity"),
        ({"status": "approved"}, 422, "status"),
        ({"points": 999}, 422, "points"),
        ({"nip": org.b}, 422, "nip"),
        ({"start_time": "10:00", "end_time": "09:00"}, 422, "end_time"),
        ({"start_time": "13:15", "end_time": "14:00", "type_code": "SURAT-MASUK"}, 409, "start_time"),
        ({"date": "2020-01-02"}, 422, "date"),
    ]
    for overrides, status, field in cases:
        r = await post_activity(http, services, org.d, **overrides)
        assert r.status_code == status, (overrides, r.text)
        problem = r.json()
        assert r.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in problem.get("errors", [])] or field in problem.get("detail", ""), problem
    r = await http.post(services.url("activity") + "/v1/activities", content=b"{not json",
                        headers={**token(org.d), "content-type": "application/json"})
    assert r.status_code == 422
    missing = dict(type_code="LAPORAN", start_time="08:00", end_time="09:00", quantity=1, description="x")
    r = await http.post(services.url("activity") + "/v1/activities", json=missing, headers=token(org.d))
    assert r.status_code == 422 and "date" in [e["field"] for e in r.json()["errors"]]

    await asyncio.sleep(2.0)  # a leaked event would be published within the relay's poll (0.2 s)
    assert [a["id"] for a in await own_activities(http, services, org.d)] == [a["id"] for a in before_rows]
    assert await end_offsets(kafka_bootstrap, ACTIVITY_SUBMITTED) == before_offsets
    assert good.json()["id"] in [a["id"] for a in before_rows]


async def _submitted(http, services, nip, **overrides):
    r = await post_activity(http, services, nip, **overrides)
    return r if r.status_code == 201 else None


async def test_object_level_authorization(services, org, http, kafka_bootstrap):
    await import_org(http, services, org)
    r = await eventually(lambda: _submitted(http, services, org.a, start_time="15:00", end_time="15:30",
                                            type_code="SURAT-MASUK", quantity=3))
    activity_id = r.json()["id"]

    # A's atasan may read it (to decide it); another employee gets 404, as for a missing one.
    assert (await http.get(services.url("activity") + f"/v1/activities/{activity_id}",
                           headers=token(org.b))).status_code == 200
    assert (await http.get(services.url("activity") + f"/v1/activities/{activity_id}",
                           headers=token(org.d))).status_code == 404
    assert (await http.get(services.url("activity") + f"/v1/activities/{uuid.uuid4()}",
                           headers=token(org.a))).status_code == 404

    async def task_open():
        inbox = (await http.get(services.url("approval") + "/v1/inbox", headers=token(org.b))).json()
        return any(t["activity_id"] == activity_id for t in inbox)
    await eventually(task_open)
    before = await end_offsets(kafka_bootstrap, APPROVAL_DECIDED)
    decide = services.url("approval") + f"/v1/approvals/{activity_id}/decision"
    # Not the assignee (the head of unit is B's superior, not A's) -> 403; nobody decides their own.
    assert (await http.post(decide, json={"decision": "approve"}, headers=token(org.head))).status_code == 403
    assert (await http.post(decide, json={"decision": "approve"}, headers=token(org.a))).status_code == 403
    r = await http.post(decide, json={"decision": "reject"}, headers=token(org.b))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = await http.post(decide, json={"decision": "maybe"}, headers=token(org.b))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "decision"
    r = await http.post(services.url("approval") + f"/v1/approvals/{uuid.uuid4()}/decision",
                        json={"decision": "approve"}, headers=token(org.b))
    assert r.status_code == 404
    await asyncio.sleep(2.0)  # a leaked decision would be published within the relay's poll (0.2 s)
    assert await end_offsets(kafka_bootstrap, APPROVAL_DECIDED) == before
    assert await task_open(), "the task is still pending after the refused decisions"

    # The assignee returns it with a reason; a second decision conflicts.
    r = await http.post(decide, json={"decision": "return", "reason": "Lampirkan bukti"}, headers=token(org.b))
    assert r.status_code == 200 and r.json()["status"] == "returned"
    assert (await http.post(decide, json={"decision": "approve"}, headers=token(org.b))).status_code == 409
