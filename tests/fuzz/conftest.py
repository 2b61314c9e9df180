"""A platform of its own for the fuzzer (its broker, databases and ports), since admin fuzzing
writes garbage (org imports, period closes, catalog versions) the other e2e tests must not see.
KINERJA_FUZZ_KAFKA_PORT / _CONTROLLER_PORT / KINERJA_FUZZ_PORT_BASE move it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import pytest_asyncio

from support import ROOT, ServiceProcesses

_BASE = int(os.environ.get("KINERJA_FUZZ_PORT_BASE", "18200"))
PORTS = {"activity": _BASE + 1, "scoring": _BASE + 2, "approval": _BASE + 3, "tpp": _BASE + 4, "notify": _BASE + 5}
KAFKA_PORT = int(os.environ.get("KINERJA_FUZZ_KAFKA_PORT", "19292"))
CONTROLLER_PORT = int(os.environ.get("KINERJA_FUZZ_KAFKA_CONTROLLER_PORT", "19293"))


@pytest.fixture(scope="session")
def fuzz_kafka(kafka_bootstrap) -> str:
    """A broker with its own data dir (the jars of the main test broker)."""
    main_run = Path(os.environ.get("KINERJA_RUN_DIR", ROOT / ".run" / "test"))
    run_dir = main_run.parent / (main_run.name + "-fuzz")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINERJA_KAFKA_SASL")
           and k != "KINERJA_KAFKA_SCRAM_USERS"}
    env |= {"KINERJA_RUN_DIR": str(run_dir), "KINERJA_KAFKA_PORT": str(KAFKA_PORT),
            "KINERJA_KAFKA_CONTROLLER_PORT": str(CONTROLLER_PORT),
            "KINERJA_KAFKA_LIBS_DIR": str(main_run / "kafka" / "libs")}
    script = str(ROOT / "scripts" / "kafka.sh")
    subprocess.run(["bash", script, "reset"], env=env, capture_output=True)
    subprocess.run(["bash", script, "start"], env=env, check=True, capture_output=True)
    bootstrap = f"127.0.0.1:{KAFKA_PORT}"
    try:
        subprocess.run(["uv", "run", "kinerja-topics", "create", "--bootstrap", bootstrap], env=env, check=True,
                       cwd=ROOT, capture_output=True)
        yield bootstrap
    finally:
        subprocess.run(["bash", script, "stop"], env=env, capture_output=True)


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
