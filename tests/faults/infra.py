"""What the fault suite owns and breaks: its own broker, its own PostgreSQL cluster, a TCP proxy
between the services and the broker, and the five services as processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import asyncpg

from support import ROOT, ServiceProcesses


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# Defaults keep clear of the main test broker (19092-19095), `make up` and the shared PostgreSQL.
KAFKA_PORT = _port("KINERJA_FAULTS_KAFKA_PORT", 19392)
CONTROLLER_PORT = _port("KINERJA_FAULTS_KAFKA_CONTROLLER_PORT", 19393)
PROXIED_PORT = _port("KINERJA_FAULTS_KAFKA_PROXIED_PORT", 19394)  # the broker listener behind the proxy
PROXY_PORT = _port("KINERJA_FAULTS_PROXY_PORT", 19395)  # what that listener advertises
PORT_BASE = _port("KINERJA_FAULTS_PORT_BASE", 19400)
PG_PORT = _port("KINERJA_FAULTS_PG_PORT", 55433)
SERVICE_NAMES = ("activity", "scoring", "approval", "tpp", "notify")


def _run(cmd: list[str], env: dict[str, str], timeout: float) -> str:
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {out.returncode}: {out.stdout[-2000:]}{out.stderr[-2000:]}")
    return out.stdout


class Broker:
    """A single-node Kafka of the suite's own (run dir and ports), through scripts/kafka.sh."""

    def __init__(self) -> None:
        self.run_dir = ROOT / ".run" / f"faults-{KAFKA_PORT}"
        self.bootstrap = f"127.0.0.1:{KAFKA_PORT}"  # direct, for the checker
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("KINERJA_KAFKA_")}  # never the main test broker's SASL ports
        env.update(KINERJA_RUN_DIR=str(self.run_dir), KINERJA_KAFKA_PORT=str(KAFKA_PORT),
                   KINERJA_KAFKA_CONTROLLER_PORT=str(CONTROLLER_PORT),
                   KINERJA_KAFKA_PROXIED_PORT=str(PROXIED_PORT),
                   KINERJA_KAFKA_PROXIED_ADVERTISED_PORT=str(PROXY_PORT),
                   KINERJA_KAFKA_STOP_TIMEOUT="20", PYTHON=sys.executable)
        shared_libs = Path(os.environ.get("KINERJA_RUN_DIR", ROOT / ".run" / "test")) / "kafka" / "libs"
        if (shared_libs / ".pom.sha256").exists():  # the jars test.sh already fetched
            env["KINERJA_KAFKA_LIBS_DIR"] = str(shared_libs)
        self.env = env

    def _sh(self, command: str, timeout: float = 180) -> str:
        return _run(["bash", "scripts/kafka.sh", command], self.env, timeout)

    def reset(self) -> None:
        self._sh("reset")

    def start(self) -> None:
        self._sh("start")

    def stop(self) -> None:
        """Clean (controlled) shutdown."""
        self._sh("stop")

    def pid(self) -> int | None:
        f = self.run_dir / "kafka" / "kafka.pid"
        try:
            pid = int(f.read_text().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def sigkill(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                return
            time.sleep(0.1)


class PrivatePostgres:
    """A PostgreSQL cluster of the suite's own (scripts/postgres.sh on its own port and directory):
    the outage scenarios stop it; the shared cluster is never touched."""

    def __init__(self) -> None:
        assert PG_PORT != 55432, "the fault suite never stops the shared cluster"
        self.dir = Path(tempfile.gettempdir()) / f"kinerja-pg-faults-{PG_PORT}"
        self.env = {**os.environ, "KINERJA_PG_PORT": str(PG_PORT), "KINERJA_PG_DIR": str(self.dir)}
        self.server_url = f"postgresql://postgres@127.0.0.1:{PG_PORT}"

    def _sh(self, *args: str, timeout: float = 180) -> str:
        return _run(["bash", "scripts/postgres.sh", *args], self.env, timeout)

    def start(self) -> None:
        self._sh("start")

    def stop(self) -> None:
        """Fast shutdown: open connections are cut, in-flight transactions roll back."""
        self._sh("stop")

    async def create_databases(self, names: list[str]) -> dict[str, str]:
        conn = await asyncpg.connect(self.server_url + "/postgres")
        try:
            for name in names:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return {n: f"{self.server_url}/{n}" for n in names}

    async def drop_databases(self, names: list[str]) -> None:
        conn = await asyncpg.connect(self.server_url + "/postgres")
        try:
            for name in names:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


class ChaosProxy:
    """A loopback TCP proxy between the services and the broker, in a thread of its own (it keeps
    forwarding while the test's loop waits): added latency per chunk, cut connections."""

    def __init__(self, listen_port: int, target_port: int) -> None:
        self.listen_port, self.target_port = listen_port, target_port
        self.latency = 0.0
        self.refusing = False
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="chaos-proxy", daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.listen_port}"

    def _call(self, coro) -> object:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    def start(self) -> None:
        self._thread.start()

        async def listen() -> None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.listen_port)
        self._call(listen())

    def set_latency(self, seconds: float) -> None:
        self.latency = seconds

    def cut(self) -> None:
        """Close every open connection and refuse new ones until `restore`."""
        self.refusing = True

        async def close_all() -> None:
            for w in list(self._writers):
                w.transport.abort()
            self._writers.clear()
        self._call(close_all())

    def restore(self) -> None:
        self.refusing, self.latency = False, 0.0

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._server:
                self._server.close()
            for w in list(self._writers):
                w.transport.abort()
        self._call(shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    if self.latency:
                        await asyncio.sleep(self.latency)
                    if self.refusing:
                        break
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError, OSError):
                pass
            finally:
                dst.transport.abort()
                self._writers.discard(dst)

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


class Platform:
    """The five services as processes on the suite's ports, talking to the broker through the
    proxy and to the private cluster; `extra` processes (a second consumer) are tracked too."""

    def __init__(self, kafka_address: str, database_urls: dict[str, str], log_dir: Path) -> None:
        ports = {name: PORT_BASE + 1 + i for i, name in enumerate(SERVICE_NAMES)}
        env = {
            "KINERJA_LAG_SAMPLE_SECONDS": "2",
            # The load is many writes per user; the per-user limit (decision 24) is not under test.
            "KINERJA_WRITE_RATE_PER_MINUTE": "100000", "KINERJA_WRITE_BURST": "10000",
            "KINERJA_OUTBOX_POLL_SECONDS": "0.2",
        }
        self.procs = ServiceProcesses(kafka_address, database_urls, log_dir, ports=ports, env=env)
        self.log_dir = log_dir

    def url(self, service: str) -> str:
        return self.procs.url(service)

    async def start_all(self) -> None:
        self.procs.start()
        await self.procs.wait_ready(timeout=120)

    async def restart(self, service: str, env: dict[str, str] | None = None, *, wait: bool = True) -> None:
        if self.procs.procs[service].poll() is None:
            self.procs.kill(service)
        self.procs.start(only=service, env=env)
        if wait:
            await self.procs.wait_ready(only=service, timeout=120)

    def sigkill(self, service: str) -> None:
        self.procs.kill(service)

    def sigterm(self, service: str, timeout: float = 30) -> tuple[int, float]:
        """SIGTERM and wait: (exit code, seconds to exit)."""
        p = self.procs.procs[service]
        started = time.monotonic()
        p.send_signal(signal.SIGTERM)
        try:
            code = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            code = p.wait()
        return code, time.monotonic() - started

    def start_extra(self, service: str) -> subprocess.Popen:
        """A second process of `service` (same database and group, its own port): a scale-out."""
        env = {**os.environ, "KINERJA_KAFKA_BOOTSTRAP": self.procs.kafka,
               f"KINERJA_{service.upper()}_DATABASE_URL": self.procs.database_urls[service],
               f"KINERJA_{service.upper()}_HTTP_PORT": str(PORT_BASE + 9), **self.procs.env}
        log = open(self.log_dir / f"{service}-2.log", "ab")
        return subprocess.Popen([sys.executable, "-m", f"{service}_service.main"], env=env, stdout=log,
                                stderr=subprocess.STDOUT, cwd=ROOT)

    def alive(self) -> dict[str, bool]:
        return {n: p.poll() is None for n, p in self.procs.procs.items()}

    def stop(self) -> dict[str, int]:
        return self.procs.stop()
