"""The region calendar: the admin's PUT, and the shipped defaults seeded at start. This service is
the one producer of calendar.year.v1; it keeps its own copy in the kit's `calendar_years` table."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from kinerja_contracts.calendar.v1 import CalendarDay, CalendarYearV1, day_problems
from kinerja_contracts.topics import CALENDAR_YEAR
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.errors import Conflict, InvalidField
from kinerja_kit.outbox import UnitOfWork

SHIPPED = Path(__file__).resolve().parents[1] / "region" / "calendar"


def shipped_default(year: int, region_dir: str | None = None) -> dict | None:
    """KINERJA_REGION_CONFIG_DIR/calendar/<year>.json, else the packaged file, else None."""
    for root in ([Path(region_dir) / "calendar"] if region_dir else []) + [SHIPPED]:
        if (path := root / f"{year}.json").exists():
            return json.loads(path.read_text(encoding="utf-8"))
    return None


async def put_year(uow: UnitOfWork, cache: CalendarCache, *, year: int, days: list[CalendarDay],
                   regulation: str | None, provisional: bool = False) -> CalendarYearV1:
    """Replace the year's exceptions (revision + 1) and publish the whole year."""
    if problems := day_problems(year, days):
        raise InvalidField(*problems[0])
    current = (await uow.session.execute(
        sa.select(cache.table.c.revision).where(cache.table.c.year == year).with_for_update())).scalar()
    cal = CalendarYearV1(year=year, days=sorted(days, key=lambda d: d.date), regulation=regulation,
                         provisional=provisional, revision=(current or 0) + 1, updated_at=datetime.now(timezone.utc))
    if not await cache.store(uow.session, cal):
        raise Conflict(f"the {year} calendar changed meanwhile; send it again", field="year")
    await uow.emit(CALENDAR_YEAR, cal)
    return cal


async def seed_defaults(uow: UnitOfWork, cache: CalendarCache, years: list[int], region_dir: str | None) -> list[int]:
    """Store and publish the shipped calendar of each year nobody has set yet; returns those seeded."""
    seeded = []
    for year in years:
        raw = shipped_default(year, region_dir)
        stored = (await uow.session.execute(sa.select(cache.table.c.year).where(cache.table.c.year == year))).scalar()
        if raw is None or stored is not None:
            continue
        cal = CalendarYearV1(year=year, days=raw.get("days", []), regulation=raw.get("regulation"),
                             provisional=bool(raw.get("provisional")), revision=1, updated_at=datetime.now(timezone.utc))
        if await cache.store(uow.session, cal):  # another instance may have seeded it just now
            await uow.emit(CALENDAR_YEAR, cal)
            seeded.append(year)
    return seeded
