"""Fault scenarios under load (issue 7). The quick ones run in `make test`; `make faults`
(KINERJA_FAULTS_SCENARIOS=full) runs them all. Each prints its counts in the end-of-run table."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from faults.checker import read_all, wait_healed
from faults.report import FULL
from faults.scenario import at_random, run

pytestmark = [pytest.mark.infra, pytest.mark.timeout(900)]
full_only = pytest.mark.skipif(not FULL, reason="full fault suite: make faults")
PG_OUTAGE_SECONDS = 30 if FULL else 10


def assert_ok(result: dict) -> None:
    assert result["ok"], json.dumps({k: result[k] for k in ("violations", "counts", "fault")}, default=str)


async def _unsent(url: str) -> int:
    conn = await asyncpg.connect(url, timeout=5)
    try:
        return await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
    finally:
        await conn.close()


# -- quick subset ---------------------------------------------------------------------------------

async def test_sigkill_activity_between_commit_and_publish(rig):
    """The relay holds each batch 2 s after reading it (fault hook), so the SIGKILL lands between
    the commit of acknowledged writes and their publish; the restarted relay publishes them."""
    await rig.platform.restart("activity", env={"KINERJA_FAULT_RELAY_HOLD_SECONDS": "2"})

    async def fault(rig, load, notes):
        notes["at_s"] = await at_random(2.0, 4.0)
        notes["unsent_at_kill"] = await _unsent(rig.urls["activity"])
        rig.platform.sigkill("activity")
        await rig.platform.restart("activity")
    result = await run(rig, "sigkill activity commit->publish", fault, count=240, rate=40)
    assert_ok(result)
    assert result["fault"]["unsent_at_kill"] > 0, "the kill did not land in the commit -> publish window"


async def test_broker_sigkill_and_restart_under_load(rig):
    async def fault(rig, load, notes):
        notes["at_s"] = await at_random(1.0, 3.0)
        await asyncio.to_thread(rig.broker.sigkill)
        await asyncio.sleep(5)
        t = time.monotonic()
        await asyncio.to_thread(rig.broker.start)
        notes["broker_restart_s"] = round(time.monotonic() - t, 1)
    assert_ok(await run(rig, "broker SIGKILL + restart", fault, count=300, rate=30))


async def test_poison_record_is_dead_lettered_while_others_flow(rig):
    """A record whose body breaks the contract and one with an unknown schema version, on a
    partition that carries the load: both dead-lettered with their reason by each consumer of the
    topic; every other record on that partition and the others flows."""
    topic, groups = "activity.submitted.v1", ("kinerja-scoring", "kinerja-notify")

    async def fault(rig, load, notes):
        await asyncio.sleep(1.5)
        producer = AIOKafkaProducer(bootstrap_servers=rig.broker.bootstrap, acks="all")
        await producer.start()
        try:
            partition = DefaultPartitioner()(load.org.staff[0].encode(), list(range(6)), list(range(6)))
            notes["partition"], notes["poison"] = partition, {}
            for reason, body, version in (("ValidationError", b'{"activity_id": "not-a-uuid"}', b"1"),
                                          ("UnknownSchemaVersion", b"{}", b"9")):
                event_id = str(uuid.uuid4())
                await producer.send_and_wait(topic, body, key=b"poison", partition=partition, headers=[
                    ("event-id", event_id.encode()), ("event-type", b"activity.submitted"),
                    ("schema-version", version), ("producer", b"faults")])
                notes["poison"][event_id] = reason
        finally:
            await producer.stop()

    async def dead_lettered(rig, load, notes) -> list[str]:
        dlq = await read_all(rig.broker.bootstrap, [topic + ".dlq"], keep=lambda r: r.event_id in notes["poison"])
        got = {(r.event_id, r.headers.get("dlq-consumer-group"), r.headers.get("dlq-error-class")) for r in dlq}
        want = {(e, g, reason) for e, reason in notes["poison"].items() for g in groups}
        return [] if want <= got else [f"dead letters missing: {sorted(want - got)}"]

    assert_ok(await run(rig, "poison record", fault, count=200, rate=40, extra_checks=dead_lettered))


async def test_postgres_outage_answers_503_never_a_2xx_it_cannot_keep(rig):
    """The private cluster stops (fast shutdown) under load and comes back after the outage:
    intake answers 503 meanwhile; every 2xx is kept, every refused request has no effect."""
    async def fault(rig, load, notes):
        notes["at_s"] = await at_random(2.0, 3.0)
        await asyncio.to_thread(rig.pg.stop)
        notes["outage_s"] = PG_OUTAGE_SECONDS
        await asyncio.sleep(PG_OUTAGE_SECONDS)
        await asyncio.to_thread(rig.pg.start)
    rate = 15
    count = int(rate * (PG_OUTAGE_SECONDS + 8))
    result = await run(rig, f"postgres outage {PG_OUTAGE_SECONDS}s", fault, count=count, rate=rate)
    assert_ok(result)
    attempts = result["counts"]["attempt_statuses"]
    assert attempts.get("503", 0) > 0, f"no 503 during the outage: {attempts}"
    assert attempts.get("500", 0) == 0, f"500s during the outage: {attempts}"


# -- the full set (make faults) -------------------------------------------------------------------

@full_only
@pytest.mark.parametrize("service,during", [("scoring", "activities"), ("approval", "decisions"),
                                            ("tpp", "activities"), ("notify", "decisions")])
async def test_sigkill_of_a_consumer_at_a_random_point(rig, service, during):
    async def fault(rig, load, notes):
        notes["at_s"] = await at_random(0.5, 3.0)
        rig.platform.sigkill(service)
        await asyncio.sleep(1)
        await rig.platform.restart(service)
    assert_ok(await run(rig, f"sigkill {service}", fault, count=200, rate=40, fault_during=during))


@full_only
@pytest.mark.parametrize("service", ["activity", "scoring", "approval", "tpp", "notify"])
async def test_sigterm_drains_within_15_seconds(rig, service):
    async def fault(rig, load, notes):
        notes["at_s"] = await at_random(1.0, 3.0)
        code, seconds = await asyncio.to_thread(rig.platform.sigterm, service)
        notes.update(exit_code=code, exit_seconds=round(seconds, 1),
                     clean="service stopped" in rig.platform.procs.log(service).rsplit("service started", 1)[-1])
        await rig.platform.restart(service)

    async def drained(rig, load, notes) -> list[str]:
        problems = []
        if notes["exit_seconds"] > 15 or notes["exit_code"] not in (0, -15) or not notes["clean"]:
            problems.append(f"SIGTERM not drained cleanly within 15 s: {notes}")
        return problems
    assert_ok(await run(rig, f"sigterm {service}", fault, count=200, rate=40, extra_checks=drained))


@full_only
async def test_broker_clean_restart_under_load(rig):
    async def fault(rig, load, notes):
        notes["at_s"] = await at_random(1.0, 3.0)
        t = time.monotonic()
        await asyncio.to_thread(rig.broker.stop)
        await asyncio.to_thread(rig.broker.start)
        notes["restart_s"] = round(time.monotonic() - t, 1)
    assert_ok(await run(rig, "broker clean restart", fault, count=300, rate=30))


@full_only
async def test_services_started_while_kafka_is_down_take_writes(rig):
    """The broker stops; activity and scoring restart without it, take the burst (written to
    the outbox) and publish it when the broker returns."""
    await asyncio.to_thread(rig.broker.stop)
    try:
        await rig.platform.restart("activity")
        await rig.platform.restart("scoring")
    except BaseException:
        await asyncio.to_thread(rig.broker.start)
        raise

    async def fault(rig, load, notes):
        await asyncio.sleep(4)
        notes["unsent_while_down"] = await _unsent(rig.urls["activity"])
        await asyncio.to_thread(rig.broker.start)

    async def waited(rig, load, notes) -> list[str]:
        return [] if notes["unsent_while_down"] > 0 else ["nothing waited in the outbox while Kafka was down"]
    assert_ok(await run(rig, "started while Kafka down", fault, count=200, rate=40, extra_checks=waited))


@full_only
async def test_postgres_restart_under_load(rig):
    async def fault(rig, load, notes):
        notes["at_s"] = await at_random(1.0, 3.0)
        await asyncio.to_thread(rig.pg.stop)
        await asyncio.to_thread(rig.pg.start)
    assert_ok(await run(rig, "postgres restart", fault, count=200, rate=30))


SLOW_POLL_INTERVAL_S, SLOW_DELAY_S = 6, 0.2


def _assignments(rig, service: str) -> int:
    return rig.platform.procs.log(service).count("assigned to partitions")


async def _consumed(rig, service: str, outcome: str) -> int:
    """Records of `outcome` the service's consumer counted since it started (its /metrics)."""
    import httpx
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(rig.platform.url(service) + "/metrics")).text
    return int(sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("kinerja_messages_consumed_total{") and f'outcome="{outcome}"' in line))


@full_only
async def test_a_handler_slower_than_the_poll_interval_causes_no_rebalance_loop(rig):
    """Scoring's max poll interval is 6 s and each record takes 200 ms more (fault hook), so a
    200-record batch would take 40 s: the consumer must stop a batch in time (no member dropped
    from the group, no rejoin, no record handled twice) and drain the backlog."""
    await rig.platform.restart("scoring", env={"KINERJA_FAULT_HANDLE_DELAY_SECONDS": str(SLOW_DELAY_S),
                                               "KINERJA_CONSUMER_MAX_POLL_INTERVAL_SECONDS": str(SLOW_POLL_INTERVAL_S)})
    before = _assignments(rig, "scoring")
    deadline = time.monotonic() + 30
    while _assignments(rig, "scoring") == before and time.monotonic() < deadline:  # the restart's own join
        await asyncio.sleep(0.5)
    joins_before = _assignments(rig, "scoring")

    async def stable(rig, load, notes) -> list[str]:
        log = rig.platform.procs.log("scoring")
        notes["assignments_during"] = _assignments(rig, "scoring") - joins_before
        notes["commit_failures"] = log.count("CommitFailedError")
        notes["handled_again"] = await _consumed(rig, "scoring", "duplicate")
        notes["processed"] = await _consumed(rig, "scoring", "processed")
        problems = []
        if notes["assignments_during"]:
            problems.append(f"scoring's partitions were reassigned {notes['assignments_during']} times (rebalances)")
        if notes["handled_again"]:
            problems.append(f"scoring was handed {notes['handled_again']} records it had handled already")
        return problems
    try:
        result = await run(rig, "slow handler (6 s poll interval, 40 s batch)", None, count=200, rate=40,
                           heal_timeout=180, extra_checks=stable)
    finally:
        await rig.platform.restart("scoring")
    assert_ok(result)


@full_only
async def test_consumer_group_scaled_one_two_one_under_load(rig):
    async def fault(rig, load, notes):
        await asyncio.sleep(1)
        second = rig.platform.start_extra("scoring")
        notes["second_started_s"] = 1
        await asyncio.sleep(6)
        second.send_signal(15)
        notes["second_exit"] = await asyncio.to_thread(second.wait, 30)
    assert_ok(await run(rig, "scoring group 1 -> 2 -> 1", fault, count=400, rate=40))


@full_only
async def test_latency_between_services_and_broker(rig):
    async def fault(rig, load, notes):
        await asyncio.sleep(1)
        rig.proxy.set_latency(0.2)
        notes["latency_s"] = 0.2
        await asyncio.sleep(8)
        rig.proxy.restore()
    assert_ok(await run(rig, "proxy latency 200ms", fault, count=300, rate=30))


@full_only
async def test_connections_to_the_broker_cut(rig):
    async def fault(rig, load, notes):
        notes["at_s"] = await at_random(1.0, 3.0)
        rig.proxy.cut()
        await asyncio.sleep(8)
        rig.proxy.restore()
        notes["cut_s"] = 8
    assert_ok(await run(rig, "proxy cut 8s", fault, count=300, rate=30))


DESIGN_RATE = 210  # activities/s at the month-end peak (docs/capacity.md)


@full_only
async def test_month_end_storm_is_shed_not_lost(rig):
    """5x the design rate (1,050 activities/s from vegeta, open loop, 6 s) over 60 employees, then
    10% of the requests sent again with the same Idempotency-Key: intake (default in-flight limit
    64) sheds with 429/503; every 2xx is reflected downstream once, nothing refused shows up."""
    from faults.storm import storm

    rate, duration = 5 * DESIGN_RATE, 6.0

    first = []

    async def burst(load, notes):
        first.append(len(load.requests))  # the warm-up's activity (a 422 while the catalog arrives) is not the storm's
        await storm(load, notes, rate=rate, duration=duration, retry_share=0.1)

    async def refusals(rig, load, notes) -> list[str]:
        reqs = [r for r in load.requests[first[0]:] if r.kind == "activity"]
        answers = Counter(a for r in reqs for a in r.attempts)
        notes["final"] = dict(Counter(str(r.status) for r in reqs))
        first_2xx = sum(n for code, n in notes["storm"]["first_answers"].items() if code.startswith("2"))
        notes["accepted_per_s"] = round(first_2xx / duration, 1)  # during the burst, before the retries
        problems = []
        if bad := {a: n for a, n in answers.items() if not (a.startswith("2") or a in ("429", "503"))}:
            problems.append(f"answers other than 2xx, 429, 503: {bad}")
        if notes["storm"]["sent"] < 0.95 * rate * duration:
            problems.append(f"vegeta sent only {notes['storm']['sent']} of {int(rate * duration)}")
        if notes["storm"]["replay_changed_id"]:
            problems.append(f"a retry with the same key got another id: {notes['storm']['replay_changed_id'][:5]}")
        if not any(a in ("429", "503") for a in answers):
            problems.append("nothing was shed at 5x the design rate")
        return problems
    result = await run(rig, "month-end storm 5x (1050/s)", None, burst=burst, org_size=60, rate=100,
                       decisions=0.2, extra_checks=refusals)
    storm_notes = result["fault"].get("storm", {})
    print(f"\nstorm: sent {storm_notes.get('sent')} (+{storm_notes.get('retried')} retried), first answers "
          f"{storm_notes.get('first_answers')}, retry answers {storm_notes.get('retry_answers')}, final "
          f"{result['fault'].get('final')}, accepted during the burst {result['fault'].get('accepted_per_s')}/s, "
          f"lost {result['counts'].get('lost')}, duplicated {result['counts'].get('duplicated')}, "
          f"orphans {result['counts'].get('orphans')}")
    assert_ok(result)


@full_only
async def test_tpp_close_killed_halfway_then_rerun(rig):
    """SIGKILL tpp while it closes last month, restart, close again: one slip per employee
    (revision 1, one event id however often it was published), the manifest once, and each slip
    equal to the preview computed from the same inputs before the close (invariant 5)."""
    import httpx
    from datetime import date, timedelta

    from faults.load import FaultOrg
    from faults.scenario import _import_org
    from support import today, token
    from faults.report import record

    started = time.monotonic()
    org = FaultOrg.new(4)
    await _import_org(rig, org)
    period = (date.fromisoformat(today()).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    tpp, admin = rig.platform.url("tpp"), token(org.admin, "admin")
    notes: dict = {"period": period}
    async with httpx.AsyncClient(timeout=60) as http:
        async def previews() -> dict | None:
            got = {}
            for nip in org.nips:
                r = await http.get(f"{tpp}/v1/tpp/{period}/{nip}", headers=token(nip))
                if r.status_code != 200:
                    return None
                got[nip] = r.json()["total_amount"]
            return got
        deadline, preview = time.monotonic() + 60, None
        while preview is None and time.monotonic() < deadline:
            preview = await previews()
            await asyncio.sleep(1)
        assert preview, "tpp never knew the organisation"
        first = asyncio.create_task(http.post(f"{tpp}/v1/periods/{period}/close", headers=admin))
        notes["kill_after_s"] = await at_random(0.05, 0.6)
        rig.platform.sigkill("tpp")
        try:
            notes["first"] = (await first).status_code
        except httpx.TransportError as exc:
            notes["first"] = type(exc).__name__
        await rig.platform.restart("tpp")
        again = await http.post(f"{tpp}/v1/periods/{period}/close", headers=admin)
        notes["rerun"] = again.status_code
        heal_seconds, state = await wait_healed(rig.broker.bootstrap, rig.urls)
        slips = {}
        for nip in org.nips:
            slips[nip] = (await http.get(f"{tpp}/v1/tpp/{period}/{nip}", headers=token(nip))).json()

    records = await read_all(rig.broker.bootstrap, ["tpp.computed.v1", "tpp.period.closed.v1"],
                             keep=lambda r: r.key in org.nips or r.key == period)
    computed = [r for r in records if r.topic == "tpp.computed.v1" and r.value.get("period") == period]
    closed = [r for r in records if r.topic == "tpp.period.closed.v1" and r.value.get("period") == period]
    ids = {nip: {r.event_id for r in computed if r.key == nip} for nip in org.nips}
    bodies = {nip: {json.dumps(r.value, sort_keys=True) for r in computed if r.key == nip} for nip in org.nips}
    violations = []
    if notes["rerun"] not in (200, 409) or (notes["first"], notes["rerun"]) == (200, 200):
        violations.append(f"close answers {notes['first']} then {notes['rerun']}")
    if any(len(v) != 1 for v in ids.values()):
        violations.append(f"2 slips per employee (distinct event ids): { {k: len(v) for k, v in ids.items()} }")
    if any(len(v) != 1 for v in bodies.values()):
        violations.append("5 a re-published slip differs from the first")
    if len({r.event_id for r in closed}) != 1:
        violations.append(f"manifest published {len({r.event_id for r in closed})} times")
    for nip in org.nips:
        if slips[nip].get("status") != "final" or slips[nip]["total_amount"] != preview[nip]:
            violations.append(f"5 {nip}: preview {preview[nip]} != final {slips[nip].get('total_amount')}")
    if heal_seconds is None:
        violations.append(f"6 not healed: {state}")
    result = {"ok": not violations, "violations": violations, "heal_seconds": heal_seconds, "fault": notes,
              "counts": {"sent": 2, "acknowledged": int(200 in (notes["first"], notes["rerun"])),
                         "lost": sum(not v for v in ids.values()),
                         "duplicated": sum(max(0, len(v) - 1) for v in ids.values()), "orphans": 0,
                         "redelivered_records": len(computed) - len(org.nips)},
              "seconds": round(time.monotonic() - started, 1)}
    record("tpp close killed, re-run", result)
    assert_ok(result)


async def test_the_checker_sees_a_duplicated_effect_and_a_lost_write(rig):
    """The invariants can fail: a second scoring of one activity (a new event id) and a 2xx
    whose activity never existed are both reported."""
    from faults.checker import check
    from faults.load import FaultOrg, Load, Request
    from faults.scenario import _import_org, _warm_up

    load = Load(rig.platform, FaultOrg.new(2))
    try:
        await _import_org(rig, load.org)
        await _warm_up(load)
        await load.open_loop(10, 20, load.activity)
        await wait_healed(rig.broker.bootstrap, rig.urls, 120)
        found = await read_all(rig.broker.bootstrap, ["activity.scored.v1"], keep=lambda r: r.key in load.org.staff)
        assert found, "nothing scored"
        scored = found[0]
        producer = AIOKafkaProducer(bootstrap_servers=rig.broker.bootstrap, acks="all")
        await producer.start()
        try:
            headers = {**scored.headers, "event-id": str(uuid.uuid4())}
            await producer.send_and_wait("activity.scored.v1", json.dumps(scored.value).encode(),
                                         key=scored.key.encode(), headers=[(k, v.encode()) for k, v in headers.items()])
        finally:
            await producer.stop()
        ghost = Request("activity", "fault-ghost", load.org.staff[1], status=201, activity_id=str(uuid.uuid4()))
        load.requests.append(ghost)
        verdict = await check(rig.broker.bootstrap, rig.urls, load)
    finally:
        await load.close()
    assert verdict.counts["duplicated_by"] == {"activity.scored.v1": 1}, verdict.counts
    assert verdict.counts["lost_by"].get("activity row") == 1, verdict.counts
    assert not verdict.ok
