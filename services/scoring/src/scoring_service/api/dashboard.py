"""Leaders' dashboards (issue 13): a unit and its sub-units, the whole organisation, a live
stream per unit, and the monthly unit report (PDF, XLSX).

Who sees what: `pimpinan`, `admin` and `inspektorat` (read-only) every unit; the head of a unit
(an active employee of it whose supervisor is outside it and who has a subordinate in it) their
unit and the units below it; anyone else no unit (403; 404 for a unit nobody has). A plain
pegawai reads their own month at `GET /v1/performance/{nip}/{period}`."""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.background import BackgroundTask

from kinerja_kit.auth import CurrentPrincipal, Principal
from kinerja_kit.http import FieldError
from scoring_service import reports
from scoring_service.application import dashboard as app_dash
from scoring_service.domain import dashboard as dd
from scoring_service.live import WAKEUP
from scoring_service.persistence import dashboard as q

router = APIRouter(prefix="/v1")
PERIOD = Query(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM")


class Dashboard(BaseModel):
    """A unit's (or the organisation's) month: `summary` over the unit and every unit below it,
    `sub_units` ranked by mean K, `employee_ranking` by K then achievement (the first `limit`),
    `not_logged` (no work for N working days of the region calendar), `backlog` (open approval
    tasks per superior, oldest first, with their age) and `trend` (per day of the month)."""
    period: str
    generated_at: str
    unit: dict[str, Any]
    summary: dict[str, Any]
    sub_units: list[dict[str, Any]]
    backlog: list[dict[str, Any]]
    employee_ranking: list[dict[str, Any]] = []
    not_logged: dict[str, Any] = {}
    trend: list[dict[str, Any]] = []


def _state(request: Request):
    s = request.app.state
    return s.runtime.db, s.dashboard_trees, s.thresholds, s.calendar, s.region, ZoneInfo(s.settings.timezone)


async def authorize(request: Request, principal: Principal, unit_code: str | None) -> tuple[dd.UnitTree, dict]:
    """The tree, after checking the caller may read `unit_code` (None: the organisation)."""
    db, trees, *_ = _state(request)
    async with db.sessions() as session:
        tree = await trees.get(session)
    if unit_code is not None and unit_code not in tree.parent:
        raise HTTPException(404, detail="unit not found")
    if principal.has(*dd.READ_EVERYTHING):
        return tree, trees.names
    if unit_code is None:
        raise HTTPException(403, detail="the organisation's dashboard is for pimpinan, admin and inspektorat")
    headed = dd.headed_units(principal.nip, trees.org, tree)
    if not dd.may_view(unit_code, dd.visible_units(principal.nip, principal.roles, headed, tree)):
        raise HTTPException(403, detail="only the head of this unit or of a unit above it may read it")
    return tree, trees.names


async def _build(request: Request, unit: str | None, tree, names, period: str, **kw) -> dict:
    db, _, thresholds, calendar, region, tz = _state(request)
    async with db.sessions() as session:
        t = await thresholds.get(session)
        cal = await calendar.get(session)
        return await app_dash.build(session, unit=unit, tree=tree, names=names, period=period, region=region,
                                    cal=cal, t=t, tz=tz, **kw)


def _this_month(request: Request) -> str:
    return request.app.state.settings.today().strftime("%Y-%m")


@router.get("/dashboard/units/{unit_code}", response_model=Dashboard)
async def unit_dashboard(
    request: Request, principal: CurrentPrincipal, unit_code: str,
    period: Annotated[str | None, PERIOD] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="employees in the ranking")] = 50,
    not_logged_days: Annotated[int | None, Query(ge=1, le=60, description="N working days (region default)")] = None,
) -> dict:
    """The unit and its sub-units in one month (this month by default)."""
    tree, names = await authorize(request, principal, unit_code)
    return await _build(request, unit_code, tree, names, period or _this_month(request), limit=limit,
                        not_logged_days=not_logged_days)


@router.get("/dashboard/organisation", response_model=Dashboard)
async def organisation_dashboard(
    request: Request, principal: CurrentPrincipal, period: Annotated[str | None, PERIOD] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 50,
    not_logged_days: Annotated[int | None, Query(ge=1, le=60)] = None,
) -> dict:
    """The whole organisation: the top units (those with no unit above them) as sub-units."""
    tree, names = await authorize(request, principal, None)
    return await _build(request, None, tree, names, period or _this_month(request), limit=limit,
                        not_logged_days=not_logged_days)


@router.get("/dashboard/units/{unit_code}/report.xlsx", response_class=Response,
            responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
async def report_xlsx(request: Request, principal: CurrentPrincipal, unit_code: str,
                      period: Annotated[str | None, PERIOD] = None) -> Response:
    """The monthly unit report as a workbook with native charts (Bahasa Indonesia)."""
    tree, names = await authorize(request, principal, unit_code)
    period = period or _this_month(request)
    d = await _build(request, unit_code, tree, names, period, limit=5000)
    body = await asyncio.to_thread(reports.xlsx, d)
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="laporan-{unit_code}-{period}.xlsx"'})


@router.get("/dashboard/units/{unit_code}/report.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
async def report_pdf(request: Request, principal: CurrentPrincipal, unit_code: str,
                     period: Annotated[str | None, PERIOD] = None) -> Response:
    """The monthly unit report as a PDF with charts (Bahasa Indonesia)."""
    tree, names = await authorize(request, principal, unit_code)
    period = period or _this_month(request)
    d = await _build(request, unit_code, tree, names, period, limit=200)
    body = await asyncio.to_thread(reports.pdf, d)
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="laporan-{unit_code}-{period}.pdf"'})


# --- the live stream ----------------------------------------------------------------------------

POLL_SECONDS, PAGE, LOOKBACK_SECONDS, REMEMBER, TREE_REFRESH = 0.5, 200, 30.0, 2000, 30.0
STREAM_DOC = {200: {"content": {"text/event-stream": {}}, "description":
                    "server-sent events: first `event: snapshot` (`id`: the change log's latest id, `data`: the "
                    "dashboard without the employee lists), or after `Last-Event-ID` every `event: change` since; "
                    "then `event: change` (`id`: change id, `data`: {id, kind, unit_code, nip, ref, at}) for each "
                    "submission, revision, withdrawal, approval request, decision or attendance record in the unit or "
                    "below, each batch followed by `event: summary` (the fresh totals); `: ping` every 15 s"}}


class _Seen:
    """Ids sent within the look-back (ids from a sequence can commit out of order; decision 34)."""

    def __init__(self, start: int) -> None:
        self.high = self.low = start
        self.sent: set[int] = set()
        self._marks: deque[tuple[float, int]] = deque()

    def advance(self, now: float) -> None:
        self._marks.append((now, self.high))
        while self._marks and self._marks[0][0] <= now - LOOKBACK_SECONDS:
            self.low = max(self.low, self._marks.popleft()[1])
        if len(self.sent) > REMEMBER:
            self.low = max(self.low, sorted(self.sent)[len(self.sent) - REMEMBER - 1])
        self.sent = {i for i in self.sent if i > self.low}


class Summaries:
    """One light dashboard per (unit, period) shared by the streams of this process: a stream that
    read its changes at `since` reuses a summary computed after that, else computes one (one at a
    time per key), so S streams of a unit cost one computation per batch, not S."""

    def __init__(self) -> None:
        self._at: dict[tuple[str, str], tuple[float, str]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def get(self, key: tuple[str, str], since: float, compute) -> str:
        async with self._locks.setdefault(key, asyncio.Lock()):
            hit = self._at.get(key)
            if hit is not None and hit[0] >= since:
                return hit[1]
            started = time.monotonic()
            data = json.dumps(await compute())
            self._at[key] = (started, data)
            return data


SUMMARIES = Summaries()


def _change(c) -> str:
    return json.dumps({"id": c.id, "kind": c.kind, "unit_code": c.unit_code, "nip": c.nip, "ref": c.ref,
                       "at": c.at.isoformat() if c.at else None})


async def _events(request: Request, unit: str, period: str | None, start: int | None, slot):
    db, trees, *_ = _state(request)
    try:
        async with db.sessions() as session:
            tree = await trees.get(session)
            units = tree.subtree(unit)
            if start is not None and start < await q.min_change_id(session) - 1:
                start = None  # older than the change log keeps: a fresh snapshot instead
            if start is None:
                start = await q.max_change_id(session, units)
                snap = await _build(request, unit, tree, trees.names, period or _this_month(request), light=True)
                yield ServerSentEvent(data=json.dumps(snap), id=str(start), event="snapshot")
        seen, refreshed = _Seen(start), time.monotonic()
        while True:
            if time.monotonic() - refreshed > TREE_REFRESH:
                async with db.sessions() as session:
                    tree = await trees.get(session)
                units, refreshed = tree.subtree(unit), time.monotonic()
            waiter = WAKEUP.waiter(units)
            try:
                seen.advance(time.monotonic())
                read_at = time.monotonic()
                async with db.sessions() as session:
                    rows = await q.changes_after(session, units, seen.low, PAGE + len(seen.sent))
                fresh = [r for r in rows if r.id not in seen.sent]
                for r in fresh:
                    seen.sent.add(r.id)
                    seen.high = max(seen.high, r.id)
                    yield ServerSentEvent(data=_change(r), id=str(r.id), event="change")
                if fresh:
                    month = period or _this_month(request)
                    data = await SUMMARIES.get((unit, month), read_at, lambda: _build(
                        request, unit, tree, trees.names, month, light=True))
                    yield ServerSentEvent(data=data, event="summary")
                if len(fresh) >= PAGE:
                    continue
                try:
                    await asyncio.wait_for(waiter.wait(), timeout=POLL_SECONDS)
                except TimeoutError:
                    pass
            finally:
                WAKEUP.forget(units, waiter)
    finally:
        await slot.release()


@router.get("/dashboard/units/{unit_code}/stream", response_model=None, responses=STREAM_DOC)
async def unit_stream(
    request: Request, principal: CurrentPrincipal, unit_code: str,
    period: Annotated[str | None, PERIOD] = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    last_event_id: Annotated[int | None, Query(ge=0, le=2**63 - 1, description="resume after this change id "
                                                                 "(the Last-Event-ID header wins)")] = None,
):
    """The unit's changes as server-sent events, within about half a second of each commit;
    reconnecting with `Last-Event-ID` sends every change since. At most `streams_per_user`
    (region thresholds) open streams per user and process: 429 beyond."""
    await authorize(request, principal, unit_code)
    start = last_event_id
    if last_event_id_header is not None and last_event_id_header.strip():
        try:
            start = int(last_event_id_header.strip())
        except ValueError:
            raise FieldError("Last-Event-ID", "must be a change id (an integer)") from None
    db, _, thresholds, *_ = _state(request)
    async with db.sessions() as session:
        cap = (await thresholds.get(session)).streams_per_user
    slot = request.app.state.dashboard_streams.take(principal.nip, cap)
    if slot is None:
        raise HTTPException(429, detail=f"at most {cap} open dashboard streams per user",
                            headers={"Retry-After": "5"})
    return EventSourceResponse(_events(request, unit_code, period, start, slot), ping=15, send_timeout=30,
                               headers={"Cache-Control": "no-store"}, background=BackgroundTask(slot.release))



