"""The region calendar's read model, shared by every service that counts working days: the
`calendar_years` kit table, the consumer that keeps it (calendar.year.v1, highest revision wins)
and a per-process cache reloaded at most every `ttl` seconds (and at once after this process's
own consumer or producer changed it)."""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_contracts.calendar.v1 import CalendarYearV1, WorkCalendar
from kinerja_contracts.topics import CALENDAR_YEAR
from kinerja_kit.consumer import ConsumerGroup, EventMeta
from kinerja_kit.outbox import UnitOfWork
from kinerja_kit.persistence import upsert


class CalendarCache:
    def __init__(self, metadata: sa.MetaData, ttl: float = 30.0) -> None:
        self.table = metadata.tables["calendar_years"]
        self.ttl = ttl
        self._loaded_at = float("-inf")
        self._calendar = WorkCalendar()
        self._years: dict[int, CalendarYearV1] = {}

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    async def get(self, session: AsyncSession, fresh: bool = False) -> WorkCalendar:
        """The calendar as stored; `fresh` reads it now (e.g. for a month close) instead of the cached copy."""
        if fresh or time.monotonic() - self._loaded_at >= self.ttl:
            rows = (await session.execute(sa.select(self.table.c.body))).scalars()
            self._years = {y.year: y for y in (CalendarYearV1.model_validate(b) for b in rows)}
            self._calendar, self._loaded_at = WorkCalendar(self._years.values()), time.monotonic()
        return self._calendar

    async def year(self, session: AsyncSession, year: int) -> CalendarYearV1 | None:
        await self.get(session)
        return self._years.get(year)

    async def store(self, session: AsyncSession, cal: CalendarYearV1) -> bool:
        """Keep `cal` unless a revision as new is stored; True when it was written."""
        written = await upsert(session, self.table, {
            "year": cal.year, "body": cal.model_dump(mode="json"), "revision": cal.revision,
            "updated_at": cal.updated_at}, where=lambda t, excluded: t.c.revision < excluded.revision)
        self.invalidate()
        return bool(written)

    def consume(self, group: ConsumerGroup) -> None:
        """Keep the read model from calendar.year.v1 (services that do not publish it)."""
        @group.handler(CALENDAR_YEAR)
        async def on_calendar_year(uow: UnitOfWork, event: CalendarYearV1, meta: EventMeta) -> None:
            await self.store(uow.session, event)
