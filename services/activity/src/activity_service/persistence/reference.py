"""Reference data intake reads on every request — the catalog read model, the closed months and
the region calendar —
held in memory and reloaded at most every `ttl` seconds (and at once when this process's own
consumer changes them), so a POST makes no round trip for them. The staleness is bounded by `ttl`
for other worker processes; the events that change these tables arrive asynchronously anyway."""

from __future__ import annotations

import time
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from activity_service.domain.activity import TypeInfo
from activity_service.persistence.tables import ActivityType, ClosedPeriod, metadata
from kinerja_contracts.calendar.v1 import WorkCalendar
from kinerja_kit.calendar import CalendarCache


class ReferenceCache:
    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._loaded_at = float("-inf")
        self._types: dict[str, list[TypeInfo]] = {}
        self._closed: set[str] = set()
        self.calendar = CalendarCache(metadata, ttl)

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")
        self.calendar.invalidate()

    async def _fresh(self, session: AsyncSession) -> None:
        if time.monotonic() - self._loaded_at < self.ttl:
            return
        types: dict[str, list[TypeInfo]] = {}
        for t in await session.scalars(sa.select(ActivityType).order_by(ActivityType.code, ActivityType.effective_from)):
            types.setdefault(t.code, []).append(TypeInfo(t.code, t.active, t.allowed_position_kinds, t.effective_from,
                                                          t.evidence_required))
        closed = set(await session.scalars(sa.select(ClosedPeriod.period)))
        self._types, self._closed, self._loaded_at = types, closed, time.monotonic()

    async def type_info(self, session: AsyncSession, code: str, work_date: date) -> TypeInfo | None:
        """The version in force on `work_date`, else the earliest later one (to say when it starts)."""
        await self._fresh(session)
        versions = self._types.get(code, [])
        in_force = [v for v in versions if v.effective_from <= work_date]
        return in_force[-1] if in_force else (versions[0] if versions else None)

    async def is_closed(self, session: AsyncSession, work_date: date) -> bool:
        await self._fresh(session)
        return f"{work_date.year:04d}-{work_date.month:02d}" in self._closed

    async def work_calendar(self, session: AsyncSession) -> WorkCalendar:
        return await self.calendar.get(session)
