"""HTTP routes of the notify service."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel

from kinerja_kit.auth import CurrentPrincipal
from notify_service.persistence.tables import Notification

router = APIRouter(prefix="/v1")


class NotificationOut(BaseModel):
    id: int
    kind: str
    title: str
    body: str
    data: dict
    created_at: datetime
    read_at: datetime | None


@router.get("/notifications", response_model=list[NotificationOut])
async def list_notifications(
    request: Request, principal: CurrentPrincipal,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, description="page: ids lower than this")] = None,
) -> list[NotificationOut]:
    """The caller's notifications, newest first."""
    stmt = sa.select(Notification).where(Notification.recipient_nip == principal.nip)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    if before_id:
        stmt = stmt.where(Notification.id < before_id)
    async with request.app.state.runtime.db.sessions() as session:
        rows = await session.scalars(stmt.order_by(Notification.id.desc()).limit(limit))
        return [NotificationOut(**r.model_dump()) for r in rows]


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
async def mark_read(notification_id: int, request: Request, principal: CurrentPrincipal) -> NotificationOut:
    async with request.app.state.runtime.db.sessions() as session, session.begin():
        row = await session.get(Notification, notification_id, with_for_update=True)
        if row is None or row.recipient_nip != principal.nip:
            raise HTTPException(404, detail="notification not found")
        row.read_at = row.read_at or datetime.now(timezone.utc)
        return NotificationOut(**row.model_dump())
