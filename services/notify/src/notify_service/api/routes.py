"""HTTP routes of the notify service."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from kinerja_kit.auth import CurrentPrincipal
from kinerja_kit.errors import InvalidField, NotFound
from kinerja_kit.http import FieldError
from notify_service.api.stream import StreamSettings, stream_response
from notify_service.domain.preferences import Preferences, format_hhmm, parse_hhmm
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
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="page: ids lower than this")] = None,
) -> list[NotificationOut]:
    """The caller's notifications, newest first."""
    async with request.app.state.runtime.db.sessions() as session:
        rows = await repo.for_recipient(session, principal.nip, unread=unread, limit=limit, before_id=before_id)
        return [NotificationOut(**r.model_dump()) for r in rows]


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
async def mark_read(notification_id: Annotated[int, Path(ge=1, le=2**63 - 1)], request: Request, principal: CurrentPrincipal) -> NotificationOut:
    async with request.app.state.runtime.db.sessions() as session, session.begin():
        row = await repo.mark_read(session, notification_id, principal.nip, datetime.now(timezone.utc))
        if row is None:
            raise NotFound("notification not found")
        return NotificationOut(**row.model_dump())


class UnreadCount(BaseModel):
    unread: int


class Marked(BaseModel):
    marked: int


@router.get("/notifications/unread-count", response_model=UnreadCount)
async def unread_count(request: Request, principal: CurrentPrincipal) -> UnreadCount:
    """How many of the caller's notifications are unread."""
    async with request.app.state.runtime.db.sessions() as session:
        return UnreadCount(unread=await repo.unread_count(session, principal.nip))


@router.post("/notifications/read-all", response_model=Marked)
async def mark_all_read(request: Request, principal: CurrentPrincipal) -> Marked:
    """Mark every unread notification of the caller read; `marked` says how many were."""
    async with request.app.state.runtime.db.sessions() as session, session.begin():
        return Marked(marked=await repo.mark_all_read(session, principal.nip, datetime.now(timezone.utc)))


def _last_event_id(header: str | None, query: int | None) -> int | None:
    if header is not None and header.strip():
        try:
            value = int(header.strip())
        except ValueError:
            raise FieldError("Last-Event-ID", "must be a notification id (an integer)") from None
        if value < 0:
            raise FieldError("Last-Event-ID", "must not be negative")
        return value
    return query


STREAM_DOC = {200: {"content": {"text/event-stream": {}},
                   "description": "server-sent events: `id: <notification id>`, `event: notification`, "
                                  "`data: <NotificationOut JSON>`; a `: ping` comment every 15 s"}}


@router.get("/notifications/stream", response_model=None, responses=STREAM_DOC)
async def stream(
    request: Request, principal: CurrentPrincipal,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    last_event_id: Annotated[int | None, Query(ge=0, le=2**63 - 1, description="resume after this notification id "
                                               "(the Last-Event-ID header wins)")] = None,
):
    """The caller's notifications as server-sent events: every notification after `Last-Event-ID`
    first, then each new one as it is stored (without it: only new ones)."""
    db = request.app.state.runtime.db
    start = _last_event_id(last_event_id_header, last_event_id)
    if start is None:
        async with db.sessions() as session:
            start = await repo.latest_id(session, principal.nip)
    settings: StreamSettings = getattr(request.app.state, "stream_settings", None) or StreamSettings()
    return stream_response(db, principal.nip, start, lambda r: NotificationOut(**r.model_dump()).model_dump_json(),
                           settings)


class Channels(BaseModel):
    model_config = ConfigDict(extra="forbid")  # server-owned or unknown fields are 422, never ignored
    in_app: bool = Field(default=True, description="always true: in-app notifications cannot be turned off")
    email: bool = False
    push: bool = False


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid")  # server-owned or unknown fields are 422, never ignored
    start: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["22:00"])
    end: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["06:00"])


class PreferencesBody(BaseModel):
    """The caller's own preferences. Quiet hours are the region's local time, may run over midnight
    (22:00–06:00) and hold email and push until they end; in-app notifications always arrive."""
    model_config = ConfigDict(extra="forbid")  # server-owned or unknown fields are 422, never ignored
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                              examples=["ani@example.go.id"])
    channels: Channels = Field(default_factory=Channels)
    quiet_hours: QuietHours | None = None
    digest: bool = Field(default=True, description="many tasks within a window become one digest notification")


def _preferences_out(p: Preferences) -> PreferencesBody:
    quiet = QuietHours(start=format_hhmm(p.quiet_start), end=format_hhmm(p.quiet_end)) if p.has_quiet_hours else None
    return PreferencesBody(email=p.email, channels=Channels(in_app=True, email=p.email_enabled, push=p.push_enabled),
                           quiet_hours=quiet, digest=p.digest)


@router.get("/notifications/preferences", response_model=PreferencesBody)
async def get_preferences(request: Request, principal: CurrentPrincipal) -> PreferencesBody:
    """The caller's preferences (the defaults until they are set: in-app only, digest on)."""
    async with request.app.state.runtime.db.sessions() as session:
        prefs = await repo.get_preferences(session, principal.nip) or Preferences.defaults(principal.nip)
    return _preferences_out(prefs)


@router.put("/notifications/preferences", response_model=PreferencesBody)
async def put_preferences(body: PreferencesBody, request: Request, principal: CurrentPrincipal) -> PreferencesBody:
    """Replace the caller's preferences."""
    if not body.channels.in_app:
        raise InvalidField("channels.in_app", "in-app notifications cannot be turned off")
    if body.channels.email and not body.email:
        raise InvalidField("email", "an address is needed to turn the email channel on")
    start = end = None
    if body.quiet_hours is not None:
        start = parse_hhmm(body.quiet_hours.start, "quiet_hours.start")
        end = parse_hhmm(body.quiet_hours.end, "quiet_hours.end")
        if start == end:
            raise InvalidField("quiet_hours.end", "equals the start: an empty range (send null for none)")
    prefs = Preferences(nip=principal.nip, email=body.email, email_enabled=body.channels.email,
                        push_enabled=body.channels.push, quiet_start=start, quiet_end=end, digest=body.digest)
    async with request.app.state.runtime.db.sessions() as session, session.begin():
        await repo.save_preferences(session, prefs, datetime.now(timezone.utc))
    return _preferences_out(prefs)
