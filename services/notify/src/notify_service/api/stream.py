"""GET /v1/notifications/stream: server-sent events for open apps.

Each event is `id: <notification id>`, `event: notification`, `data: <NotificationOut JSON>`. A
stream starts after `Last-Event-ID` (header, or `?last_event_id=`) and sends every newer
notification of the caller first, then new ones as they are stored; without one it starts after
the caller's newest notification (fetch the list, then open the stream with the highest id seen to
miss nothing in between).

Where the events come from: the stream polls the database (`poll_seconds`, about 0.5 s; at most
`page` rows a query), which is right with any number of workers and instances, and this process
wakes it at once when it commits a notification for the caller (`notify_service.live`).

Ids come from a sequence, so a transaction that took a lower id may commit after one that took a
higher id (two consumers; a long batch). The stream therefore looks back: every poll also reads
the ids above the watermark it had `lookback_seconds` ago (at most `remember` ids are remembered
as sent), and sends the ones it has not sent, so such a late row still arrives (out of id order;
a client keeps the notifications by id). A resumed stream may repeat one it sent before; never
loses one committed within the look-back.

A heartbeat comment every 15 s keeps proxies from closing an idle stream; the stream ends when the
client disconnects (sse-starlette cancels the generator) or the server shuts down, and a client
that does not read for `send_timeout` seconds is dropped: one connection holds at most one
page of rows."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from sse_starlette import EventSourceResponse, ServerSentEvent

from kinerja_kit.db import Database
from notify_service.live import WAKEUP
from notify_service.persistence import repository as repo
from notify_service.persistence.tables import Notification


@dataclass(frozen=True)
class StreamSettings:
    poll_seconds: float = 0.5
    page: int = 100
    lookback_seconds: float = 60.0
    remember: int = 500
    heartbeat_seconds: float = 15.0
    send_timeout: float = 30.0


class _Seen:
    """The ids sent within the look-back, and the watermark below which the stream no longer looks."""

    def __init__(self, start: int, settings: StreamSettings) -> None:
        self.settings = settings
        self.high = start  # the highest id sent (or the start)
        self.low = start  # rows at or below are never read again
        self.sent: set[int] = set()
        self._marks: deque[tuple[float, int]] = deque()  # (when, high then)

    def advance(self, now: float) -> None:
        """Move `low` to the watermark of `lookback_seconds` ago; forget what is below it."""
        self._marks.append((now, self.high))
        while self._marks and self._marks[0][0] <= now - self.settings.lookback_seconds:
            self.low = max(self.low, self._marks.popleft()[1])
        if len(self.sent) > self.settings.remember:  # a burst: look back less far rather than remember more
            self.low = max(self.low, sorted(self.sent)[len(self.sent) - self.settings.remember - 1])
        self.sent = {i for i in self.sent if i > self.low}

    def unsent(self, rows: list[Notification]) -> list[Notification]:
        return [r for r in rows if r.id not in self.sent]

    def mark(self, row: Notification) -> None:
        self.sent.add(row.id)
        self.high = max(self.high, row.id)


async def notification_events(db: Database, nip: str, start: int, serialize: Callable[[Notification], str],
                              settings: StreamSettings) -> AsyncIterator[ServerSentEvent]:
    seen = _Seen(start, settings)
    while True:
        waiter = WAKEUP.waiter(nip)  # registered before reading: a commit after the read wakes it
        try:
            seen.advance(time.monotonic())
            async with db.sessions() as session:
                rows = await repo.after(session, nip, seen.low, settings.page + len(seen.sent))
            fresh = seen.unsent(rows)
            for row in fresh:
                seen.mark(row)
                yield ServerSentEvent(data=serialize(row), id=str(row.id), event="notification")
            if len(fresh) >= settings.page:  # more waiting: read on at once
                continue
            try:
                await asyncio.wait_for(waiter.wait(), timeout=settings.poll_seconds)
            except TimeoutError:
                pass
        finally:
            WAKEUP.forget(nip, waiter)


def stream_response(db: Database, nip: str, start: int, serialize: Callable[[Notification], str],
                    settings: StreamSettings) -> EventSourceResponse:
    return EventSourceResponse(notification_events(db, nip, start, serialize, settings),
                               ping=settings.heartbeat_seconds, send_timeout=settings.send_timeout,
                               headers={"Cache-Control": "no-store"})
