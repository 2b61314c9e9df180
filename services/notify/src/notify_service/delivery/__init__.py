"""Channels beyond the in-app list: email, push and signed webhooks. Deliveries are rows written in
the consumer's transaction (nothing acknowledged is lost) and sent by a dispatcher off the
consumer path, so a slow receiver never slows the activity flow.

The consumer calls two hooks, both inside its unit of work:
- `on_notification(uow, notification, preferences)`: after an in-app notification row is stored
  (flushed, so it has an id): queue its email/push deliveries as the recipient's preferences allow.
- `on_event(uow, topic, event, meta)`: for every consumed event: queue one delivery per webhook
  subscribed to that event type.

Both only insert rows (`INSERT … ON CONFLICT DO NOTHING` on (channel, target, event_id), so a
redelivered event queues nothing twice); `dispatcher.Dispatcher` sends them. `wire(runtime, app)`
configures the hooks from the settings and starts the dispatcher after migrations."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from prometheus_client import Counter
from pydantic import Field

from kinerja_kit.persistence import upsert
from kinerja_kit.settings import ServiceSettings
from notify_service.delivery import webhooks
from notify_service.delivery.dispatcher import Clock, Dispatcher, SystemClock
from notify_service.delivery.email import EmailChannel, email_payload
from notify_service.delivery.push import PushChannel, PushProvider, push_payload
from notify_service.delivery.webhooks import WebhookChannel
from notify_service.persistence.tables import Delivery

log = logging.getLogger(__name__)

QUEUED = Counter("kinerja_notify_deliveries_queued_total", "Deliveries queued by the consumer, by channel",
                 ["channel"])


class DeliverySettings(ServiceSettings):
    """Settings of the email channel and the dispatcher (KINERJA_NOTIFY_<NAME> or KINERJA_<NAME>)."""

    smtp_host: str | None = Field(default=None, description="SMTP server; unset = no email")
    smtp_port: int = 587
    smtp_starttls: bool = Field(default=True, description="upgrade the connection with STARTTLS (required when true)")
    smtp_username: str | None = Field(default=None, description="SMTP AUTH user; unset = no login")
    smtp_password: str | None = None
    smtp_from: str = Field(default="Kinerja <kinerja@localhost>", description="the From of every email")
    smtp_timeout_seconds: float = Field(default=30.0, description="total deadline of one SMTP session")
    smtp_cert_bundle: str | None = Field(default=None, description="CA bundle for the SMTP server's certificate")
    delivery_poll_seconds: float = Field(default=0.5, description="how often the dispatcher looks for due "
                                         "deliveries (also woken when a send finishes); 0 = dispatcher off")
    delivery_batch_size: int = Field(default=100, ge=1, description="deliveries claimed per tick at most")
    delivery_concurrency: int = Field(default=4, ge=1, description="sends at once per receiver (a webhook; the "
                                      "SMTP server; the push provider), per process")
    delivery_timeout_seconds: float = Field(default=5.0, gt=0, description="deadline of one webhook request")
    delivery_max_attempts: int = Field(default=8, ge=1, description="attempts before a delivery is dead")
    delivery_backoff_base_seconds: float = Field(default=2.0, gt=0)
    delivery_backoff_cap_seconds: float = Field(default=600.0, gt=0)
    delivery_keep_days: int = Field(default=30, ge=1, description="sent and dead deliveries kept in the log")


@dataclass
class _Config:
    email: bool = False  # an SMTP server is configured
    push: bool = True  # a provider (the log provider by default)
    tz: ZoneInfo = ZoneInfo("Asia/Jakarta")
    clock: Clock = field(default_factory=SystemClock)  # when a webhook delivery is queued (tests: a fake one)


_config = _Config()


def configure(settings: ServiceSettings, *, clock: Clock | None = None) -> None:
    """Which channels the hooks queue for, the region's time zone (quiet hours) and the clock."""
    global _config
    _config = _Config(email=bool(getattr(settings, "smtp_host", None)), push=True, tz=ZoneInfo(settings.timezone),
                      clock=clock or SystemClock())


def build_dispatcher(settings: DeliverySettings, db, *, push_provider: PushProvider | None = None,
                     clock=None) -> Dispatcher:
    from datetime import timedelta

    channels: dict = {"webhook": WebhookChannel(timeout=settings.delivery_timeout_seconds),
                      "push": PushChannel(push_provider, timeout=settings.delivery_timeout_seconds)}
    if settings.smtp_host:
        channels["email"] = EmailChannel(
            host=settings.smtp_host, port=settings.smtp_port, starttls=settings.smtp_starttls,
            username=settings.smtp_username, password=settings.smtp_password, sender=settings.smtp_from,
            timeout=settings.smtp_timeout_seconds, cert_bundle=settings.smtp_cert_bundle)
    return Dispatcher(db, channels, poll_seconds=settings.delivery_poll_seconds,
                      batch_size=settings.delivery_batch_size, concurrency=settings.delivery_concurrency,
                      max_attempts=settings.delivery_max_attempts,
                      backoff_base=settings.delivery_backoff_base_seconds,
                      backoff_cap=settings.delivery_backoff_cap_seconds,
                      keep=timedelta(days=settings.delivery_keep_days), clock=clock)


def wire(runtime, app) -> Dispatcher:
    """Configure the hooks; start the dispatcher after migrations, stop it first on shutdown."""
    settings = runtime.settings
    if not isinstance(settings, DeliverySettings):
        settings = DeliverySettings(**settings.model_dump())
    configure(settings)
    dispatcher = build_dispatcher(settings, runtime.db)
    app.state.dispatcher = dispatcher

    async def start_dispatcher() -> None:
        dispatcher.start()

    runtime.on_migrated.append(start_dispatcher)
    runtime.on_stop.append(dispatcher.stop)
    return dispatcher


def not_before(preferences, now: datetime, tz: ZoneInfo) -> datetime:
    """When a message to this recipient may go: now, or when their quiet hours end (UTC)."""
    local = now.astimezone(tz)
    quiet = getattr(preferences, "in_quiet_hours", None)
    if quiet is None or not quiet(local.time()):
        return now
    until = preferences.next_allowed(local)
    if until.tzinfo is None:
        until = until.replace(tzinfo=tz)
    return max(now, until.astimezone(timezone.utc))


async def on_notification(uow, notification, preferences) -> None:
    """Queue the email and push deliveries of one stored notification, as the recipient allows:
    email when SMTP is configured, `email_enabled` and an address is set; push when `push_enabled`;
    both held until the recipient's quiet hours end. No preferences: in-app only."""
    if preferences is None:
        return
    now = notification.created_at or datetime.now(timezone.utc)
    due = None
    rows = []

    def row(channel: str, target: str, payload: dict) -> dict:
        return dict(channel=channel, target=target, ordering_key=notification.recipient_nip,
                    event_type=notification.kind, event_id=notification.source_event_id, payload=payload,
                    status="pending", attempts=0, attempts_before_replay=0, next_attempt_at=due, created_at=now)

    wants_email = _config.email and getattr(preferences, "email_enabled", False) and getattr(preferences, "email", None)
    wants_push = _config.push and getattr(preferences, "push_enabled", False)
    if wants_email or wants_push:
        due = not_before(preferences, now, _config.tz)
    if wants_email:
        rows.append(row("email", preferences.email.strip(), email_payload(notification)))
    if wants_push:
        rows.append(row("push", notification.recipient_nip, push_payload(notification)))
    if rows:
        await upsert(uow.session, Delivery, rows, key=["channel", "target", "event_id"], update=False)
        for r in rows:
            QUEUED.labels(r["channel"]).inc()


async def on_event(uow, topic: str, event, meta) -> None:
    """Queue one webhook delivery per active webhook subscribed to `topic` (cached ≤ 5 s)."""
    ids = await webhooks.CACHE.subscribed(uow.session, uow.db.url, topic)
    if ids:
        queued = await webhooks.queue_event(uow.session, ids, topic, event, meta, _config.clock.now())
        QUEUED.labels("webhook").inc(queued)
