"""A service runs on the embedded SQLite default (no database URL) against the real broker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from kinerja_contracts.approval.v1 import ApprovalRequestedV1
from kinerja_contracts.envelope import make_headers
from kinerja_contracts.topics import APPROVAL_REQUESTED
from support import eventually, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def test_notify_on_sqlite(kafka_bootstrap, tmp_path, monkeypatch):
    from notify_service.main import create_app, load_settings

    monkeypatch.chdir(tmp_path)  # the default SQLite file lives in ./var
    monkeypatch.delenv("KINERJA_DATABASE_URL", raising=False)
    # Its own service name, so its consumer group is not the one the e2e notify process uses.
    settings = load_settings(kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1).model_copy(
        update={"service": "notify-sqlite"})
    assert settings.sqlalchemy_url() == "sqlite+aiosqlite:///var/notify-sqlite.db"
    app = create_app(settings)
    approver = "1975" + str(uuid.uuid4().int)[:14]
    event = ApprovalRequestedV1(task_id=uuid.uuid4(), activity_id=uuid.uuid4(), nip="198503302010011002",
                                approver_nip=approver, type_code="LAPORAN", work_date=date(2026, 11, 20),
                                minutes=240, points=Decimal(0), requested_at=datetime.now(timezone.utc))
    headers = [(k, v.encode()) for k, v in
               make_headers(event_type="approval.requested", schema_version=1, producer="test").items()]
    async with app.router.lifespan_context(app):
        assert (tmp_path / "var" / "notify-sqlite.db").exists()
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for _ in range(2):  # delivered twice, stored once
                await producer.send_and_wait(APPROVAL_REQUESTED, event.model_dump_json().encode(),
                                             key=event.nip.encode(), headers=headers)
        finally:
            await producer.stop()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify") as http:
            assert (await http.get("/health/ready")).status_code == 200

            async def notified():
                items = (await http.get("/v1/notifications", headers=token(approver))).json()
                return items if items else None
            items = await eventually(notified, timeout=60)
            await asyncio.sleep(1.0)
            items = (await http.get("/v1/notifications", headers=token(approver))).json()
            assert len(items) == 1 and items[0]["kind"] == "approval.requested"
