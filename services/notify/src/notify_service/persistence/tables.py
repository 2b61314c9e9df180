"""The notify service's tables."""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from sqlmodel import Field

from kinerja_kit.db import BigId, service_base

Base, metadata = service_base()  # includes the kit's outbox and inbox tables


class Notification(Base, table=True):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_recipient", "recipient_nip", "id"),
        # One notification per event, recipient and kind, whatever is redelivered (repository.store).
        sa.Index("uq_notifications_event", "source_event_id", "recipient_nip", "kind", unique=True),
        sa.Index("ix_notifications_recipient_kind", "recipient_nip", "kind", "created_at"),  # the digest's window
    )
    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    recipient_nip: str = Field(max_length=18)
    kind: str = Field(max_length=40)
    title: str = Field(max_length=200)
    body: str = Field(sa_type=sa.Text)
    data: dict = Field(default_factory=dict, sa_type=sa.JSON)
    source_event_id: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    read_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))



class Webhook(Base, table=True):
    """A receiver another system registered (admin): the event types (topic names) it gets, and the
    HMAC secret its deliveries are signed with. Deleting one keeps its row (`deleted_at`)."""
    __tablename__ = "webhooks"
    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    url: str = Field(max_length=2000)
    event_types: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    secret: str = Field(max_length=200)
    created_by: str = Field(max_length=18)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    deleted_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class Delivery(Base, table=True):
    """One message to one receiver on one channel (webhook | email | push), written in the consumer's
    transaction and sent by the dispatcher. `target` = the webhook id, the email address or the NIP;
    `ordering_key` = the event's Kafka key (e.g. the NIP): per (channel, target, ordering_key) the
    older one goes first. One per (channel, target, event_id): a redelivered event queues nothing."""
    __tablename__ = "deliveries"
    __table_args__ = (
        sa.UniqueConstraint("channel", "target", "event_id", name="uq_deliveries_event"),
        sa.Index("ix_deliveries_due", "status", "next_attempt_at"),
        sa.Index("ix_deliveries_order", "channel", "target", "ordering_key", "id"),
        sa.Index("ix_deliveries_target", "channel", "target", "id"),
    )
    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    channel: str = Field(max_length=10)
    target: str = Field(max_length=320)
    ordering_key: str = Field(default="", max_length=200)
    event_type: str = Field(max_length=200)
    event_id: str = Field(max_length=64)
    payload: dict = Field(default_factory=dict, sa_type=sa.JSON)
    status: str = Field(default="pending", max_length=10)  # pending | sent | dead
    attempts: int = 0
    attempts_before_replay: int = 0  # the retry budget counts from the last replay
    next_attempt_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    sent_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class DeliveryAttempt(Base, table=True):
    """One try of a delivery: when, the receiver's status code or the error, how long it took."""
    __tablename__ = "delivery_attempts"
    __table_args__ = (sa.Index("ix_delivery_attempts_delivery", "delivery_id", "id"),)
    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    delivery_id: int = Field(sa_type=BigId, sa_column_args=[sa.ForeignKey("deliveries.id", ondelete="CASCADE")])
    at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    status_code: int | None = None
    error: str | None = Field(default=None, sa_type=sa.Text)
    duration_ms: int = 0


# --- in-app: preferences, digests, the low-activity reminder (issue 12) ------------------------------

class NotificationPreferences(Base, table=True):
    """A user's own channels, quiet hours and digest switch (GET/PUT /v1/notifications/preferences);
    no row = the defaults (in-app only, no quiet hours, digest on). Times are the region's local time."""
    __tablename__ = "notification_preferences"
    nip: str = Field(max_length=18, primary_key=True)
    email: str | None = Field(default=None, max_length=320)
    email_enabled: bool = False
    push_enabled: bool = False
    quiet_start: time | None = Field(default=None, sa_type=sa.Time)
    quiet_end: time | None = Field(default=None, sa_type=sa.Time)
    digest: bool = True
    updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class NotificationDigest(Base, table=True):
    """One digest of a recipient's tasks (domain/digest.py): its window, how many tasks it holds and
    the notification that shows it now (replaced by a new one at each task folded in)."""
    __tablename__ = "notification_digests"
    __table_args__ = (sa.Index("ix_notification_digests_open", "recipient_nip", "kind", "window_end"),)
    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    recipient_nip: str = Field(max_length=18)
    kind: str = Field(max_length=40)  # what it folds: approval.requested
    since: datetime = Field(sa_type=sa.DateTime(timezone=True))  # the first task it counts
    window_end: datetime = Field(sa_type=sa.DateTime(timezone=True))
    count: int = 0
    notification_id: int | None = Field(default=None, sa_type=BigId)
    updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class NotificationDigestItem(Base, table=True):
    """An event folded into a digest: a redelivered one is not counted twice."""
    __tablename__ = "notification_digest_items"
    recipient_nip: str = Field(max_length=18, primary_key=True)
    kind: str = Field(max_length=40, primary_key=True)
    source_event_id: str = Field(max_length=64, primary_key=True)
    digest_id: int = Field(sa_type=BigId)


class KnownEmployee(Base, table=True):
    """Who is active (org.employee.v1), for the low-activity reminder."""
    __tablename__ = "employees"
    nip: str = Field(max_length=18, primary_key=True)
    name: str = Field(max_length=200)
    active: bool = True
    updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class ActivityCount(Base, table=True):
    """Activities logged per employee and month of the work date (activity.submitted.v1)."""
    __tablename__ = "activity_counts"
    nip: str = Field(max_length=18, primary_key=True)
    period: str = Field(max_length=7, primary_key=True)
    count: int = 0


class LowActivityReminder(Base, table=True):
    """An employee reminded of little logged work in a month: once per employee and month."""
    __tablename__ = "low_activity_reminders"
    nip: str = Field(max_length=18, primary_key=True)
    period: str = Field(max_length=7, primary_key=True)
    count: int = 0
    sent_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
