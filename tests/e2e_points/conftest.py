"""A second platform in a points region (Jambi's weighting), on a broker of its own so that its
scoring and tpp never meet the minutes region's events: activity, scoring (KINERJA_SCORING_PROFILE
=points), approval and tpp (KINERJA_TPP_PROFILE=jambi-points)."""

from __future__ import annotations

import pytest
import pytest_asyncio

from support import ROOT, ServiceProcesses, own_broker

PORTS = {"activity": 18101, "scoring": 18102, "approval": 18103, "tpp": 18104}
KAFKA_PORT, CONTROLLER_PORT = 19192, 19193


@pytest.fixture(scope="session")
def points_kafka(kafka_bootstrap) -> str:
    """A broker on 19192 with its own data dir (the jars of the main test broker)."""
    with own_broker("test-points", KAFKA_PORT, CONTROLLER_PORT) as bootstrap:
        yield bootstrap


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
