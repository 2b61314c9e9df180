"""In-app notifications (issue 12) against the real broker and PostgreSQL: a superior's open stream
(server-sent events) gets the new task within seconds of the submit, a reconnect with
Last-Event-ID gets only what is newer, unread count and read-all, preferences round-trip, a
redelivered event (same event-id) stores nothing twice, and many tasks within the window become
one digest whose updates the stream sends as new events. A unit of its own (unique NIPs), so the
other tests' months and notifications are untouched."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from kinerja_contracts.topics import APPROVAL_REQUESTED
from support import eventually, import_org, post_activity, read_topic, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def sse_events(response: httpx.Response):
    """The events of a text/event-stream response as dicts (id, event, data parsed as JSON)."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line == "":
            if "data" in fields:
                yield {**fields, "data": json.loads(fields["data"])}
            fields = {}
        elif not line.startswith(":"):  # a comment (the heartbeat) is skipped
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            fields[name] = fields[name] + "\n" + value if name == "data" and name in fields else value


async def read_until(events, wanted, timeout: float) -> list[dict]:
    """Events read until one satisfies `wanted` (all of them, that one last), or fail at `timeout`."""
    got: list[dict] = []
    try:
        async with asyncio.timeout(timeout):
            async for e in events:
                got.append(e)
                if wanted(e):
                    return got
    except TimeoutError:
        pass
    raise AssertionError(f"no wanted event within {timeout}s; got {[(e['id'], e['data']['kind']) for e in got]}")


def duplicates(metrics: str, topic: str) -> float:
    total = 0.0
    for line in metrics.splitlines():
        if line.startswith("kinerja_messages_consumed_total{") and 'outcome="duplicate"' in line \
                and f'topic="{topic}"' in line and 'group="kinerja-notify"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_inapp_stream_resume_counts_preferences_redelivery_and_digest(services, org, kafka_bootstrap):
    notify = services.url("notify") + "/v1/notifications"
    run = org.b[10:16]
    sup, x, y = (f"1981060620{run}{t}" for t in ("31", "32", "33"))
    unit = ("nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
            f"{sup},Rina Kasubag,DISDUK,Disdukcapil,Kepala Subbagian,struktural,IV.a,9,{org.head},PNS\n"
            f"{x},Yosef,DISDUK,Disdukcapil,Staf,pelaksana,,5,{sup},PNS\n"
            f"{y},Wulan,DISDUK,Disdukcapil,Staf,pelaksana,,5,{sup},PNS\n")
    slots = iter([(f"{h:02d}:{m:02d}", f"{h:02d}:{m + 4:02d}") for h in (19, 20, 21) for m in range(0, 60, 5)])

    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as http:
        await import_org(http, services, org)
        r = await http.post(services.url("activity") + "/v1/org/import", content=unit,
                            headers={**token(org.admin, "admin"), "content-type": "text/csv"})
        assert r.status_code == 200, r.text

        async def submit(who: str) -> str:
            start, end = next(slots)

            async def submitted():
                r = await post_activity(http, services, who, type_code="SURAT-MASUK", quantity=1,
                                        start_time=start, end_time=end)
                return r if r.status_code == 201 else None
            return (await eventually(submitted)).json()["id"]

        async def mine(nip: str, kind: str | None = None) -> list[dict]:
            items = (await http.get(notify, params={"limit": 500}, headers=token(nip))).json()
            return [n for n in items if kind is None or n["kind"] == kind]

        # 1. The superior's open stream gets the new task within seconds of the submit.
        async with http.stream("GET", notify + "/stream", headers=token(sup)) as stream:
            assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
            events = sse_events(stream)
            submitted_at = time.monotonic()
            first_activity = await submit(x)
            [*_, first] = await read_until(events, lambda e: e["data"]["data"].get("activity_id") == first_activity,
                                           timeout=60)
            delay = time.monotonic() - submitted_at
        assert first["event"] == "notification" and first["data"]["kind"] == "approval.requested"
        assert int(first["id"]) == first["data"]["id"]
        assert delay < 15, f"submit → stream event took {delay:.1f}s"

        # 2. A reconnect with Last-Event-ID gets only what is newer, the newer one first.
        second_activity = await submit(y)
        await eventually(lambda: _has(mine(sup, "approval.requested"), second_activity), timeout=60)
        async with http.stream("GET", notify + "/stream", headers={**token(sup), "Last-Event-ID": first["id"]}) as again:
            got = await read_until(sse_events(again), lambda e: e["data"]["data"].get("activity_id") == second_activity,
                                   timeout=20)
        assert all(int(e["id"]) > int(first["id"]) for e in got)
        assert first_activity not in [e["data"]["data"].get("activity_id") for e in got]
        # ?last_event_id= does the same where a client cannot set the header.
        async with http.stream("GET", notify + "/stream", params={"last_event_id": first["id"]},
                               headers=token(sup)) as again:
            [*_, resumed] = await read_until(sse_events(again), lambda e: True, timeout=20)
        assert int(resumed["id"]) > int(first["id"])
        r = await http.get(notify + "/stream", headers={**token(sup), "Last-Event-ID": "zwei"})
        assert r.status_code == 422

        # 3. Unread count and read-all.
        unread = len((await http.get(notify, params={"unread": "true", "limit": 500}, headers=token(sup))).json())
        assert unread >= 2
        assert (await http.get(notify + "/unread-count", headers=token(sup))).json() == {"unread": unread}
        assert (await http.post(notify + "/read-all", headers=token(sup))).json() == {"marked": unread}
        assert (await http.get(notify + "/unread-count", headers=token(sup))).json() == {"unread": 0}
        assert all(n["read_at"] for n in await mine(sup))

        # 4. Preferences round-trip (the caller's own).
        assert (await http.get(notify + "/preferences", headers=token(y))).json() == {
            "email": None, "channels": {"in_app": True, "email": False, "push": False}, "quiet_hours": None,
            "digest": True}
        prefs = {"email": "wulan@example.go.id", "channels": {"in_app": True, "email": True, "push": True},
                 "quiet_hours": {"start": "21:00", "end": "05:30"}, "digest": False}
        r = await http.put(notify + "/preferences", json=prefs, headers=token(y))
        assert r.status_code == 200 and r.json() == prefs
        assert (await http.get(notify + "/preferences", headers=token(y))).json() == prefs
        assert (await http.get(notify + "/preferences", headers=token(x))).json()["digest"] is True
        r = await http.put(notify + "/preferences", json={**prefs, "email": None}, headers=token(y))
        assert r.status_code == 422 and "email" in r.text

        # 5. The same event redelivered (same event-id) stores nothing twice.
        before = duplicates((await http.get(services.url("notify") + "/metrics")).text, APPROVAL_REQUESTED)
        [record] = await read_topic(kafka_bootstrap, APPROVAL_REQUESTED, lambda rec: first_activity.encode() in rec.value)
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(APPROVAL_REQUESTED, record.value, key=record.key, headers=list(record.headers))
        finally:
            await producer.stop()

        async def redelivery_seen():
            return duplicates((await http.get(services.url("notify") + "/metrics")).text, APPROVAL_REQUESTED) > before
        await eventually(redelivery_seen)
        notes = [n for n in await mine(sup, "approval.requested") if n["data"]["activity_id"] == first_activity]
        assert len(notes) == 1

        # 6. Many tasks within the window: the first five one by one, then one digest, updated; the
        # open stream sends each update as a new event (same digest id, a higher count).
        async with http.stream("GET", notify + "/stream", headers=token(sup)) as stream:
            events = sse_events(stream)
            more = [await submit(x if i % 2 else y) for i in range(6)]  # 8 tasks in the window with 1. and 2.
            got = await read_until(events, lambda e: e["data"]["kind"] == "approval.digest"
                                   and e["data"]["data"]["count"] == 8, timeout=90)
        digests = [e for e in got if e["data"]["kind"] == "approval.digest"]
        assert len({e["data"]["data"]["digest_id"] for e in digests}) == 1
        assert [int(e["id"]) for e in digests] == sorted(int(e["id"]) for e in digests)
        assert digests[-1]["data"]["title"] == "8 aktivitas menunggu persetujuan Anda"
        # (x's and y's tasks come on different partitions: which three of `more` stayed individual varies)
        individual = {n["data"]["activity_id"] for n in await mine(sup, "approval.requested")}
        assert len(individual) == 5 and {first_activity, second_activity} <= individual <= {
            first_activity, second_activity, *more}
        [digest] = await mine(sup, "approval.digest")  # one row per window: the latest update
        assert digest["data"]["count"] == 8 and digest["id"] == int(digests[-1]["id"])
        assert digest["data"]["latest"]["activity_id"] in set(more) - individual


async def _has(items_coro, activity_id: str) -> bool:
    return any(n["data"].get("activity_id") == activity_id for n in await items_coro)
