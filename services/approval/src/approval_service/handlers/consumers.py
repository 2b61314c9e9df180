"""Consumed topics: org data (who is whose atasan), the region calendar, scored activities to route,
withdrawals, closed TPP periods (no decision on work dated in them)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from approval_service.application import tasks
from approval_service.persistence import repository as repo
from kinerja_contracts.activity.v1 import ActivityScoredV1, ActivityWithdrawnV1
from kinerja_contracts.org.v1 import EmployeeV1
from kinerja_contracts.topics import ACTIVITY_SCORED, ACTIVITY_WITHDRAWN, ORG_EMPLOYEE
from kinerja_contracts.topics import TPP_PERIOD_CLOSED
from kinerja_contracts.tpp.v1 import TppPeriodClosedV1
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.consumer import ConsumerGroup, EventMeta
from kinerja_kit.outbox import UnitOfWork


def register(group: ConsumerGroup, sla_working_days: int, tz: ZoneInfo, calendar: CalendarCache) -> None:
    calendar.consume(group)

    @group.handler(ORG_EMPLOYEE)
    async def on_employee(uow: UnitOfWork, event: EmployeeV1, meta: EventMeta) -> None:
        officials = await repo.upsert_employee(uow.session, event)
        await tasks.reroute(uow, event.nip, officials, sla_working_days=sla_working_days, tz=tz, calendar=calendar)

    @group.handler(ACTIVITY_SCORED)
    async def on_scored(uow: UnitOfWork, event: ActivityScoredV1, meta: EventMeta) -> None:
        await tasks.route_scored(uow, event, sla_working_days, tz, calendar)

    @group.handler(ACTIVITY_WITHDRAWN)
    async def on_withdrawn(uow: UnitOfWork, event: ActivityWithdrawnV1, meta: EventMeta) -> None:
        await tasks.cancel_for_withdrawal(uow, str(event.activity_id))

    @group.handler(TPP_PERIOD_CLOSED)
    async def on_period_closed(uow: UnitOfWork, event: TppPeriodClosedV1, meta: EventMeta) -> None:
        await repo.record_closed_period(uow.session, event.period, event.closed_at)  # decisions in it: 409
