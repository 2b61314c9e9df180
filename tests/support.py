"""Helpers for tests against the real broker, PostgreSQL and service processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaConsumer

from kinerja_kit.tokens import mint

# Test ports; KINERJA_TEST_PORT_BASE moves them (two suites on one machine).
_BASE = int(os.environ.get("KINERJA_TEST_PORT_BASE", "18000"))
SERVICES = {"activity": _BASE + 1, "scoring": _BASE + 2, "approval": _BASE + 3, "tpp": _BASE + 4, "notify": _BASE + 5}
ROOT = Path(__file__).resolve().parent.parent


async def read_topic(bootstrap: str, topic: str, predicate, timeout: float = 20.0, *, expect: int = 1) -> list:
    """Records of `topic` from the beginning (no consumer group) matching `predicate`; returns once
    `expect` are found and the topic is drained, or at the deadline."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        found, deadline = [], asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            found += [r for records in batch.values() for r in records if predicate(r)]
            if len(found) >= expect and not batch:
                break
        return found
    finally:
        await consumer.stop()


async def eventually(check, timeout: float = 30.0, interval: float = 0.25):
    """Call async `check` until it returns a truthy value (returned) or raise at the deadline."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = await check()
            if last:
                return last
        except AssertionError as exc:
            last = exc
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last: {last!r}")


def token(nip: str, *roles: str, **kw) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(nip, list(roles) or ['pegawai'], **kw)}"}


class ServiceProcesses:
    """The five services as real processes (their own entry points) on test ports."""

    def __init__(self, kafka: str, database_urls: dict[str, str], log_dir: Path, *,
                 ports: dict[str, int] | None = None, env: dict[str, str] | None = None) -> None:
        self.kafka, self.database_urls, self.log_dir = kafka, database_urls, log_dir
        self.ports, self.env = ports or SERVICES, env or {}
        self.procs: dict[str, subprocess.Popen] = {}

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, only: str | None = None, env: dict[str, str] | None = None) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name, port in self.ports.items():
            if only and name != only:
                continue
            env = {
                **os.environ,
                "KINERJA_KAFKA_BOOTSTRAP": self.kafka,
                f"KINERJA_{name.upper()}_DATABASE_URL": self.database_urls[name],
                f"KINERJA_{name.upper()}_HTTP_PORT": str(port),
                "KINERJA_OUTBOX_POLL_SECONDS": "0.2",
                "KINERJA_LAG_SAMPLE_SECONDS": "2",
                **self.env,
                **(env or {}),
            }
            log = open(self.log_dir / f"{name}.log", "ab" if only else "wb")  # a restart appends
            self.procs[name] = subprocess.Popen([sys.executable, "-m", f"{name}_service.main"], env=env,
                                                stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)

    async def wait_ready(self, timeout: float = 90.0, only: str | None = None) -> None:
        async with httpx.AsyncClient() as client:
            for name in [only] if only else self.ports:
                async def ready() -> bool:
                    if self.procs[name].poll() is not None:
                        raise RuntimeError(f"{name} exited; see {self.log_dir / (name + '.log')}")
                    try:
                        return (await client.get(self.url(name) + "/health/ready")).status_code == 200
                    except httpx.TransportError:
                        return False
                await eventually(ready, timeout)

    def kill(self, service: str) -> None:
        """SIGKILL: a crash, no graceful shutdown."""
        self.procs[service].kill()
        self.procs[service].wait()

    def log(self, service: str) -> str:
        return (self.log_dir / f"{service}.log").read_text(errors="replace")

    def stop(self) -> dict[str, int]:
        """SIGTERM each service (graceful shutdown) and return the exit codes."""
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = {}
        for name, p in self.procs.items():
            try:
                codes[name] = p.wait(timeout=40)
            except subprocess.TimeoutExpired:
                p.kill()
                codes[name] = p.wait()
        return codes


def today() -> str:
    return datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()


async def import_org(http: httpx.AsyncClient, services, org) -> dict:
    r = await http.post(services.url("activity") + "/v1/org/import", content=org.csv(),
                        headers={**token(org.admin, "admin"), "content-type": "text/csv"})
    assert r.status_code == 200, r.text
    return r.json()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


async def post_activity(http, services, caller, /, evidence: list[tuple[str, bytes]] | None = None,
                        **overrides) -> httpx.Response:
    """JSON, or multipart with `evidence` files [(name, bytes)] when given."""
    body = {"type_code": "LAPORAN", "date": today(), "start_time": "08:00", "end_time": "10:00",
            "quantity": 2, "description": "Menyusun laporan bulanan layanan TI", **overrides}
    url = services.url("activity") + "/v1/activities"
    if evidence is None:
        return await http.post(url, json=body, headers=token(caller))
    return await http.post(url, data={k: str(v) for k, v in body.items()},
                           files=[("evidence", (name, data, "application/octet-stream")) for name, data in evidence],
                           headers=token(caller))


class TcpForwarder:
    """A loopback TCP proxy the test controls: `open()` starts forwarding to `target`, `close()`
    refuses new connections and cuts the open ones (Kafka down, as the client sees it)."""

    def __init__(self, target: str, port: int = 0) -> None:
        host, tport = target.rsplit(":", 1)
        self.target_host, self.target_port, self.port = host, int(tport), port
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def reserve(self) -> "TcpForwarder":
        """Pick a free port now (nothing listens on it until `open`)."""
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        return self

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server:
            self._server.close()
            self._server = None
        for w in list(self._writers):
            w.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()
                self._writers.discard(dst)

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@contextmanager
def own_broker(run_name: str, port: int, controller_port: int) -> Iterator[str]:
    """A broker of its own (data dir `.run/<run_name>`, the jars of the main test broker) with the
    registry's topics, stopped at the end; yields its bootstrap address."""
    main_run = Path(os.environ.get("KINERJA_RUN_DIR", ROOT / ".run" / "test"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINERJA_KAFKA_SASL")
           and k != "KINERJA_KAFKA_SCRAM_USERS"}
    env |= {"KINERJA_RUN_DIR": str(main_run.parent / run_name), "KINERJA_KAFKA_PORT": str(port),
            "KINERJA_KAFKA_CONTROLLER_PORT": str(controller_port),
            "KINERJA_KAFKA_LIBS_DIR": str(main_run / "kafka" / "libs")}
    script = str(ROOT / "scripts" / "kafka.sh")
    subprocess.run(["bash", script, "reset"], env=env, capture_output=True)
    subprocess.run(["bash", script, "start"], env=env, check=True, capture_output=True)
    bootstrap = f"127.0.0.1:{port}"
    try:
        subprocess.run(["uv", "run", "kinerja-topics", "create", "--bootstrap", bootstrap], env=env, check=True,
                       cwd=ROOT, capture_output=True)
        yield bootstrap
    finally:
        subprocess.run(["bash", script, "stop"], env=env, capture_output=True)
