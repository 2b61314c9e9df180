"""Webhooks for other systems (admin): register, list, delete, the delivery log and replays.
Signing and verification: README, Webhooks; `notify_service.delivery.webhooks`."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from kinerja_kit.auth import Principal, require_roles
from notify_service.delivery import webhooks as hooks
from notify_service.persistence.tables import Delivery, DeliveryAttempt, Webhook

RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]  # a BIGINT key: larger ones are 422, not a database error

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # server-owned or unknown fields are 422, never ignored
    url: str = Field(max_length=2000, examples=["https://payroll.example.go.id/kinerja/hooks"])
    event_types: list[str] = Field(min_length=1, max_length=50, description="topic names notify consumes",
                                   examples=[["approval.decided.v1", "tpp.computed.v1"]])
    secret: str | None = Field(default=None, min_length=16, max_length=200,
                               description="the HMAC key; generated when not given, shown only in this response")


class WebhookOut(BaseModel):
    id: int
    url: str
    event_types: list[str]
    created_by: str
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="shown once: keep it to verify `Kinerja-Webhook-Signature`")


class AttemptOut(BaseModel):
    at: datetime
    status_code: int | None = Field(description="the receiver's HTTP status, if it answered")
    error: str | None = Field(description="why the attempt failed (null when it succeeded)")
    duration_ms: int


class DeliveryOut(BaseModel):
    id: int = Field(description="the `Kinerja-Webhook-Id` header")
    event_type: str
    event_id: str = Field(description="the body's `id`")
    ordering_key: str
    status: Literal["pending", "sent", "dead"]
    next_attempt_at: datetime | None = Field(description="when pending: the next try")
    last_error: str | None = Field(description="when dead: the reason")
    created_at: datetime
    sent_at: datetime | None
    attempts: list[AttemptOut]


def _out(w: Webhook) -> WebhookOut:
    return WebhookOut(id=w.id, url=w.url, event_types=w.event_types, created_by=w.created_by, created_at=w.created_at)


def _delivery(d: Delivery, attempts: list[DeliveryAttempt]) -> DeliveryOut:
    return DeliveryOut(id=d.id, event_type=d.event_type, event_id=d.event_id, ordering_key=d.ordering_key,
                       status=d.status, next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
                       last_error=d.last_error, created_at=d.created_at, sent_at=d.sent_at,
                       attempts=[AttemptOut(at=a.at, status_code=a.status_code, error=a.error,
                                            duration_ms=a.duration_ms) for a in attempts])


def _consumed(request: Request) -> list[str]:
    return list(request.app.state.runtime.consumers.handlers)


@router.post("", status_code=201, response_model=WebhookCreated)
async def create_webhook(body: WebhookIn, request: Request,
                         principal: Principal = require_roles("admin")) -> WebhookCreated:
    """Register a receiver for the given event types; each delivery is signed with the secret
    (generated when not given; shown only here)."""
    url = hooks.check_url(body.url)
    event_types = hooks.check_event_types(body.event_types, _consumed(request))
    async with request.app.state.runtime.db.sessions() as session, session.begin():
        row = await hooks.create(session, url=url, event_types=event_types, secret=body.secret, by=principal.nip,
                                 now=datetime.now(timezone.utc))
        return WebhookCreated(**_out(row).model_dump(), secret=row.secret)


@router.get("", response_model=list[WebhookOut])
async def list_webhooks(request: Request, principal: Principal = require_roles("admin")) -> list[WebhookOut]:
    """The active webhooks (secrets are not shown)."""
    async with request.app.state.runtime.db.sessions() as session:
        return [_out(w) for w in await hooks.active(session)]


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: RowId, request: Request,
                         principal: Principal = require_roles("admin")) -> Response:
    """Stop delivering to this webhook; its pending deliveries end `dead` ("webhook deleted")."""
    async with request.app.state.runtime.db.sessions() as session, session.begin():
        await hooks.delete(session, webhook_id, datetime.now(timezone.utc))
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", response_model=list[DeliveryOut])
async def list_deliveries(
    webhook_id: RowId, request: Request, principal: Principal = require_roles("admin"),
    status: Literal["pending", "sent", "dead"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="page: ids lower than this")] = None,
) -> list[DeliveryOut]:
    """The delivery log, newest first: each delivery with its attempts (time, status code or error,
    duration)."""
    async with request.app.state.runtime.db.sessions() as session:
        return [_delivery(d, a) for d, a in await hooks.log(session, webhook_id, status=status, limit=limit,
                                                             before_id=before_id)]


@router.post("/{webhook_id}/deliveries/{delivery_id}/replay", status_code=202, response_model=DeliveryOut)
async def replay_delivery(webhook_id: RowId, delivery_id: RowId, request: Request,
                          principal: Principal = require_roles("admin")) -> DeliveryOut:
    """Send a dead-lettered (or sent) delivery again as new attempts, with a fresh retry budget;
    409 while it is pending."""
    async with request.app.state.runtime.db.sessions() as session, session.begin():
        row, attempts = await hooks.replay(session, webhook_id, delivery_id, datetime.now(timezone.utc))
        out = _delivery(row, attempts)
    dispatcher = getattr(request.app.state, "dispatcher", None)
    if dispatcher is not None:
        dispatcher.wake()
    return out
