"""HTTP routes of the catalog: what is in force on a day, a type's versions, and (admin) new
versions one at a time or from a file (CSV or JSON, all or nothing, with a per-row report)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from kinerja_contracts.catalog.v1 import ActivityTypeV1
from kinerja_kit.auth import CurrentPrincipal, Principal, require_roles
from kinerja_kit.http import FieldError, problem
from pydantic import BaseModel, ConfigDict, Field

from scoring_service.application import catalog as use
from scoring_service.domain.catalog import (
    check_entry,
    parse_rows,
    rows_from_csv,
    rows_from_json,
)
from scoring_service.domain.scoring import plain
from scoring_service.persistence import repository as repo
from scoring_service.persistence.tables import CatalogEntry

router = APIRouter(prefix="/v1")
MAX_FILE_BYTES = 5 * 1024 * 1024


class CatalogItem(BaseModel):
    code: str
    name: str
    output_unit: str | None = None
    unit: str
    standard_minutes: int | None
    points: Decimal | None
    evidence_required: bool
    allowed_position_kinds: list[str]
    max_daily_volume: int | None = None
    effective_from: dt.date
    active: bool = True


class CatalogEntryIn(BaseModel):
    """A new activity type, or a new version of one from `effective_from`."""
    model_config = ConfigDict(extra="forbid")  # server-owned or unknown fields are 422, never ignored
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Z0-9][A-Z0-9-]*$", examples=["LAPORAN"])
    name: str = Field(min_length=3, max_length=200, examples=["Menyusun laporan kegiatan"])
    output_unit: str | None = Field(default=None, max_length=40, examples=["laporan"])
    unit: str = Field(pattern="^(minutes|points)$", examples=["minutes"])
    standard_minutes: int | None = Field(default=None, ge=1, le=480, examples=[120])
    points: Decimal | None = Field(default=None, ge=0, le=1000)
    evidence_required: bool = False
    allowed_position_kinds: list[str] = Field(default_factory=list, description="empty = every position kind")
    max_daily_volume: int | None = Field(default=None, ge=1)
    effective_from: dt.date
    active: bool = Field(default=True, description="false retires the type from effective_from")


class CatalogChangeOut(BaseModel):
    added: list[CatalogItem]
    unchanged: list[CatalogItem]
    dry_run: bool = False
    errors: list[dict] = Field(default_factory=list)


def item(r: CatalogEntry | ActivityTypeV1) -> CatalogItem:
    points = None if r.points is None else plain(r.points)  # "2.5", not the column's "2.5000"
    return CatalogItem.model_validate(r.model_dump() | {"unit": getattr(r.unit, "value", r.unit), "points": points})


@router.get("/catalog", response_model=list[CatalogItem])
async def catalog(request: Request, principal: CurrentPrincipal,
                  date: Annotated[dt.date | None, Query(description="YYYY-MM-DD; today by default")] = None
                  ) -> list[CatalogItem]:
    """Activity types in force on `date` (the newest version not after it; retired types left out)."""
    day = date or request.app.state.settings.today()
    async with request.app.state.runtime.db.sessions() as session:
        rows = await repo.current_catalog(session, day)
    return [item(r) for r in rows]


@router.get("/catalog/{code}/versions", response_model=list[CatalogItem])
async def versions(code: str, request: Request, principal: CurrentPrincipal) -> list[CatalogItem]:
    """Every version of one type, oldest first."""
    async with request.app.state.runtime.db.sessions() as session:
        rows = await repo.catalog_history(session, code)
    if not rows:
        raise HTTPException(404, detail=f"no activity type {code}")
    return [item(r) for r in rows]


@router.post("/catalog", response_model=CatalogChangeOut, status_code=201,
             responses={409: {"description": "that (code, effective_from) exists with other values"},
                        422: {"description": "the entry breaks a rule, the field is named"}})
async def add_version(body: CatalogEntryIn, request: Request, principal: Principal = require_roles("admin")):
    """Add a type (from this month's first day on) or a new version of one in use (from tomorrow on),
    published as catalog.activity-type.v1. Work already priced keeps its price; the version
    applies to activities dated from `effective_from`."""
    t = ActivityTypeV1.model_validate(body.model_dump())
    region, today = request.app.state.region, request.app.state.settings.today()
    async with request.app.state.runtime.uow() as uow:
        history = await repo.catalog_history(uow.session, t.code)
        stored = any(v.effective_from == t.effective_from for v in history)  # the same again, or a 409
        for field, message in ([] if stored else check_entry(t, region.scoring_mode, today, code_in_use=bool(history))):
            raise FieldError(field, message)
        change = await use.add_versions(uow, [t])
    out = CatalogChangeOut(added=[item(t) for t in change.added], unchanged=[item(t) for t in change.unchanged])
    return out if change.added else JSONResponse(out.model_dump(mode="json"), status_code=200)  # the same again


@router.post("/catalog/import", response_model=CatalogChangeOut,
             responses={422: {"description": "rows refused: `errors` by row and field; nothing stored"}},
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}, "example": (
                 "code,name,output_unit,unit,standard_minutes,points,evidence_required,allowed_position_kinds,"
                 "max_daily_volume,effective_from,active\nLAPORAN,Menyusun laporan kegiatan,laporan,minutes,90,,true,,"
                 "3,2026-12-01,true\n")}, "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}})
async def import_catalog(request: Request, principal: Principal = require_roles("admin"),
                         dry_run: Annotated[bool, Query(description="validate and count, store nothing")] = False):
    """Load many versions from CSV (text/csv) or JSON, all or nothing: any row error refuses the
    whole file (422, every error with its row and field)."""
    raw = await request.body()
    if len(raw) > MAX_FILE_BYTES:
        raise FieldError("file", f"larger than {MAX_FILE_BYTES} bytes", 413)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FieldError("file", "must be UTF-8 text") from None
    try:
        rows = rows_from_json(text) if "json" in request.headers.get("content-type", "") else rows_from_csv(text)
    except ValueError as exc:
        raise FieldError("file", str(exc)) from None
    if not rows:
        raise FieldError("file", "no entries")
    region, today = request.app.state.region, request.app.state.settings.today()
    async with request.app.state.runtime.db.sessions() as session:
        stored = await repo.catalog_keys(session)
    entries, errors = parse_rows(rows, region.scoring_mode, today, stored)
    if errors:
        return problem(422, f"{len(errors)} error(s); nothing was imported", errors=[e.as_dict() for e in errors])
    async with request.app.state.runtime.uow() as uow:
        change = await use.add_versions(uow, entries, dry_run=dry_run)
    return CatalogChangeOut(added=[item(t) for t in change.added], unchanged=[item(t) for t in change.unchanged],
                            dry_run=dry_run)
