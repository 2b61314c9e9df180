"""A service started while Kafka is unreachable takes writes, keeps them in the outbox and
publishes them once Kafka is back (before: it could not start at all)."""

from __future__ import annotations

import uuid

import httpx
import pytest
import sqlalchemy as sa

from activity_service.main import create_app, load_settings
from kinerja_contracts.topics import ORG_EMPLOYEE
from support import TcpForwarder, eventually, read_topic, token

pytestmark = pytest.mark.infra


def org_csv(nips: list[str]) -> str:
    head = "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
    return head + "".join(f"{n},Pegawai {i},DISHUB,Dinas Perhubungan,Staf,pelaksana,,5,,PNS\n"
                          for i, n in enumerate(nips))


async def test_writes_wait_in_the_outbox_while_kafka_is_down(kafka_bootstrap, fresh_database):
    kafka = TcpForwarder(kafka_bootstrap).reserve()  # nothing listens yet: Kafka is "down"
    url = await fresh_database("outage_activity")
    app = create_app(load_settings(kafka_bootstrap=kafka.address, database_url=url, outbox_poll_seconds=0.2,
                                   lag_sample_seconds=0))
    nips = [f"1990{uuid.uuid4().int % 10**14:014d}" for _ in range(3)]
    db = app.state.runtime.db
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://activity") as http:
                ready = await http.get("/health/ready")
                assert ready.status_code == 200 and ready.json()["status"] == "degraded", ready.text

                r = await http.post("/v1/org/import", content=org_csv(nips),
                                    headers={**token("199912312024011009", "admin"), "content-type": "text/csv"})
                assert r.status_code == 200 and r.json()["imported"] == 3, r.text

                async def unsent() -> int:
                    async with db.engine.connect() as conn:
                        return await conn.scalar(sa.select(sa.func.count()).select_from(db.outbox).where(
                            db.outbox.c.sent_at.is_(None), db.outbox.c.topic == "org.employee.v1"))
                assert await unsent() == 3, "acknowledged writes wait in the outbox"

                await kafka.open()  # Kafka is back
                await eventually(lambda: _zero(unsent), timeout=60)
                records = await read_topic(kafka_bootstrap, ORG_EMPLOYEE, lambda rec: rec.key.decode() in nips,
                                           expect=3)
                assert sorted(rec.key.decode() for rec in records) == sorted(nips)
                # The relay's producer reconnects on its own; readiness turns ok once the service's
                # consumers have reconnected too (their retry backs off up to 30 s).
                async def ready_ok() -> bool:
                    return (await http.get("/health/ready")).json()["status"] == "ok"
                await eventually(ready_ok, timeout=60)
    finally:
        await kafka.close()


async def _zero(count) -> bool:
    return await count() == 0
