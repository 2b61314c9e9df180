"""One activity's whole flow for the operations tests, run once per session: the five services
(real processes) export traces over OTLP/HTTP to a real OpenTelemetry Collector, which forwards
them to an OTLP sink in this process; the databases the flow leaves are what the backup test
dumps and restores.

The operations tests run on a broker of their own (`ops_kafka`) and on free ports: in a whole
`make test` the e2e services (session fixtures) still run on the main broker, in the same
consumer groups (`kinerja-<service>`), and would take partitions of this flow's events."""

from __future__ import annotations

import gzip
import os
import random
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from opentelemetry import trace as otel_trace
from opentelemetry.propagate import inject
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import TracerProvider

from support import PDF, ROOT, SERVICES, ServiceProcesses, eventually, import_org, post_activity, token

MAIN_RUN_DIR = Path(os.environ.get("KINERJA_RUN_DIR", ROOT / ".run" / "test"))

RUN_DIR = MAIN_RUN_DIR
KIND = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Span:
    service: str
    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict
    start_ns: int
    links: list[tuple[str, str]]


class OtlpSink:
    """An OTLP/HTTP traces receiver (opentelemetry-proto decodes the export requests)."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.requests = 0
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path != "/v1/traces" or "protobuf" not in self.headers.get("Content-Type", ""):
                    self.send_error(415 if self.path == "/v1/traces" else 404)
                    return
                request = ExportTraceServiceRequest.FromString(body)
                sink.add(request)
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="otlp-sink", daemon=True)
        self._thread.start()

    def add(self, request: ExportTraceServiceRequest) -> None:
        spans = []
        for rs in request.resource_spans:
            attrs = {a.key: a.value.string_value for a in rs.resource.attributes}
            for ss in rs.scope_spans:
                for s in ss.spans:
                    spans.append(Span(
                        service=attrs.get("service.name", "?"), name=s.name, kind=KIND.get(s.kind, str(s.kind)),
                        trace_id=s.trace_id.hex(), span_id=s.span_id.hex(), parent_id=s.parent_span_id.hex(),
                        attributes={a.key: _value(a.value) for a in s.attributes}, start_ns=s.start_time_unix_nano,
                        links=[(link.trace_id.hex(), link.span_id.hex()) for link in s.links]))
        with self._lock:
            self.requests += 1
            self.spans.extend(spans)

    def trace(self, trace_id: str) -> list[Span]:
        with self._lock:
            return sorted((s for s in self.spans if s.trace_id == trace_id), key=lambda s: s.start_ns)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _value(v) -> object:
    kind = v.WhichOneof("value")
    return getattr(v, kind) if kind else None


COLLECTOR_CONFIG = """\
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{receiver}
processors:
  batch:
    timeout: 200ms
exporters:
  otlphttp:
    traces_endpoint: http://127.0.0.1:{sink}/v1/traces
    compression: gzip
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp]
"""


@dataclass
class Collector:
    endpoint: str  # what the services' KINERJA_OTLP_ENDPOINT points at
    binary: str
    log: Path


def free_ports() -> dict[str, int]:
    socks = [socket.socket() for _ in SERVICES]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return {name: sock.getsockname()[1] for name, sock in zip(SERVICES, socks)}
    finally:
        for sock in socks:
            sock.close()


@pytest.fixture(scope="session")
def service_ports():
    """Factory: a free port for each service (not the SERVICES ports the e2e services hold)."""
    return free_ports


@pytest.fixture(scope="session")
def ops_kafka(kafka_bootstrap) -> str:
    """A broker of the operations tests' own (the main test broker's jars, its own data dir), on
    the main broker's port + 300: plaintext only, fresh topics and consumer groups."""
    main_port = int(kafka_bootstrap.rsplit(":", 1)[1])
    port = main_port + 300
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KINERJA_KAFKA_SASL") and k != "KINERJA_KAFKA_SCRAM_USERS"}
    env |= {"KINERJA_RUN_DIR": str(MAIN_RUN_DIR / "ops"), "KINERJA_KAFKA_PORT": str(port),
            "KINERJA_KAFKA_CONTROLLER_PORT": str(port + 1),
            "KINERJA_KAFKA_LIBS_DIR": str(MAIN_RUN_DIR / "kafka" / "libs")}
    script = str(ROOT / "scripts" / "kafka.sh")
    subprocess.run(["bash", script, "reset"], env=env, capture_output=True)
    started = subprocess.run(["bash", script, "start"], env=env, capture_output=True, text=True)
    assert started.returncode == 0, f"the ops broker did not start:\n{started.stdout[-2000:]}{started.stderr[-2000:]}"
    bootstrap = f"127.0.0.1:{port}"
    try:
        topics = subprocess.run([sys.executable, "-m", "kinerja_kit.topics_admin", "create", "--bootstrap", bootstrap],
                                env=env, cwd=ROOT, capture_output=True, text=True)
        assert topics.returncode == 0, topics.stderr[-2000:]
        yield bootstrap
    finally:
        subprocess.run(["bash", script, "stop"], env=env, capture_output=True)


@pytest.fixture(scope="session")
def otlp_sink():
    sink = OtlpSink()
    yield sink
    sink.close()


@pytest.fixture(scope="session")
def otel_collector(otlp_sink):
    """The upstream OpenTelemetry Collector (tests/ops/otelcol, built once from the Go module
    proxy), receiving OTLP/HTTP and forwarding to the sink."""
    built = subprocess.run(["bash", str(ROOT / "tests/ops/otelcol/build.sh")], capture_output=True, text=True,
                           timeout=900, cwd=ROOT)
    assert built.returncode == 0, f"building the collector failed:\n{built.stderr[-4000:]}"
    binary = built.stdout.strip().splitlines()[-1]
    receiver = free_port()
    workdir = RUN_DIR / "otelcol"
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "config.yaml"
    config.write_text(COLLECTOR_CONFIG.format(receiver=receiver, sink=otlp_sink.port))
    log = workdir / "otelcol.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([binary, "--config", f"file:{config}"], stdout=out, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{receiver}/v1/traces"
    deadline = time.monotonic() + 30
    while True:  # ready when the receiver accepts an (empty) export
        if proc.poll() is not None:
            raise RuntimeError(f"the collector exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            r = httpx.post(endpoint, content=ExportTraceServiceRequest().SerializeToString(),
                           headers={"Content-Type": "application/x-protobuf"}, timeout=2)
            if r.status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the collector did not accept OTLP within 30s:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    yield Collector(endpoint=endpoint, binary=binary, log=log)
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass(frozen=True)
class Org:
    head: str
    b: str  # atasan langsung of a
    a: str
    admin: str

    def csv(self) -> str:
        return (
            "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
            f"{self.head},Hj. Kepala Dinas,DISKOMINFO,Dinas Kominfo,Kepala Dinas,struktural,II.b,14,,PNS\n"
            f"{self.b},Budi Santoso,DISKOMINFO,Dinas Kominfo,Kepala Bidang,struktural,III.a,11,{self.head},PNS\n"
            f"{self.a},Ani Lestari,DISKOMINFO,Dinas Kominfo,Pranata Komputer,fungsional,,9,{self.b},PNS\n"
        )


@dataclass
class Flow:
    """What the flow did: the services (still running), the ids it made and the client trace."""
    services: ServiceProcesses
    org: Org
    activity_id: str  # the traced one
    other_activity_id: str  # logged first, with evidence, untraced
    period: str
    trace_id: str  # the client's trace: the three requests (submit, decide, close) are its children
    request_spans: dict[str, str] = field(default_factory=dict)  # step -> the client span id


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def flow(ops_kafka, fresh_database, otel_collector):
    """Import an org, submit an activity, approve it, close the month, with each request sent in
    one client trace (W3C traceparent, as an instrumented frontend sends it)."""
    run = f"{random.randrange(10**6):06d}"
    org = Org(head=f"1968010119{run}01", b=f"1975010120{run}01", a=f"1985033020{run}02",
              admin=f"1999123120{run}09")
    urls = {name: await fresh_database(f"ops_{name}") for name in SERVICES}
    services = ServiceProcesses(ops_kafka, urls, RUN_DIR / "logs" / "ops", ports=free_ports())
    services.start(env={"KINERJA_OTLP_ENDPOINT": otel_collector.endpoint,
                        "OTEL_BSP_SCHEDULE_DELAY": "200"})  # export spans within 0.2 s (SDK default 5 s)
    tracer = TracerProvider().get_tracer("kinerja.tests.ops")  # the test's own provider: nothing exported
    spans: dict[str, str] = {}

    def traced(step: str, root) -> dict[str, str]:
        with otel_trace.use_span(root):
            with tracer.start_as_current_span(step, kind=otel_trace.SpanKind.CLIENT) as span:
                spans[step] = format(span.get_span_context().span_id, "016x")
                carrier: dict[str, str] = {}
                inject(carrier)
                return carrier

    try:
        await services.wait_ready()
        root = tracer.start_span("ops flow")
        trace_id = format(root.get_span_context().trace_id, "032x")
        async with httpx.AsyncClient(timeout=30) as http:
            await import_org(http, services, org)

            async def submitted():  # until the catalog and the org have reached activity over Kafka
                r = await post_activity(http, services, org.a, evidence=[("laporan.pdf", PDF)])
                return r if r.status_code == 201 else None
            first = (await eventually(submitted, timeout=60)).json()
            # The traced submit: a second activity the same day, a later time span.
            r = await http.post(services.url("activity") + "/v1/activities",
                                json={"type_code": "SURAT-MASUK", "date": first["date"], "start_time": "13:00",
                                      "end_time": "13:30", "quantity": 3,
                                      "description": "Mencatat surat masuk dinas"},
                                headers={**token(org.a), **traced("submit", root)})
            assert r.status_code == 201, r.text
            activity = r.json()

            async def in_inbox():
                inbox = (await http.get(services.url("approval") + "/v1/inbox", params={"limit": 500},
                                        headers=token(org.b))).json()
                return next((t for t in inbox if t["activity_id"] == activity["id"]), None)
            await eventually(in_inbox, timeout=60)
            r = await http.post(services.url("approval") + f"/v1/approvals/{activity['id']}/decision",
                                json={"decision": "approve"}, headers={**token(org.b), **traced("decide", root)})
            assert r.status_code == 200, r.text
            # Other pending tasks are approved too (untraced), so the month's inputs are complete.
            inbox = (await http.get(services.url("approval") + "/v1/inbox", params={"limit": 500},
                                    headers=token(org.b))).json()
            for task in inbox:
                if task["nip"] == org.a and task["status"] == "pending":
                    await http.post(services.url("approval") + f"/v1/approvals/{task['activity_id']}/decision",
                                    json={"decision": "approve"}, headers=token(org.b))
            period = activity["date"][:7]

            async def tpp_has_inputs():
                s = (await http.get(services.url("tpp") + f"/v1/tpp/{period}/{org.a}", headers=token(org.a))).json()
                return s if s.get("productivity") not in (None, "0", "0.00000") else None
            await eventually(tpp_has_inputs, timeout=60)

            async def all_approved():
                p = (await http.get(services.url("scoring") + f"/v1/performance/{org.a}/{period}",
                                    headers=token(org.a))).json()
                return p if p.get("approved_minutes", 0) >= 240 + 30 else None
            await eventually(all_approved, timeout=60)
            r = await http.post(services.url("tpp") + f"/v1/periods/{period}/close", params={"allow_early": "true"},
                                headers={**token(org.admin, "admin"), **traced("close", root)})
            assert r.status_code == 200, r.text

            async def slip_final():
                s = (await http.get(services.url("tpp") + f"/v1/tpp/{period}/{org.a}", headers=token(org.a))).json()
                return s if s.get("status") == "final" else None
            await eventually(slip_final, timeout=60)
        root.end()
        yield Flow(services=services, org=org, activity_id=activity["id"], other_activity_id=first["id"],
                   period=period, trace_id=trace_id, request_spans=spans)
    finally:
        services.stop()
