"""HTTP routes of the notify service."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from kinerja_kit.auth import CurrentPrincipal
from kinerja_kit.errors import NotFound
from notify_service.persistence import repository as repo

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
    async with request.app.state.runtime.db.sessions() as session:
        rows = await repo.for_recipient(session, principal.nip, unread=unread, limit=limit, before_id=before_id)
        return [NotificationOut(**r.model_dump()) for r in rows]


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
async def mark_read(notification_id: int, request: Request, principal: CurrentPrincipal) -> NotificationOut:
    async with request.app.state.runtime.db.sessions() as session, session.begin():
        row = await repo.mark_read(session, notification_id, principal.nip, datetime.now(timezone.utc))
        if row is None:
            raise NotFound("notification not found")
        return NotificationOut(**row.model_dump())
