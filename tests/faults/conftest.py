"""The fault suite's rig (own broker, own PostgreSQL cluster, proxy, five services) and its report:
a table per scenario at the end of the run and JSON in .run/faults/results.json."""

from __future__ import annotations

import pytest_asyncio

from faults.infra import PROXIED_PORT, PROXY_PORT, SERVICE_NAMES, Broker, ChaosProxy, Platform, PrivatePostgres
from kinerja_kit.topics_admin import create_topics
from faults.report import RESULTS_FILE, Rig, summary
from support import ROOT


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def rig(kafka_bootstrap, pg_server_url):  # under scripts/test.sh only, like the other infra tests
    """Module-scoped: in `make test` it is gone before the next module starts."""
    broker, pg = Broker(), PrivatePostgres()
    proxy = ChaosProxy(PROXY_PORT, PROXIED_PORT)
    names = [f"faults_{s}" for s in SERVICE_NAMES]
    RESULTS_FILE.unlink(missing_ok=True)
    broker.reset()
    broker.start()
    platform = None
    try:
        await create_topics({"bootstrap_servers": broker.bootstrap})
        proxy.start()
        pg.start()
        dbs = await pg.create_databases(names)
        urls = {s: dbs[f"faults_{s}"] for s in SERVICE_NAMES}
        platform = Platform(proxy.address, urls, ROOT / ".run" / "faults" / "logs")
        await platform.start_all()
        yield Rig(broker, pg, proxy, platform, urls)
    finally:
        if platform is not None:
            platform.stop()
        proxy.stop()
        broker.stop()
        try:
            pg.start()
            await pg.drop_databases(names)
        finally:
            pg.stop()


def pytest_terminal_summary(terminalreporter) -> None:
    summary(terminalreporter)
