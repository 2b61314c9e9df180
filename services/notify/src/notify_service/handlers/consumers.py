"""Consumed topics: each event becomes in-app notifications for the people it concerns."""

from __future__ import annotations

from datetime import datetime, timezone

from kinerja_contracts.topics import APPROVAL_DECIDED, APPROVAL_ESCALATED, APPROVAL_REQUESTED, TPP_COMPUTED
from kinerja_contracts.topics import APPROVAL_REMINDER
from kinerja_kit.consumer import ConsumerGroup, EventMeta
from kinerja_kit.outbox import UnitOfWork
from notify_service import delivery
from notify_service.domain import messages
from notify_service.persistence import repository as repo

ROUTES = {
    APPROVAL_REQUESTED: messages.approval_requested,
    APPROVAL_DECIDED: messages.approval_decided,
    APPROVAL_ESCALATED: messages.approval_escalated,
    APPROVAL_REMINDER: messages.approval_reminder,
    TPP_COMPUTED: messages.tpp_computed,
}


def register(group: ConsumerGroup) -> None:
    for topic, render in ROUTES.items():
        group.handler(topic)(_store(topic, render))


def _store(topic: str, render):
    async def handle(uow: UnitOfWork, event, meta: EventMeta) -> None:
        rows = await repo.store(uow.session, render(event), meta.event_id, datetime.now(timezone.utc))
        for row in rows:
            await delivery.on_notification(uow, row, await repo.get_preferences(uow.session, row.recipient_nip))
        await delivery.on_event(uow, topic, event, meta)
    return handle
