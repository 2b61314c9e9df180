"""One activity through all five services, against the real broker and PostgreSQL.

Tests run in file order; the flow test closes the running month, so tests that log activities
in it come first."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import asyncpg
import httpx
import pytest

from aiokafka import AIOKafkaProducer

from kinerja_contracts.topics import APPROVAL_DECIDED, TPP_COMPUTED
from kinerja_contracts.tpp.v1 import TppComputedV1
from support import PDF, eventually, import_org, post_activity, read_topic, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def test_trace_and_ops_endpoints(services, org, kafka_bootstrap):
    """One trace id follows an activity across Kafka hops; ops endpoints answer."""
    from kinerja_contracts.topics import ACTIVITY_SCORED, ACTIVITY_SUBMITTED, APPROVAL_REQUESTED

    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        r = await eventually(lambda: _created(http, services, org.a))
        activity_id = r.json()["id"]

        def about(rec) -> bool:
            return activity_id.encode() in rec.value

        trace_ids = []
        for topic in (ACTIVITY_SUBMITTED, ACTIVITY_SCORED, APPROVAL_REQUESTED):
            [rec] = await read_topic(kafka_bootstrap, topic, about)
            headers = dict((k, v.decode()) for k, v in rec.headers)
            trace_ids.append(headers["traceparent"].split("-")[1])
        assert len(set(trace_ids)) == 1, trace_ids

        async def logged_with_trace():
            lines = [json.loads(line) for line in services.log("approval").splitlines() if line.startswith("{")]
            return [x for x in lines if x.get("trace_id") == trace_ids[0] and x.get("event_id")]
        [entry, *_] = await eventually(logged_with_trace)
        assert entry["service"] == "approval" and entry["topic"] == ACTIVITY_SCORED

        for name in ("activity", "scoring", "approval", "tpp", "notify"):
            assert (await http.get(services.url(name) + "/health/live")).status_code == 200
            assert (await http.get(services.url(name) + "/health/ready")).status_code == 200
        # One API request of its own (health probes are not timed): the test holds alone too.
        assert (await http.get(services.url("approval") + "/v1/inbox", headers=token(org.b))).status_code == 200
        metrics = (await http.get(services.url("approval") + "/metrics")).text
        assert 'kinerja_messages_consumed_total{group="kinerja-approval",outcome="processed",topic="activity.scored.v1"}' in metrics
        assert "kinerja_http_request_seconds_bucket" in metrics

        async def lag_exported():
            text = (await http.get(services.url("approval") + "/metrics")).text
            return 'kinerja_consumer_lag{group="kinerja-approval"' in text
        await eventually(lambda: lag_exported(), timeout=20)


async def _created(http, services, nip, start="16:00", end="16:30"):
    r = await post_activity(http, services, nip, start_time=start, end_time=end, type_code="SURAT-MASUK",
                            quantity=1)
    return r if r.status_code == 201 else None


async def test_crashed_services_lose_nothing(services, org, kafka_bootstrap):
    """SIGKILL the producer between its commit and its publish (a fault hook holds the relay, so
    the window is hit every time) and the consumer before it reads: after restarts the activity
    reaches the superior's inbox, and each hop carried it exactly once (counted on the topics)."""
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        services.kill("activity")
        services.start(only="activity", env={"KINERJA_FAULT_RELAY_HOLD_SECONDS": "60"})
        await services.wait_ready(only="activity")
        services.kill("scoring")
        r = await eventually(lambda: _created(http, services, org.a, "17:00", "17:30"))
        activity_id = r.json()["id"]
        assert await _unsent_outbox_rows(services.database_urls["activity"], activity_id) == 1, \
            "the 201 came after the commit; the event is not published yet"
        services.kill("activity")  # crash inside the commit -> publish window
        services.start(only="activity")
        services.start(only="scoring")
        await services.wait_ready(only="activity")
        await services.wait_ready(only="scoring")

        async def tasks():
            inbox = (await http.get(services.url("approval") + "/v1/inbox", params={"limit": 500},
                                    headers=token(org.b))).json()
            return [t for t in inbox if t["activity_id"] == activity_id]
        assert len(await eventually(tasks, timeout=60)) == 1
        async def priced():
            got = (await http.get(services.url("activity") + f"/v1/activities/{activity_id}",
                                  headers=token(org.a))).json()
            return got if got["status"] == "pending_approval" else None
        assert (await eventually(priced, timeout=60))["minutes"] == 10
        mine = lambda rec: activity_id.encode() in rec.value  # noqa: E731
        for topic in ("activity.submitted.v1", "activity.scored.v1", "approval.requested.v1"):
            records = await read_topic(kafka_bootstrap, topic, mine, expect=1)
            assert len(records) == 1, f"{topic}: {len(records)} records for one activity"


async def _unsent_outbox_rows(database_url: str, activity_id: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND payload LIKE $1",
                                   f"%{activity_id}%")
    finally:
        await conn.close()


async def test_activity_flows_from_intake_to_payroll_and_notifications(services, org, kafka_bootstrap):
    async with httpx.AsyncClient(timeout=30) as http:
        # 1. An admin imports the organisation.
        result = await import_org(http, services, org)
        assert result["imported"] == 4 and result["errors"] == []

        # 2. The catalog reaches activity from scoring over Kafka; A logs an activity.
        catalog = await http.get(services.url("scoring") + "/v1/catalog", headers=token(org.a))
        assert catalog.status_code == 200
        laporan = next(t for t in catalog.json() if t["code"] == "LAPORAN")
        assert laporan["standard_minutes"] == 120

        async def submitted():  # LAPORAN requires evidence
            r = await post_activity(http, services, org.a, evidence=[("laporan.pdf", PDF)])
            return r if r.status_code == 201 else None
        r = await eventually(submitted)
        activity = r.json()
        assert activity["status"] == "submitted" and activity["nip"] == org.a

        # 3. Scoring prices it; approval opens a task in B's inbox.
        async def in_inbox():
            inbox = (await http.get(services.url("approval") + "/v1/inbox", params={"limit": 500},
                                    headers=token(org.b))).json()
            return next((t for t in inbox if t["activity_id"] == activity["id"]), None)
        task = await eventually(in_inbox)
        assert task["minutes"] == 240 and task["nip"] == org.a and task["status"] == "pending"

        # 4. B approves over HTTP.
        r = await http.post(services.url("approval") + f"/v1/approvals/{activity['id']}/decision",
                            json={"decision": "approve"}, headers=token(org.b))
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "approved"

        async def activity_approved():
            got = (await http.get(services.url("activity") + f"/v1/activities/{activity['id']}",
                                  headers=token(org.a))).json()
            return got if got["status"] == "approved" else None
        assert (await eventually(activity_approved))["minutes"] == 240

        period = activity["date"][:7]  # not today(): a run may cross midnight at a month's end

        async def performance_counted():
            p = (await http.get(services.url("scoring") + f"/v1/performance/{org.a}/{period}",
                                headers=token(org.a))).json()
            return p if p["approved_minutes"] == 240 else None
        perf = await eventually(performance_counted)
        assert perf["target_minutes"] == perf["workdays"] * 300

        async def tpp_has_inputs():
            s = (await http.get(services.url("tpp") + f"/v1/tpp/{period}/{org.a}", headers=token(org.a))).json()
            return s if s.get("productivity") not in (None, "0", "0.00000") else None
        preview = await eventually(tpp_has_inputs)
        assert preview["status"] == "preview"

        # 5. An admin closes the month.
        close = services.url("tpp") + f"/v1/periods/{period}/close"
        r = await http.post(close, headers=token(org.admin, "admin"))
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "period"  # the month is running
        r = await http.post(close, params={"allow_early": "true"}, headers=token(org.admin, "admin"))
        assert r.status_code == 200, r.text
        closed = r.json()
        assert closed["employee_count"] >= 4
        again = await http.post(close, params={"allow_early": "true"}, headers=token(org.admin, "admin"))
        assert again.status_code == 409

        # 6. tpp.computed.v1 carries one record per active employee, keyed by NIP.
        ours = {org.head, org.b, org.a, org.d}
        records = await read_topic(kafka_bootstrap, TPP_COMPUTED,
                                   lambda rec: rec.key.decode() in ours, expect=4)
        by_nip = {}
        for rec in records:
            ev = TppComputedV1.model_validate_json(rec.value)
            assert rec.key.decode() == ev.nip
            headers = dict((k, v.decode()) for k, v in rec.headers)
            assert headers["event-type"] == "tpp.computed" and headers["schema-version"] == "1"
            by_nip[ev.nip] = ev
        assert set(by_nip) == ours and len(records) == 4
        a = by_nip[org.a]
        assert (a.period, a.revision) == (period, 1)
        assert a.base_amount == 6_000_000  # kelas 9, PNS, whole month
        raw = json.loads(records[[r.key.decode() for r in records].index(org.a)].value)
        for field in ("base_amount", "kinerja_amount", "disiplin_amount", "deductions", "total_amount"):
            assert isinstance(raw[field], int)
        expected = (Decimal(6_000_000) * Decimal("0.6") * 240 / (perf["workdays"] * 300)).quantize(
            Decimal(1), ROUND_HALF_UP)
        assert a.kinerja_amount == int(expected)
        assert a.disiplin_amount == 2_400_000
        assert a.total_amount == a.kinerja_amount + a.disiplin_amount - a.deductions
        assert by_nip[org.d].base_amount == 3_000_000 * 8 // 10  # kelas 5, CPNS 80%
        assert by_nip[org.d].kinerja_amount == 0  # no approved work

        # A closed month takes no more activities (activity learns it from tpp.period.closed.v1).
        async def refused_in_closed_month():
            r = await post_activity(http, services, org.a, start_time="19:00", end_time="19:30",
                                    type_code="SURAT-MASUK", quantity=1)
            assert r.status_code in (201, 422), r.text
            return r if r.status_code == 422 else None
        refused = await eventually(refused_in_closed_month)
        assert "closed" in refused.json()["detail"]

        slip = (await http.get(services.url("tpp") + f"/v1/tpp/{period}/{org.a}", headers=token(org.a))).json()
        assert slip["status"] == "final" and slip["total_amount"] == a.total_amount
        assert {line["code"] for line in slip["breakdown"]} >= {"base", "productivity", "kinerja", "disiplin", "total"}

        # 7. A and B find their notifications.
        async def notified(nip, kind):
            items = (await http.get(services.url("notify") + "/v1/notifications", headers=token(nip))).json()
            return [n for n in items if n["kind"] == kind]
        assert await eventually(lambda: notified(org.b, "approval.requested"))
        assert await eventually(lambda: notified(org.a, "approval.decided"))
        tpp_note = await eventually(lambda: notified(org.a, "tpp.computed"))
        assert tpp_note[0]["data"]["total_amount"] == a.total_amount

        # 8. A redelivered decision (same event-id) changes nothing in scoring or notify.
        [decided] = await read_topic(kafka_bootstrap, APPROVAL_DECIDED, lambda rec: activity["id"].encode() in rec.value)
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(APPROVAL_DECIDED, decided.value, key=decided.key, headers=list(decided.headers))
        finally:
            await producer.stop()

        async def duplicate_seen(service, group):
            text = (await http.get(services.url(service) + "/metrics")).text
            return f'kinerja_messages_consumed_total{{group="{group}",outcome="duplicate",topic="approval.decided.v1"}}' in text
        await eventually(lambda: duplicate_seen("scoring", "kinerja-scoring"))
        await eventually(lambda: duplicate_seen("notify", "kinerja-notify"))
        again = (await http.get(services.url("scoring") + f"/v1/performance/{org.a}/{period}", headers=token(org.a))).json()
        assert again["approved_minutes"] == 240
        decided_notes = [n for n in await notified(org.a, "approval.decided") if n["data"]["activity_id"] == activity["id"]]
        assert len(decided_notes) == 1


async def test_concurrent_closes_of_one_period_give_one_close(services, org):
    previous = (date.fromisoformat(today()).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    async with httpx.AsyncClient(timeout=60) as http:
        await import_org(http, services, org)
        url = services.url("tpp") + f"/v1/periods/{previous}/close"
        responses = await asyncio.gather(*(http.post(url, headers=token(org.admin, "admin")) for _ in range(2)))
        assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
