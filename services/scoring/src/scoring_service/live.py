"""In-process wake-up of the open dashboard streams: after a transaction that wrote to the
per-unit change log commits in this process, the streams following those units look at once
instead of at their next poll. Streams poll the change log anyway (rows other processes wrote),
so a lost wake-up only costs latency (as notify's stream, decision 34)."""

from __future__ import annotations

import asyncio

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession


class Wakeup:
    def __init__(self) -> None:
        self._events: dict[str, set[asyncio.Event]] = {}

    def waiter(self, keys) -> asyncio.Event:
        ev = asyncio.Event()
        for k in keys:
            self._events.setdefault(k, set()).add(ev)
        return ev

    def wake(self, key: str) -> None:
        for ev in self._events.pop(key, ()):
            ev.set()

    def forget(self, keys, ev: asyncio.Event) -> None:
        for k in keys:
            waiting = self._events.get(k)
            if waiting is not None:
                waiting.discard(ev)
                if not waiting:
                    del self._events[k]


WAKEUP = Wakeup()


def wake_after_commit(session: AsyncSession, units: set[str]) -> None:
    sync = session.sync_session
    pending: set[str] | None = sync.info.get("dashboard_wake")
    if pending is not None:
        pending |= units
        return
    sync.info["dashboard_wake"] = set(units)

    def committed(_session) -> None:
        for unit in sync.info.pop("dashboard_wake", set()):
            WAKEUP.wake(unit)

    def rolled_back(_session) -> None:
        sync.info.pop("dashboard_wake", None)

    event.listen(sync, "after_commit", committed, once=True)
    event.listen(sync, "after_rollback", rolled_back, once=True)


class StreamSlots:
    """Open streams per user in this process (the cap is per process: a user's streams land on
    one instance behind a sticky balancer, or the cap multiplies by the instances)."""

    def __init__(self) -> None:
        self.open: dict[str, int] = {}

    def take(self, nip: str, cap: int) -> "Slot | None":
        if self.open.get(nip, 0) >= cap:
            return None
        self.open[nip] = self.open.get(nip, 0) + 1
        return Slot(self, nip)


class Slot:
    def __init__(self, slots: StreamSlots, nip: str) -> None:
        self.slots, self.nip, self.released = slots, nip, False

    async def release(self) -> None:
        if not self.released:
            self.released = True
            n = self.slots.open.get(self.nip, 1) - 1
            if n > 0:
                self.slots.open[self.nip] = n
            else:
                self.slots.open.pop(self.nip, None)
