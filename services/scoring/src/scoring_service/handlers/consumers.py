"""Consumed topics: org data, the catalog (its own, so a rebuild restores it), attendance,
activities to price, and decisions to count."""

from __future__ import annotations

from kinerja_contracts.activity.v1 import ActivityRevisedV1, ActivitySubmittedV1, ActivityWithdrawnV1
from kinerja_contracts.approval.v1 import ApprovalDecidedV1, ApprovalEscalatedV1, ApprovalRequestedV1
from kinerja_contracts.attendance.v1 import AttendanceRecordedV1
from kinerja_contracts.catalog.v1 import ActivityTypeV1
from kinerja_contracts.org.v1 import EmployeeV1
from kinerja_contracts.topics import (
    ACTIVITY_REVISED, ACTIVITY_SUBMITTED, ACTIVITY_WITHDRAWN, APPROVAL_DECIDED, APPROVAL_ESCALATED, APPROVAL_REQUESTED,
    ATTENDANCE_RECORDED, CATALOG_ACTIVITY_TYPE, ORG_EMPLOYEE,
)
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.consumer import ConsumerGroup, EventMeta
from kinerja_kit.outbox import UnitOfWork
from scoring_service.application import appraisal, dashboard, scoring
from scoring_service.persistence import repository as repo
from scoring_service.region import RegionConfig


def register(group: ConsumerGroup, region: RegionConfig, calendar: CalendarCache,
             desk: dashboard.Desk | None = None) -> None:
    """`desk`: the dashboard read model and anomaly desk (issue 13), fed by the same events."""
    calendar.consume(group)

    @group.handler(ORG_EMPLOYEE)
    async def on_employee(uow: UnitOfWork, event: EmployeeV1, meta: EventMeta) -> None:
        await repo.upsert_employee(uow.session, event)
        if desk:
            await dashboard.on_employee(uow, event, desk)

    @group.handler(CATALOG_ACTIVITY_TYPE)
    async def on_catalog(uow: UnitOfWork, event: ActivityTypeV1, meta: EventMeta) -> None:
        await repo.upsert_catalog(uow.session, event)  # written by the API already; a no-op then

    @group.handler(ATTENDANCE_RECORDED)
    async def on_attendance(uow: UnitOfWork, event: AttendanceRecordedV1, meta: EventMeta) -> None:
        await scoring.record_attendance(uow, event, region, calendar)
        if desk:
            await dashboard.on_attendance(uow, event, desk)

    @group.handler(ACTIVITY_SUBMITTED)
    async def on_submitted(uow: UnitOfWork, event: ActivitySubmittedV1, meta: EventMeta) -> None:
        await scoring.price(uow, event, 0, region, calendar)
        await appraisal.link_activity(uow, event)  # the RHK it serves (progress of the SKP)
        if desk:
            await dashboard.on_activity(uow, event, 0, desk)

    @group.handler(ACTIVITY_REVISED)
    async def on_revised(uow: UnitOfWork, event: ActivityRevisedV1, meta: EventMeta) -> None:
        await scoring.price(uow, event, event.revision, region, calendar)
        await appraisal.link_activity(uow, event)
        if desk:
            await dashboard.on_activity(uow, event, event.revision, desk)

    @group.handler(ACTIVITY_WITHDRAWN)
    async def on_withdrawn(uow: UnitOfWork, event: ActivityWithdrawnV1, meta: EventMeta) -> None:
        await scoring.withdraw(uow, str(event.activity_id), region, calendar)
        if desk:
            await dashboard.on_withdrawn(uow, str(event.activity_id), event.nip)

    @group.handler(APPROVAL_DECIDED)
    async def on_decided(uow: UnitOfWork, event: ApprovalDecidedV1, meta: EventMeta) -> None:
        await scoring.count_decision(uow, event, region, calendar)
        if desk:
            await dashboard.on_decided(uow, event, desk)

    if desk is None:
        return

    @group.handler(APPROVAL_REQUESTED)
    async def on_requested(uow: UnitOfWork, event: ApprovalRequestedV1, meta: EventMeta) -> None:
        await dashboard.on_requested(uow, event)  # the backlog per superior

    @group.handler(APPROVAL_ESCALATED)
    async def on_escalated(uow: UnitOfWork, event: ApprovalEscalatedV1, meta: EventMeta) -> None:
        await dashboard.on_escalated(uow, event)
