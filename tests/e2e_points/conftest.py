"""A second platform in a points region (Jambi's weighting), on a broker of its own so that its
scoring and tpp never meet the minutes region's events: activity, scoring (KINERJA_SCORING_PROFILE
=points), approval and tpp (KINERJA_TPP_PROFILE=jambi-points)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import pytest_asyncio

from support import ROOT, ServiceProcesses

PORTS = {"activity": 18101, "scoring": 18102, "approval": 18103, "tpp": 18104}
KAFKA_PORT, CONTROLLER_PORT = 19192, 19193


@pytest.fixture(scope="session")
def points_kafka(kafka_bootstrap) -> str:
    """A broker on 19192 with its own data dir (the jars of the main test broker)."""
    run_dir = ROOT / ".run" / "test-points"
    main_run = Path(os.environ.get("KINERJA_RUN_DIR", ROOT / ".run" / "test"))
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
async def points_services(points_kafka, fresh_database):
    """The packaged profiles: scoring `points`, tpp `jambi-points`."""
    urls = {name: await fresh_database(f"e2e_points_{name}") for name in PORTS}
    procs = ServiceProcesses(points_kafka, urls, ROOT / ".run" / "test" / "logs-points", ports=PORTS,
                             env={"KINERJA_SCORING_PROFILE": "points", "KINERJA_TPP_PROFILE": "jambi-points"})
    procs.start()
    try:
        await procs.wait_ready()
        yield procs
    finally:
        procs.stop()
