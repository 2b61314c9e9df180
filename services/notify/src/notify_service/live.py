"""In-process wake-up of the open streams (GET /v1/notifications/stream): after a transaction that
stored notifications commits in this process, the streams of its recipients here look at once
instead of at their next poll. Streams poll the database anyway (rows that other processes and
instances stored), so a lost wake-up only costs latency."""

from __future__ import annotations

import asyncio

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession


class Wakeup:
    """The open streams' events per recipient: `wake(nip)` sets them all and forgets them; a
    stream registers a fresh one (`waiter`) before each read, so a commit after the read wakes it."""

    def __init__(self) -> None:
        self._events: dict[str, set[asyncio.Event]] = {}

    def waiter(self, nip: str) -> asyncio.Event:
        ev = asyncio.Event()
        self._events.setdefault(nip, set()).add(ev)
        return ev

    def wake(self, nip: str) -> None:
        for ev in self._events.pop(nip, ()):
            ev.set()

    def forget(self, nip: str, ev: asyncio.Event) -> None:
        waiting = self._events.get(nip)
        if waiting is not None:
            waiting.discard(ev)
            if not waiting:
                del self._events[nip]


WAKEUP = Wakeup()


def wake_after_commit(session: AsyncSession, nips: set[str]) -> None:
    """Wake the streams of `nips` when `session`'s transaction commits."""
    sync = session.sync_session
    pending: set[str] | None = sync.info.get("notify_wake")
    if pending is not None:
        pending |= nips
        return
    pending = sync.info["notify_wake"] = set(nips)

    def committed(_session) -> None:
        woken = sync.info.pop("notify_wake", set())
        for nip in woken:
            WAKEUP.wake(nip)

    def rolled_back(_session) -> None:
        sync.info.pop("notify_wake", None)

    event.listen(sync, "after_commit", committed, once=True)
    event.listen(sync, "after_rollback", rolled_back, once=True)
