"""Consumed topics: org data, activities to price, and decisions to count."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from kinerja_contracts.activity.v1 import ActivityScoredV1, ActivitySubmittedV1, ActivityWithdrawnV1
from kinerja_contracts.approval.v1 import ApprovalDecidedV1
from kinerja_contracts.org.v1 import EmployeeV1
from kinerja_contracts.performance.v1 import PerformanceMonthlyV1
from kinerja_contracts.topics import (
    ACTIVITY_REVISED, ACTIVITY_SCORED, ACTIVITY_SUBMITTED, ACTIVITY_WITHDRAWN, APPROVAL_DECIDED,
    ORG_EMPLOYEE, PERFORMANCE_MONTHLY,
)
from kinerja_kit.consumer import ConsumerGroup, EventMeta, NotYetAvailable, PermanentError
from kinerja_kit.outbox import UnitOfWork
from scoring_service.domain import scoring
from scoring_service.persistence import repository as repo
from scoring_service.persistence.tables import Score
from scoring_service.region import RegionConfig


def monthly_event(row, region: RegionConfig, now: datetime) -> PerformanceMonthlyV1:
    m = region.month(row.period, row.approved_minutes, Decimal(row.approved_points))
    return PerformanceMonthlyV1(
        nip=row.nip, period=row.period, scoring_mode=region.scoring_mode,
        approved_minutes=row.approved_minutes, approved_points=row.approved_points,
        approved_activities=row.approved_activities, workdays=m.workdays, target_minutes=m.target_minutes,
        productivity=m.productivity, version=row.version, computed_at=now,
    )


def register(group: ConsumerGroup, region: RegionConfig) -> None:
    @group.handler(ORG_EMPLOYEE)
    async def on_employee(uow: UnitOfWork, event: EmployeeV1, meta: EventMeta) -> None:
        await repo.upsert_employee(uow.session, event)

    async def score(uow: UnitOfWork, event: ActivitySubmittedV1, revision: int) -> None:
        employee = await repo.get_employee(uow.session, event.nip)
        if employee is None:
            raise NotYetAvailable(f"employee {event.nip} not known yet")  # org event still on its way
        versions = await repo.catalog_versions(uow.session, event.type_code)
        t = scoring.applicable(versions, event.work_date)
        if t is None:
            raise PermanentError(f"type_code {event.type_code} has no catalog version on {event.work_date}")
        activity_id = str(event.activity_id)
        p = scoring.price(t, event.quantity)
        now = datetime.now(timezone.utc)
        row = await repo.get_score(uow.session, activity_id)
        if row is None:
            row = Score(activity_id=activity_id, nip=event.nip, work_date=event.work_date,
                        type_code=event.type_code, quantity=event.quantity, minutes=p.minutes,
                        points=p.points, status="scored", scored_at=now)
            uow.session.add(row)
        else:
            row.type_code, row.quantity, row.minutes, row.points = event.type_code, event.quantity, p.minutes, p.points
            row.work_date, row.status, row.scored_at = event.work_date, "scored", now
        await uow.emit(ACTIVITY_SCORED, ActivityScoredV1(
            activity_id=event.activity_id, nip=event.nip, type_code=event.type_code, work_date=event.work_date,
            quantity=event.quantity, minutes=p.minutes, points=p.points, catalog_effective_from=t.effective_from,
            revision=revision, scored_at=now,
        ))

    @group.handler(ACTIVITY_SUBMITTED)
    async def on_submitted(uow: UnitOfWork, event: ActivitySubmittedV1, meta: EventMeta) -> None:
        await score(uow, event, 0)

    @group.handler(ACTIVITY_REVISED)
    async def on_revised(uow: UnitOfWork, event, meta: EventMeta) -> None:
        await score(uow, event, event.revision)

    @group.handler(ACTIVITY_WITHDRAWN)
    async def on_withdrawn(uow: UnitOfWork, event: ActivityWithdrawnV1, meta: EventMeta) -> None:
        row = await repo.get_score(uow.session, str(event.activity_id))
        if row is not None and row.status != "approved":
            row.status = "withdrawn"

    @group.handler(APPROVAL_DECIDED)
    async def on_decided(uow: UnitOfWork, event: ApprovalDecidedV1, meta: EventMeta) -> None:
        row = await repo.get_score(uow.session, str(event.activity_id))
        if row is None:
            raise NotYetAvailable(f"score of activity {event.activity_id} not stored yet")
        if row.status == "approved":
            return  # already counted
        decision = event.decision.value
        row.status = {"approve": "approved", "reject": "rejected", "return": "returned"}[decision]
        if decision != "approve":
            return
        now = datetime.now(timezone.utc)
        monthly = await repo.monthly_for_update(uow.session, event.nip, scoring.period_of(row.work_date), now)
        before = await repo.approved_minutes_on(uow.session, row.nip, row.work_date, row.activity_id)
        monthly.approved_minutes += scoring.credit_within_cap(before, row.minutes, region.daily_cap_minutes)
        monthly.approved_points = Decimal(monthly.approved_points) + Decimal(row.points)
        monthly.approved_activities += 1
        monthly.version += 1
        monthly.updated_at = now
        await uow.emit(PERFORMANCE_MONTHLY, monthly_event(monthly, region, now))
