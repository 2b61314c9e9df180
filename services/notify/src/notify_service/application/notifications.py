"""Storing the in-app notifications of one event: once per (event, recipient, kind), with the
digest rule for a superior's many tasks (domain/digest.py), waking this process's open streams
after the commit. Returns the rows for the outside channels (email, push)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from notify_service.domain import messages
from notify_service.domain.digest import Action, DigestRule
from notify_service.domain.messages import Message
from notify_service.domain.templates import Templates
from notify_service.live import wake_after_commit
from notify_service.persistence import repository as repo
from notify_service.persistence.tables import Notification


@dataclass(frozen=True)
class Context:
    """What the consumer and the reminders need, built once at start (main.wire)."""
    templates: Templates
    digest: DigestRule
    tz: ZoneInfo


async def store_messages(session: AsyncSession, ctx: Context, msgs: list[Message], source_event_id: str,
                         now: datetime) -> list[Notification]:
    """Store `msgs` of one event; returns the rows to deliver on the outside channels: the individual
    notifications stored now and a digest when it opens (its later updates are in-app only)."""
    plain: list[Message] = []
    deliver: list[Notification] = []
    touched: set[str] = set()  # recipients whose digest changed
    for m in msgs:
        if m.kind == messages.REQUESTED and ctx.digest.enabled:
            folded = await _maybe_fold(session, ctx, m, source_event_id, now)
            if folded is not None:
                deliver.extend(folded)
                touched.add(m.recipient_nip)
                continue
        plain.append(m)
    stored = await repo.store(session, plain, source_event_id, now)
    if stored or touched:
        wake_after_commit(session, {r.recipient_nip for r in stored} | touched)
    return sorted([*stored, *deliver], key=lambda r: r.id)


async def _maybe_fold(session: AsyncSession, ctx: Context, m: Message, source_event_id: str,
                      now: datetime) -> list[Notification] | None:
    """None: store `m` on its own. Else it went into a digest: the rows to deliver (the digest when
    it opened now, else none)."""
    prefs = await repo.get_preferences(session, m.recipient_nip)
    if prefs is not None and not prefs.digest:
        return None
    await repo.lock_recipient(session, m.recipient_nip)
    if await repo.already_handled(session, m.recipient_nip, m.kind, source_event_id):
        return []  # a redelivery: nothing twice
    digest = await repo.open_digest(session, m.recipient_nip, m.kind, now)
    recent, first = (0, None) if digest else await repo.recent_individual(
        session, m.recipient_nip, m.kind, now - ctx.digest.window)
    action = ctx.digest.decide(recent_individual=recent, digest_open=digest is not None)
    if action is Action.individual:
        return None
    opened = action is Action.open
    if opened:  # it counts the individual notifications of the window, and this one
        digest = await repo.new_digest(session, m.recipient_nip, m.kind, since=first or now,
                                       window_end=now + ctx.digest.window, count=recent, now=now)
    if not await repo.add_digest_item(session, digest, source_event_id):
        return []
    count = digest.count + 1  # set with the new notification: one UPDATE of the digest
    since = _utc(digest.since).astimezone(ctx.tz).strftime("%H:%M")
    shown = messages.approval_digest(m.recipient_nip, count, since, ctx.templates, {
        "digest_id": digest.id, "folds": m.kind, "since": _utc(digest.since).isoformat(),
        "window_end": _utc(digest.window_end).isoformat(), "latest": m.data})
    row = await repo.replace_digest_notification(session, digest, shown, source_event_id, now, count=count)
    return [row] if opened and row is not None else []


def _utc(dt: datetime) -> datetime:
    """SQLite gives back naive datetimes (stored in UTC)."""
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
