"""The Inspektorat's verification finds a decision edited directly in PostgreSQL
(before: the trail could be read, never verified)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import asyncpg
import httpx
import pytest

from approval_service.application import tasks
from approval_service.domain.task import Decision, Task
from approval_service.main import create_app, load_settings
from approval_service.persistence import repository as repo
from support import token

pytestmark = pytest.mark.infra

OWNER, APPROVER, AUDITOR = "198503302010011002", "197501012000031001", "198001012005011001"


async def test_an_edited_decision_is_reported_by_the_verification(kafka_bootstrap, fresh_database):
    url = await fresh_database("tamper_approval")
    app = create_app(load_settings(kafka_bootstrap=kafka_bootstrap, database_url=url, lag_sample_seconds=0))
    runtime = app.state.runtime
    async with app.router.lifespan_context(app):
        activity_ids = [uuid.uuid4() for _ in range(3)]
        for activity_id in activity_ids:
            async with runtime.uow() as uow:
                await repo.save_task(uow.session, Task.open(
                    id=str(uuid.uuid4()), activity_id=str(activity_id), nip=OWNER, assignee_nip=APPROVER,
                    type_code="LAPORAN", work_date=date(2026, 11, 20), minutes=120, points=Decimal(0), revision=0,
                    now=datetime.now(timezone.utc), due_at=None))
            async with runtime.uow() as uow:
                await tasks.decide(uow, activity_id=activity_id, actor_nip=APPROVER, decision=Decision.REJECT,
                                   reason="bukti tidak lengkap")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://approval") as http:
            verify = lambda: http.get("/v1/audit/verify", headers=token(AUDITOR, "inspektorat"))  # noqa: E731
            assert (await verify()).json() == {"ok": True, "entries": 3, "first_broken": None}
            assert (await http.get("/v1/audit/verify", headers=token(OWNER))).status_code == 403

            conn = await asyncpg.connect(url)
            try:  # the service's role may only append: UPDATE and DELETE are refused
                second = await conn.fetchval("SELECT id FROM audit_trail ORDER BY id OFFSET 1 LIMIT 1")
                for sql in ("UPDATE audit_trail SET action = 'approve' WHERE id = $1", "DELETE FROM audit_trail WHERE id = $1"):
                    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                        await conn.execute(sql, second)
                # the table's owner turns the trigger off and the second rejection into an approval
                await conn.execute("ALTER TABLE audit_trail DISABLE TRIGGER audit_trail_append_only")
                await conn.execute("UPDATE audit_trail SET action = 'approve', reason = NULL WHERE id = $1", second)
            finally:
                await conn.close()
            assert (await verify()).json() == {"ok": False, "entries": 3, "first_broken": second}
