"""A platform of its own for the fuzzer (its broker, databases and ports), since admin fuzzing
writes garbage (org imports, period closes, catalog versions) the other e2e tests must not see.
KINERJA_FUZZ_KAFKA_PORT / _CONTROLLER_PORT / KINERJA_FUZZ_PORT_BASE move it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import pytest_asyncio

from support import ROOT, ServiceProcesses, own_broker

_BASE = int(os.environ.get("KINERJA_FUZZ_PORT_BASE", "18200"))
PORTS = {"activity": _BASE + 1, "scoring": _BASE + 2, "approval": _BASE + 3, "tpp": _BASE + 4, "notify": _BASE + 5}
KAFKA_PORT = int(os.environ.get("KINERJA_FUZZ_KAFKA_PORT", "19292"))
CONTROLLER_PORT = int(os.environ.get("KINERJA_FUZZ_KAFKA_CONTROLLER_PORT", "19293"))
RUN_NAME = Path(os.environ.get("KINERJA_RUN_DIR", ROOT / ".run" / "test")).name + "-fuzz"


@pytest.fixture(scope="session")
def fuzz_kafka(kafka_bootstrap) -> str:
    """A broker of its own (the jars of the main test broker)."""
    with own_broker(RUN_NAME, KAFKA_PORT, CONTROLLER_PORT) as bootstrap:
        yield bootstrap


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def fuzz_services(fuzz_kafka, fresh_database):
    urls = {name: await fresh_database(f"fuzz_{name}") for name in PORTS}
    # A high write limit: the fuzzer is one user sending hundreds of writes.
    procs = ServiceProcesses(fuzz_kafka, urls, ROOT / ".run" / "test" / "logs-fuzz", ports=PORTS,
                             env={"KINERJA_WRITE_BURST": "100000", "KINERJA_WRITE_RATE_PER_MINUTE": "100000"})
    procs.start()
    try:
        await procs.wait_ready()
        yield procs
    finally:
        procs.stop()
