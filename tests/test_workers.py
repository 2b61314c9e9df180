"""KINERJA_HTTP_WORKERS runs a service as several worker processes on one port, stopped cleanly
by one SIGTERM. (Kafka is pointed at a closed port: the workers start anyway and join no group.)"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from support import ROOT, eventually

pytestmark = pytest.mark.infra


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def workers_of(pid: int) -> list[int]:
    """The supervisor's worker processes (not multiprocessing's resource tracker)."""
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            if "spawn_main" in Path(f"/proc/{child}/cmdline").read_text():
                out.append(int(child))
    return out


async def test_two_workers_serve_one_port_and_stop_on_sigterm(fresh_database, tmp_path):
    port = free_port()
    env = {**os.environ, "KINERJA_HTTP_WORKERS": "2", "KINERJA_NOTIFY_HTTP_PORT": str(port),
           "KINERJA_NOTIFY_DATABASE_URL": await fresh_database("workers_notify"),
           "KINERJA_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}", "KINERJA_LAG_SAMPLE_SECONDS": "0"}
    log = open(tmp_path / "notify.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "notify_service.main"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            async def ready():
                try:
                    r = await http.get("/health/ready")
                except httpx.TransportError:
                    return False
                return r.status_code == 200 and r.json()["status"] == "degraded"  # Kafka away, writes ok
            await eventually(ready, timeout=60)
            workers = await eventually(lambda: _two(proc.pid), timeout=30)
            assert len(workers) == 2
            # One worker answering is not both started: a worker still importing when SIGTERM
            # comes dies by the default handler, before it has started anything to stop.
            await eventually(lambda: _both_started(tmp_path), timeout=60)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=40) in (0, -15)
        assert all(not Path(f"/proc/{w}").exists() for w in workers)
        text = _log(tmp_path)
        assert text.count('"service stopped"') == 2, text
    finally:
        if proc.poll() is None:
            proc.kill()


def _log(tmp_path: Path) -> str:
    return (tmp_path / "notify.log").read_text()


async def _both_started(tmp_path: Path) -> bool:
    return _log(tmp_path).count('"service started"') == 2


async def _two(pid: int) -> list[int] | None:
    kids = workers_of(pid)
    return kids if len(kids) == 2 else None
