"""Consumed topics: each event becomes in-app notifications for the people it concerns; the org,
activity and calendar topics keep what the low-activity reminder needs (who is active, how much
each logged per month, the working days)."""

from __future__ import annotations

from datetime import datetime, timezone

from kinerja_contracts.activity.v1 import ActivitySubmittedV1
from kinerja_contracts.calendar.v1 import CalendarYearV1
from kinerja_contracts.org.v1 import EmployeeV1
from kinerja_contracts.topics import APPROVAL_DECIDED, APPROVAL_ESCALATED, APPROVAL_REQUESTED, TPP_COMPUTED
from kinerja_contracts.topics import ACTIVITY_SUBMITTED, APPROVAL_REMINDER, CALENDAR_YEAR, ORG_EMPLOYEE
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.consumer import ConsumerGroup, EventMeta
from kinerja_kit.outbox import UnitOfWork
from notify_service import delivery
from notify_service.application.notifications import Context, store_messages
from notify_service.domain import messages
from notify_service.domain.cutoff import period_of
from notify_service.persistence import repository as repo

# topic → render(event, templates) -> [Message]
ROUTES = {
    APPROVAL_REQUESTED: messages.approval_requested,  # the superior: a new task (a digest when many)
    APPROVAL_DECIDED: messages.approval_decided,  # the employee: the decision and its reason
    APPROVAL_ESCALATED: messages.approval_escalated,  # both approvers
    APPROVAL_REMINDER: messages.approval_reminder,  # the approver, one working day before escalation
    TPP_COMPUTED: messages.tpp_computed,  # the employee: slip ready (revision 1) or revised
}


def register(group: ConsumerGroup, ctx: Context, calendar: CalendarCache | None = None) -> None:
    for topic, render in ROUTES.items():
        group.handler(topic)(_store(topic, render, ctx))
    if calendar is not None:  # CalendarCache.consume, plus the webhook hook every consumed topic has
        @group.handler(CALENDAR_YEAR)
        async def on_calendar_year(uow: UnitOfWork, event: CalendarYearV1, meta: EventMeta) -> None:
            await calendar.store(uow.session, event)
            await delivery.on_event(uow, CALENDAR_YEAR, event, meta)

    @group.handler(ORG_EMPLOYEE)
    async def on_employee(uow: UnitOfWork, event: EmployeeV1, meta: EventMeta) -> None:
        await repo.upsert_employee(uow.session, event.nip, event.name, event.active, datetime.now(timezone.utc))
        await delivery.on_event(uow, ORG_EMPLOYEE, event, meta)

    @group.handler(ACTIVITY_SUBMITTED)
    async def on_activity(uow: UnitOfWork, event: ActivitySubmittedV1, meta: EventMeta) -> None:
        await repo.count_activity(uow.session, event.nip, period_of(event.work_date))
        await delivery.on_event(uow, ACTIVITY_SUBMITTED, event, meta)


def _store(topic: str, render, ctx: Context):
    async def handle(uow: UnitOfWork, event, meta: EventMeta) -> None:
        rows = await store_messages(uow.session, ctx, render(event, ctx.templates), meta.event_id,
                                    datetime.now(timezone.utc))
        for row in rows:
            await delivery.on_notification(uow, row, await repo.get_preferences(uow.session, row.recipient_nip))
        await delivery.on_event(uow, topic, event, meta)
    return handle
