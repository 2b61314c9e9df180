"""HTTP routes of the region calendar: one year's holidays, cuti bersama and regional exceptions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from activity_service.api.idempotency import IdempotencyKeyHeader, fingerprint, once
from activity_service.application import calendar
from kinerja_contracts.calendar.v1 import CalendarDay, CalendarYearV1
from kinerja_kit.auth import CurrentPrincipal, Principal, require_roles

router = APIRouter(prefix="/v1")
Year = Annotated[int, Path(ge=2000, le=2100, description="e.g. 2026")]


class CalendarPut(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "regulation": "SKB 3 Menteri No. 1497/2025, 2/2025, 5/2025",
        "days": [{"date": "2026-12-24", "kind": "cuti_bersama", "name": "Cuti bersama Natal"},
                 {"date": "2026-12-25", "kind": "libur_nasional", "name": "Kelahiran Yesus Kristus"},
                 {"date": "2026-10-07", "kind": "libur_daerah", "name": "Hari jadi kota"}]}]})
    days: list[CalendarDay] = Field(max_length=366, description="every exception to the Mon–Fri week")
    regulation: str | None = Field(default=None, max_length=300)
    provisional: bool = False


@router.put("/calendar/{year}", response_model=CalendarYearV1)
async def put_calendar(year: Year, body: CalendarPut, request: Request, key: IdempotencyKeyHeader = None,
                       principal: Principal = require_roles("admin")) -> CalendarYearV1:
    """Replace the year's calendar (the whole list, revision + 1); every service counting working
    days follows it through calendar.year.v1. A closed month's TPP is not recomputed."""
    cache = request.app.state.reference.calendar

    async def write(uow):
        return await calendar.put_year(uow, cache, year=year, days=body.days, regulation=body.regulation,
                                       provisional=body.provisional)
    return await once(request.app.state.runtime, nip=principal.nip, key=key, status=200, write=write,
                      fp=fingerprint("PUT", request.url.path, body.model_dump(mode="json")))


@router.get("/calendar/{year}", response_model=CalendarYearV1)
async def get_calendar(year: Year, request: Request, principal: CurrentPrincipal) -> CalendarYearV1:
    async with request.app.state.runtime.db.sessions() as session:
        cal = await request.app.state.reference.calendar.year(session, year)
    if cal is None:
        raise HTTPException(404, detail=f"no calendar for {year}")
    return cal
