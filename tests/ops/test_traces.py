"""One activity's spans, exported by the five services through a real OpenTelemetry Collector,
arrive as one trace: from the HTTP request through every Kafka hop to the TPP record.

The flow (tests/ops/conftest.py) is three user actions — the employee submits, the atasan
approves, an admin closes the month — sent in one client trace, as an instrumented frontend
sends a W3C traceparent. Under each request the services' own spans must form the causal
chain: SERVER span -> outbox event `create` (the relay publishes in the context the event was
written in) -> the consuming service's `process` span -> the events that one writes -> ..."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support import ROOT, eventually

pytestmark = [pytest.mark.infra, pytest.mark.timeout(900)]

RUN_DIR = Path(os.environ.get("KINERJA_RUN_DIR", ROOT / ".run" / "test"))


def render(spans: list) -> str:
    """The trace as an indented tree (written to <run>/ops-trace.txt for a failing run)."""
    by_id = {s.span_id: s for s in spans}
    children: dict[str, list] = {}
    for s in spans:
        children.setdefault(s.parent_id if s.parent_id in by_id else "", []).append(s)
    lines: list[str] = []

    def walk(span, depth: int) -> None:
        key = span.attributes.get("messaging.kafka.message.key")
        lines.append(f"{'  ' * depth}{span.service} {span.kind} {span.name!r}"
                     + (f" key={key.decode() if isinstance(key, bytes) else key}" if key else "")
                     + (f" outcome={span.attributes['kinerja.outcome']}" if "kinerja.outcome" in span.attributes else ""))
        for child in children.get(span.span_id, []):
            walk(child, depth + 1)
    for top in children.get("", []):
        lines.append(f"(parent {top.parent_id or 'none'})")
        walk(top, 0)
    return "\n".join(lines)


def _key(span) -> str | None:
    key = span.attributes.get("messaging.kafka.message.key")
    return key.decode() if isinstance(key, bytes) else key


class Trace:
    def __init__(self, spans: list) -> None:
        self.spans = spans

    def children(self, parent, service: str, name: str, kind: str, key: str | None = None) -> list:
        return [s for s in self.spans if s.parent_id == parent.span_id and s.service == service and s.name == name
                and s.kind == kind and "kinerja.outcome" not in s.attributes  # a failed try, retried
                and (key is None or _key(s) == key)]

    def one(self, parent, service: str, name: str, kind: str, key: str | None = None):
        found = self.children(parent, f"kinerja-{service}", name, kind, key)
        assert len(found) == 1, (f"expected one {kind} {name!r} of {service} under {parent.service} "
                                 f"{parent.name!r}, found {len(found)}")
        return found[0]


def check(flow, spans: list) -> bool:
    t, nip = Trace(spans), flow.org.a
    ids = {s.span_id for s in spans}
    orphans = [s for s in spans if s.parent_id not in ids and s.parent_id not in flow.request_spans.values()]
    assert not orphans, f"spans whose parent is not in the trace: {[(o.service, o.name) for o in orphans]}"

    def request(step: str, service: str, name: str):
        servers = [s for s in spans if s.parent_id == flow.request_spans[step] and s.kind == "SERVER"]
        assert len(servers) == 1, (f"{step}: one SERVER span per HTTP request, found {len(servers)}: "
                                   f"{[(s.name, sorted(s.attributes)) for s in servers]}")
        [server] = servers
        assert (server.service, server.name) == (f"kinerja-{service}", name), (server.service, server.name)
        return server

    def consumed(parent, service: str, topic: str, key: str | None = nip):
        span = t.one(parent, service, f"{topic} process", "CONSUMER", key)
        assert span.attributes["messaging.kafka.consumer.group"] == f"kinerja-{service}"
        assert span.attributes["messaging.message.id"], "the event-id of the record handled"
        return span

    def produced(parent, service: str, topic: str, key: str | None = nip):
        created = t.one(parent, service, f"{topic} create", "PRODUCER", key)
        t.one(created, service, f"{topic} publish", "PRODUCER")  # the relay's send to the broker
        return created

    # 1. The employee submits: activity -> scoring -> approval -> notify (and back to activity).
    server = request("submit", "activity", "POST /v1/activities")
    submitted = produced(server, "activity", "activity.submitted.v1")
    priced = consumed(submitted, "scoring", "activity.submitted.v1")
    scored = produced(priced, "scoring", "activity.scored.v1")
    consumed(scored, "activity", "activity.scored.v1")  # the employee sees the points
    task = consumed(scored, "approval", "activity.scored.v1")
    requested = produced(task, "approval", "approval.requested.v1")
    consumed(requested, "notify", "approval.requested.v1")  # the atasan is told

    # 2. The atasan approves: approval -> scoring (the month) -> tpp (its inputs); activity, notify.
    server = request("decide", "approval", "POST /v1/approvals/{activity_id}/decision")
    decided = produced(server, "approval", "approval.decided.v1")
    consumed(decided, "activity", "approval.decided.v1")
    consumed(decided, "notify", "approval.decided.v1")
    counted = consumed(decided, "scoring", "approval.decided.v1")
    monthly = produced(counted, "scoring", "performance.monthly.v1")
    consumed(monthly, "tpp", "performance.monthly.v1")

    # 3. An admin closes the month: tpp.computed.v1, the payroll record, one per employee, keyed by
    # NIP; the employee is notified; activity learns the month is closed.
    server = request("close", "tpp", "POST /v1/periods/{period}/close")
    records = t.children(server, "kinerja-tpp", "tpp.computed.v1 create", "PRODUCER")
    assert {_key(r) for r in records} >= {flow.org.head, flow.org.b, nip}, [_key(r) for r in records]
    record = produced(server, "tpp", "tpp.computed.v1")
    consumed(record, "notify", "tpp.computed.v1")
    closed = produced(server, "tpp", "tpp.period.closed.v1", key=flow.period)
    consumed(closed, "activity", "tpp.period.closed.v1", key=flow.period)

    assert {s.service for s in spans} == {f"kinerja-{n}" for n in ("activity", "scoring", "approval", "tpp", "notify")}
    return True


async def test_one_trace_from_the_request_through_every_kafka_hop_to_the_tpp_record(flow, otlp_sink):
    try:
        await eventually(lambda: _checked(flow, otlp_sink), timeout=30, interval=0.5)
    finally:
        (RUN_DIR / "ops-trace.txt").write_text(render(otlp_sink.trace(flow.trace_id)))
    # Probes and scrapes are not traced (a trace per kubelet probe would drown the real ones).
    probes = {s.attributes.get("url.path") or s.name for s in otlp_sink.spans
              if s.kind == "SERVER" and any(p in s.name or p in str(s.attributes.get("url.path"))
                                            for p in ("/health/", "/metrics"))}
    assert not probes, f"probe or scrape requests were traced: {probes}"


async def _checked(flow, sink) -> bool:
    return check(flow, sink.trace(flow.trace_id))
