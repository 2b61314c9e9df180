"""Consumed topics: the catalog read model, closed periods, and each activity's points and decision."""

from __future__ import annotations

from activity_service.application import activities
from activity_service.persistence import repository as repo
from activity_service.persistence.reference import ReferenceCache
from kinerja_contracts.activity.v1 import ActivityScoredV1
from kinerja_contracts.approval.v1 import ApprovalDecidedV1
from kinerja_contracts.catalog.v1 import ActivityTypeV1
from kinerja_contracts.topics import ACTIVITY_SCORED, APPROVAL_DECIDED, CATALOG_ACTIVITY_TYPE, TPP_PERIOD_CLOSED
from kinerja_contracts.tpp.v1 import TppPeriodClosedV1
from kinerja_kit.consumer import ConsumerGroup, EventMeta
from kinerja_kit.outbox import UnitOfWork


def register(group: ConsumerGroup, reference: ReferenceCache) -> None:
    @group.handler(CATALOG_ACTIVITY_TYPE)
    async def on_catalog(uow: UnitOfWork, event: ActivityTypeV1, meta: EventMeta) -> None:
        await repo.upsert_type(uow.session, event)
        reference.invalidate()

    @group.handler(TPP_PERIOD_CLOSED)
    async def on_period_closed(uow: UnitOfWork, event: TppPeriodClosedV1, meta: EventMeta) -> None:
        await repo.mark_closed(uow.session, event.period, event.closed_at)
        reference.invalidate()

    @group.handler(ACTIVITY_SCORED)
    async def on_scored(uow: UnitOfWork, event: ActivityScoredV1, meta: EventMeta) -> None:
        await activities.record_score(uow, event)

    @group.handler(APPROVAL_DECIDED)
    async def on_decided(uow: UnitOfWork, event: ApprovalDecidedV1, meta: EventMeta) -> None:
        await activities.record_decision(uow, event)
