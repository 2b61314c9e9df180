"""Queries and writes of the notify service."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from notify_service.domain.messages import Message
from notify_service.persistence.tables import Notification


async def store(session: AsyncSession, messages: list[Message], source_event_id: str,
                now: datetime) -> list[Notification]:
    """Store the in-app notifications of one event (flushed: they have their ids)."""
    rows = [Notification(recipient_nip=m.recipient_nip, kind=m.kind, title=m.title, body=m.body,
                         data=m.data, source_event_id=source_event_id, created_at=now) for m in messages]
    session.add_all(rows)
    await session.flush()
    return rows


async def get_preferences(session: AsyncSession, nip: str):
    """The recipient's notification preferences, or None (the defaults: in-app only)."""
    return None


async def for_recipient(session: AsyncSession, nip: str, *, unread: bool, limit: int,
                        before_id: int | None) -> list[Notification]:
    """A recipient's notifications, newest first; `before_id` pages back."""
    stmt = sa.select(Notification).where(Notification.recipient_nip == nip)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    if before_id:
        stmt = stmt.where(Notification.id < before_id)
    return list(await session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


async def mark_read(session: AsyncSession, notification_id: int, nip: str, now: datetime) -> Notification | None:
    """Mark one of the recipient's notifications read (the first time stands); None if not theirs."""
    row = await session.get(Notification, notification_id, with_for_update=True)
    if row is None or row.recipient_nip != nip:
        return None
    row.read_at = row.read_at or now
    return row
