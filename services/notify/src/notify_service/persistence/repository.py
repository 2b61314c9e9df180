"""Queries and writes of the notify service."""

from __future__ import annotations

import zlib
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_kit.persistence import forget, read_once, upsert
from notify_service.domain.messages import Message
from notify_service.domain.preferences import Preferences
from notify_service.persistence.tables import (ActivityCount, KnownEmployee, LowActivityReminder, Notification,
                                               NotificationDigest, NotificationDigestItem, NotificationPreferences)

DIGEST_LOCK_CLASS = 727_010  # pg_advisory_xact_lock(class, crc32(nip)): one writer per recipient's digest


def _insert(session: AsyncSession):
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


async def store(session: AsyncSession, messages: list[Message], source_event_id: str,
                now: datetime) -> list[Notification]:
    """Store the in-app notifications of one event, skipping any already stored for the same
    (event, recipient, kind) — a redelivery stores nothing. Returns the rows actually stored (flushed:
    they have their ids), oldest first."""
    if not messages:
        return []
    values = [dict(recipient_nip=m.recipient_nip, kind=m.kind, title=m.title[:200], body=m.body, data=m.data,
                   source_event_id=source_event_id, created_at=now, read_at=None) for m in messages]
    stmt = (_insert(session)(Notification).values(values[0] if len(values) == 1 else values)  # one row: cached
            .on_conflict_do_nothing(index_elements=["source_event_id", "recipient_nip", "kind"])
            .returning(Notification))  # the stored rows as objects, without a second select
    return sorted(await session.scalars(stmt), key=lambda r: r.id)


_PREFERENCES = "notify.preferences"


async def get_preferences(session: AsyncSession, nip: str) -> Preferences | None:
    """The recipient's notification preferences, or None (the defaults: in-app only, digest on).
    Read once per session: a consumer's batch asks for each recipient twice or more."""
    return await read_once(session, _PREFERENCES, nip, lambda: _load_preferences(session, nip))


async def _load_preferences(session: AsyncSession, nip: str) -> Preferences | None:
    row = await session.get(NotificationPreferences, nip)
    if row is None:
        return None
    return Preferences(nip=row.nip, email=row.email, email_enabled=row.email_enabled, push_enabled=row.push_enabled,
                       quiet_start=row.quiet_start, quiet_end=row.quiet_end, digest=row.digest)


async def save_preferences(session: AsyncSession, prefs: Preferences, now: datetime) -> None:
    forget(session, _PREFERENCES, prefs.nip)
    await upsert(session, NotificationPreferences, {
        "nip": prefs.nip, "email": prefs.email, "email_enabled": prefs.email_enabled,
        "push_enabled": prefs.push_enabled, "quiet_start": prefs.quiet_start, "quiet_end": prefs.quiet_end,
        "digest": prefs.digest, "updated_at": now})


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


async def unread_count(session: AsyncSession, nip: str) -> int:
    return int(await session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.recipient_nip == nip, Notification.read_at.is_(None))) or 0)


async def mark_all_read(session: AsyncSession, nip: str, now: datetime) -> int:
    """Mark every unread notification of the recipient read; returns how many."""
    result = await session.execute(sa.update(Notification).where(
        Notification.recipient_nip == nip, Notification.read_at.is_(None)).values(read_at=now))
    return result.rowcount or 0


async def after(session: AsyncSession, nip: str, after_id: int, limit: int) -> list[Notification]:
    """The recipient's notifications with an id above `after_id`, oldest first (the stream)."""
    return list(await session.scalars(sa.select(Notification).where(
        Notification.recipient_nip == nip, Notification.id > after_id).order_by(Notification.id).limit(limit)))


async def latest_id(session: AsyncSession, nip: str) -> int:
    return int(await session.scalar(sa.select(sa.func.max(Notification.id)).where(
        Notification.recipient_nip == nip)) or 0)


# --- digests ------------------------------------------------------------------------------------

async def lock_recipient(session: AsyncSession, nip: str) -> None:
    """Serialise digest decisions per recipient until the transaction ends (PostgreSQL; SQLite's
    BEGIN IMMEDIATE serialises every writer already)."""
    if session.bind.dialect.name == "postgresql":
        key = zlib.crc32(nip.encode()) - 2**31  # an int4
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(DIGEST_LOCK_CLASS, key)))


async def already_handled(session: AsyncSession, nip: str, kind: str, source_event_id: str) -> bool:
    """The event was stored for this recipient already, on its own or folded into a digest."""
    own = sa.exists().where(Notification.source_event_id == source_event_id, Notification.recipient_nip == nip,
                            Notification.kind == kind)
    folded = sa.exists().where(NotificationDigestItem.recipient_nip == nip, NotificationDigestItem.kind == kind,
                               NotificationDigestItem.source_event_id == source_event_id)
    return bool(await session.scalar(sa.select(sa.or_(own, folded))))  # one round trip


async def recent_individual(session: AsyncSession, nip: str, kind: str, since: datetime) -> tuple[int, datetime | None]:
    """How many notifications of `kind` the recipient got after `since`, and the first one's time."""
    count, first = (await session.execute(sa.select(sa.func.count(), sa.func.min(Notification.created_at)).where(
        Notification.recipient_nip == nip, Notification.kind == kind, Notification.created_at > since))).one()
    return int(count or 0), first


async def open_digest(session: AsyncSession, nip: str, kind: str, now: datetime) -> NotificationDigest | None:
    return await session.scalar(sa.select(NotificationDigest).where(
        NotificationDigest.recipient_nip == nip, NotificationDigest.kind == kind,
        NotificationDigest.window_end > now).order_by(NotificationDigest.id.desc()).limit(1))


async def new_digest(session: AsyncSession, nip: str, kind: str, since: datetime, window_end: datetime,
                     count: int, now: datetime) -> NotificationDigest:
    digest = NotificationDigest(recipient_nip=nip, kind=kind, since=since, window_end=window_end, count=count,
                                updated_at=now)
    session.add(digest)
    await session.flush()
    return digest


async def add_digest_item(session: AsyncSession, digest: NotificationDigest, source_event_id: str) -> bool:
    """Record an event folded into `digest`; False when it was folded already."""
    return bool(await upsert(session, NotificationDigestItem, {
        "recipient_nip": digest.recipient_nip, "kind": digest.kind, "source_event_id": source_event_id,
        "digest_id": digest.id}, update=False))


async def replace_digest_notification(session: AsyncSession, digest: NotificationDigest, message: Message,
                                      source_event_id: str, now: datetime, *, count: int) -> Notification | None:
    """Show the digest, now of `count` events, with a new notification (a new id: an open stream
    sends it again) in place of the one before. Inserted before the old one is deleted, so the new
    id is above it even where ids are the highest rowid + 1 (SQLite)."""
    before = digest.notification_id
    [row] = await store(session, [message], source_event_id, now) or [None]
    if before is not None and row is not None:
        await session.execute(sa.delete(Notification).where(Notification.id == before))
    digest.notification_id = row.id if row is not None else before
    digest.count, digest.updated_at = count, now
    await session.flush()
    return row


# --- the low-activity reminder -----------------------------------------------------------------

async def upsert_employee(session: AsyncSession, nip: str, name: str, active: bool, now: datetime) -> None:
    await upsert(session, KnownEmployee, {"nip": nip, "name": name, "active": active, "updated_at": now})


async def count_activity(session: AsyncSession, nip: str, period: str) -> None:
    """One more activity logged by `nip` in `period` (the inbox keeps a redelivery from counting twice)."""
    table = ActivityCount.__table__
    stmt = _insert(session)(table).values(nip=nip, period=period, count=1)
    await session.execute(stmt.on_conflict_do_update(index_elements=["nip", "period"],
                                                     set_={"count": table.c.count + 1}))


async def low_activity_candidates(session: AsyncSession, period: str, threshold: int,
                                  limit: int) -> list[tuple[str, int]]:
    """Active employees with fewer than `threshold` activities in `period`, not reminded yet: (nip, count)."""
    counted = sa.func.coalesce(ActivityCount.count, 0)
    stmt = (sa.select(KnownEmployee.nip, counted)
            .outerjoin(ActivityCount, sa.and_(ActivityCount.nip == KnownEmployee.nip, ActivityCount.period == period))
            .where(KnownEmployee.active.is_(True), counted < threshold,
                   ~sa.exists().where(LowActivityReminder.nip == KnownEmployee.nip,
                                      LowActivityReminder.period == period))
            .order_by(KnownEmployee.nip).limit(limit))
    return [(nip, int(count)) for nip, count in (await session.execute(stmt)).all()]


async def mark_low_activity_reminded(session: AsyncSession, nip: str, period: str, count: int, now: datetime) -> bool:
    """Claim the month's reminder of `nip`; False when it was sent already (by another leader, say)."""
    return bool(await upsert(session, LowActivityReminder, {"nip": nip, "period": period, "count": count,
                                                             "sent_at": now}, update=False))
