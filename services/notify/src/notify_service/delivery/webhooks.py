"""Signed webhooks for other systems: registration (validated), the queue written by the consumer,
the delivery log and replays, and the channel that signs and sends one delivery.

Signing, in the style of Stripe / Standard Webhooks: each POST carries
- `Kinerja-Webhook-Id`: the delivery id (the same on every retry and replay: receivers dedupe on it),
- `Kinerja-Webhook-Timestamp`: unix seconds when this attempt was signed,
- `Kinerja-Webhook-Signature`: `v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>`, the key being the
  secret's UTF-8 bytes and `body` the exact bytes of the request body.
The body is `{"id": <event id>, "type": <topic>, "occurred_at": …, "data": <the event JSON>}`."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_contracts.envelope import OCCURRED_AT
from kinerja_kit.errors import InvalidField, NotFound, TransitionRefused
from kinerja_kit.persistence import upsert
from notify_service.delivery.dispatcher import Job, Outcome
from notify_service.persistence.tables import Delivery, DeliveryAttempt, Webhook

ID_HEADER = "Kinerja-Webhook-Id"
TIMESTAMP_HEADER = "Kinerja-Webhook-Timestamp"
SIGNATURE_HEADER = "Kinerja-Webhook-Signature"
TOLERANCE_SECONDS = 300  # what receivers should allow between the timestamp and their clock
SECRET_PREFIX = "whsec_"
RESPONSE_BYTES_KEPT = 300  # of a failed receiver's response body, in the log


# --- signing (pure) ------------------------------------------------------------------------------

def body_bytes(payload: dict) -> bytes:
    """The request body of a delivery: compact JSON, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def signed_headers(delivery_id: int, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {ID_HEADER: str(delivery_id), TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: signature(secret, timestamp, body), "Content-Type": "application/json",
            "User-Agent": "Kinerja-Webhooks/1"}


def verify(secret: str, headers, body: bytes, *, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does (README, Webhooks): recompute, compare in constant time, refuse stale."""
    try:
        timestamp = int(headers[TIMESTAMP_HEADER])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, s) for s in headers.get(SIGNATURE_HEADER, "").split())


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


# --- registration (pure checks) --------------------------------------------------------------------

def check_url(url: str) -> str:
    """An absolute http(s) URL with a host, else InvalidField('url')."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError as exc:
        raise InvalidField("url", f"not a URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidField("url", "must be an http:// or https:// URL")
    if not parts.hostname:
        raise InvalidField("url", "has no host")
    if parts.username or parts.password:
        raise InvalidField("url", "must not carry credentials (the signature authenticates us)")
    return url.strip()


def check_event_types(event_types: Iterable[str], consumed: Iterable[str]) -> list[str]:
    """Topic names notify consumes (deduplicated, in the given order), else InvalidField naming
    the offending entry, e.g. `event_types[1]`."""
    known = set(consumed)
    out: list[str] = []
    for i, t in enumerate(event_types):
        if t not in known:
            raise InvalidField(f"event_types[{i}]", f"{t!r} is not an event type notify receives; one of: "
                                                   + ", ".join(sorted(known)))
        if t not in out:
            out.append(t)
    if not out:
        raise InvalidField("event_types", "at least one event type")
    return out


# --- which webhooks an event goes to -------------------------------------------------------------

class WebhookCache:
    """The active webhooks by event type, per database, at most `ttl` seconds stale (the consumer
    asks for every event; webhooks change rarely). This process's own changes invalidate it."""

    def __init__(self, ttl: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self._by_db: dict[str, tuple[float, dict[str, list[int]]]] = {}

    async def subscribed(self, session: AsyncSession, db_key: str, topic: str) -> list[int]:
        hit = self._by_db.get(db_key)
        if hit is None or self.clock() - hit[0] > self.ttl:
            rows = (await session.execute(sa.select(Webhook.id, Webhook.event_types).where(
                Webhook.deleted_at.is_(None)))).all()
            by_topic: dict[str, list[int]] = {}
            for wid, types in rows:
                for t in types or []:
                    by_topic.setdefault(t, []).append(wid)
            hit = (self.clock(), by_topic)
            self._by_db[db_key] = hit
        return hit[1].get(topic, [])

    def invalidate(self) -> None:
        self._by_db.clear()


CACHE = WebhookCache()


def event_body(topic: str, event, meta, now: datetime) -> dict:
    return {"id": meta.event_id, "type": topic,
            "occurred_at": (meta.headers or {}).get(OCCURRED_AT) or now.isoformat(),
            "data": event.model_dump(mode="json")}


async def queue_event(session: AsyncSession, webhook_ids: list[int], topic: str, event, meta,
                      now: datetime) -> int:
    """One pending delivery per webhook; an event queued before (redelivered) adds nothing."""
    if not webhook_ids:
        return 0
    body = event_body(topic, event, meta, now)
    rows = [dict(channel="webhook", target=str(wid), ordering_key=meta.key or "", event_type=topic,
                 event_id=meta.event_id, payload=body, status="pending", attempts=0, attempts_before_replay=0,
                 next_attempt_at=now, created_at=now) for wid in webhook_ids]
    return await upsert(session, Delivery, rows, key=["channel", "target", "event_id"], update=False)


# --- registry, log and replay (the API's use cases) ----------------------------------------------

async def create(session: AsyncSession, *, url: str, event_types: list[str], secret: str | None, by: str,
                 now: datetime) -> Webhook:
    row = Webhook(url=url, event_types=event_types, secret=secret or new_secret(), created_by=by, created_at=now)
    session.add(row)
    await session.flush()
    CACHE.invalidate()
    return row


async def active(session: AsyncSession) -> list[Webhook]:
    return list(await session.scalars(sa.select(Webhook).where(Webhook.deleted_at.is_(None)).order_by(Webhook.id)))


async def get(session: AsyncSession, webhook_id: int, *, deleted: bool = False) -> Webhook:
    """The webhook, or NotFound; a deleted one only with `deleted=True` (its log stays readable)."""
    row = await session.get(Webhook, webhook_id)
    if row is None or (row.deleted_at is not None and not deleted):
        raise NotFound("webhook not found")
    return row


async def delete(session: AsyncSession, webhook_id: int, now: datetime) -> None:
    """The webhook gets nothing more: its pending deliveries end `dead` ("webhook deleted"); the log stays."""
    row = await get(session, webhook_id)
    row.deleted_at = now
    await session.execute(sa.update(Delivery).where(
        Delivery.channel == "webhook", Delivery.target == str(webhook_id), Delivery.status == "pending",
    ).values(status="dead", last_error="webhook deleted"))
    CACHE.invalidate()


async def log(session: AsyncSession, webhook_id: int, *, status: str | None, limit: int,
              before_id: int | None) -> list[tuple[Delivery, list[DeliveryAttempt]]]:
    """A webhook's deliveries, newest first, each with its attempts (oldest first); also of a
    deleted webhook."""
    await get(session, webhook_id, deleted=True)
    stmt = sa.select(Delivery).where(Delivery.channel == "webhook", Delivery.target == str(webhook_id))
    if status:
        stmt = stmt.where(Delivery.status == status)
    if before_id:
        stmt = stmt.where(Delivery.id < before_id)
    deliveries = list(await session.scalars(stmt.order_by(Delivery.id.desc()).limit(limit)))
    attempts: dict[int, list[DeliveryAttempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        for a in await session.scalars(sa.select(DeliveryAttempt).where(
                DeliveryAttempt.delivery_id.in_(list(attempts))).order_by(DeliveryAttempt.id)):
            attempts[a.delivery_id].append(a)
    return [(d, attempts[d.id]) for d in deliveries]


async def replay(session: AsyncSession, webhook_id: int, delivery_id: int,
                 now: datetime) -> tuple[Delivery, list[DeliveryAttempt]]:
    """Send a sent or dead delivery again, at once, as new attempts with a fresh retry budget
    (same delivery id and body; a new timestamp and signature). A pending one is refused (409)."""
    await get(session, webhook_id)
    row = await session.get(Delivery, delivery_id, with_for_update=True)
    if row is None or row.channel != "webhook" or row.target != str(webhook_id):
        raise NotFound("delivery not found")
    if row.status == "pending":
        raise TransitionRefused("delivery", "pending", "replay (the dispatcher is sending it)")
    row.status, row.next_attempt_at, row.attempts_before_replay = "pending", now, row.attempts
    row.sent_at, row.last_error = None, None
    await session.flush()
    attempts = list(await session.scalars(sa.select(DeliveryAttempt).where(
        DeliveryAttempt.delivery_id == delivery_id).order_by(DeliveryAttempt.id)))
    return row, attempts


# --- the channel -----------------------------------------------------------------------------------

class WebhookChannel:
    """POSTs a signed delivery with httpx. Any 2xx is accepted; anything else, a timeout or a
    connection error is retried by the dispatcher. Redirects are not followed."""

    name = "webhook"
    per_target = True  # one concurrency lane per receiver

    def __init__(self, *, timeout: float = 5.0, wall: Callable[[], float] = time.time,
                 client: httpx.AsyncClient | None = None) -> None:
        self.timeout, self.wall = timeout, wall
        # No pool limit of its own: the dispatcher's per-receiver lanes bound the connections, and a
        # shared pool would let dead receivers starve healthy ones.
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64))

    async def send(self, job: Job) -> Outcome:
        hook = job.webhook
        if hook is None:
            return Outcome(False, error="webhook deleted", permanent=True)
        body = body_bytes(job.payload)
        headers = signed_headers(job.id, hook.secret, body, int(self.wall()))
        async with self.client.stream("POST", hook.url, content=body, headers=headers) as r:
            if 200 <= r.status_code < 300:
                return Outcome(True, status_code=r.status_code)
            kept = b""
            async for chunk in r.aiter_bytes():
                kept += chunk
                if len(kept) >= RESPONSE_BYTES_KEPT:
                    break
            text = kept[:RESPONSE_BYTES_KEPT].decode(errors="replace").strip()
            return Outcome(False, status_code=r.status_code,
                           error=f"HTTP {r.status_code}" + (f": {text}" if text else ""))

    async def close(self) -> None:
        await self.client.aclose()
