"""Consumed topics: org data (who is whose atasan), scored activities to route, withdrawals."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from approval_service.domain.rules import PENDING, UNASSIGNED, add_working_days
from approval_service.persistence import repository as repo
from approval_service.persistence.tables import Task
from kinerja_contracts.activity.v1 import ActivityScoredV1, ActivityWithdrawnV1
from kinerja_contracts.approval.v1 import ApprovalRequestedV1
from kinerja_contracts.org.v1 import EmployeeV1
from kinerja_contracts.topics import ACTIVITY_SCORED, ACTIVITY_WITHDRAWN, APPROVAL_REQUESTED, ORG_EMPLOYEE
from kinerja_kit.consumer import ConsumerGroup, EventMeta, NotYetAvailable
from kinerja_kit.outbox import UnitOfWork


def register(group: ConsumerGroup, sla_working_days: int, tz: ZoneInfo) -> None:
    @group.handler(ORG_EMPLOYEE)
    async def on_employee(uow: UnitOfWork, event: EmployeeV1, meta: EventMeta) -> None:
        await repo.upsert_employee(uow.session, event)

    @group.handler(ACTIVITY_SCORED)
    async def on_scored(uow: UnitOfWork, event: ActivityScoredV1, meta: EventMeta) -> None:
        employee = await repo.get_employee(uow.session, event.nip)
        if employee is None:
            raise NotYetAvailable(f"employee {event.nip} not known yet")  # org event still on its way
        now = datetime.now(timezone.utc)
        task = await repo.task_by_activity(uow.session, str(event.activity_id), lock=True)
        if task is None:
            task = Task(id=str(uuid.uuid4()), activity_id=str(event.activity_id), nip=event.nip,
                        assignee_nip=employee.supervisor_nip, status=PENDING, type_code=event.type_code,
                        work_date=event.work_date, minutes=event.minutes, points=event.points,
                        revision=event.revision, requested_at=now)
            uow.session.add(task)
        elif event.revision > task.revision and task.status == "returned":
            # A revised activity comes back to the same approver.
            task.status, task.revision, task.minutes, task.points = PENDING, event.revision, event.minutes, event.points
            task.type_code, task.work_date, task.requested_at = event.type_code, event.work_date, now
            task.decided_at = task.decided_by = task.reason = None
        else:
            return  # a re-scoring of a task already routed: nothing to do
        if task.assignee_nip is None:
            task.status = UNASSIGNED
            return
        # Working days count in the region's time zone (holidays: not yet).
        task.due_at = add_working_days(now.astimezone(tz), sla_working_days).astimezone(timezone.utc)
        await uow.emit(APPROVAL_REQUESTED, ApprovalRequestedV1(
            task_id=uuid.UUID(task.id), activity_id=event.activity_id, nip=event.nip,
            approver_nip=task.assignee_nip, type_code=event.type_code, work_date=event.work_date,
            minutes=event.minutes, points=event.points, requested_at=now, due_at=task.due_at,
        ))

    @group.handler(ACTIVITY_WITHDRAWN)
    async def on_withdrawn(uow: UnitOfWork, event: ActivityWithdrawnV1, meta: EventMeta) -> None:
        task = await repo.task_by_activity(uow.session, str(event.activity_id), lock=True)
        if task is not None and task.status in (PENDING, UNASSIGNED, "returned"):
            task.status = "cancelled"
