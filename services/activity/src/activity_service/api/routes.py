"""HTTP routes of the activity service."""

from __future__ import annotations

import calendar
from datetime import date, time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from activity_service.api.idempotency import KEEP, IdempotencyKeyHeader, check_key, fingerprint, once
from activity_service.api.uploads import discarded_on_failure, read_multipart, validated
from activity_service.api.schemas import ActivityCreate, ActivityOut, ActivityPatch, WithdrawIn
from activity_service.application import activities, fast_intake
from activity_service.domain.activity import Activity
from activity_service.persistence import repository as repo
from kinerja_kit.auth import CurrentPrincipal
from kinerja_kit import pagination
from kinerja_kit.ratelimit import WriteLimited
from kinerja_kit.http import FieldError

router = APIRouter(prefix="/v1")
READ_ALL_ROLES = ("inspektorat", "pimpinan", "admin")


def _out(a: Activity, evidence: list[str] | None = None) -> ActivityOut:
    return ActivityOut(evidence=evidence or [],
        id=a.id, nip=a.nip, type_code=a.type_code, date=a.work_date, start_time=a.start_time,
        end_time=a.end_time, quantity=a.quantity, description=a.description, status=a.status,
        minutes=a.minutes, points=a.points, decision_reason=a.decision_reason, revision=a.revision, rhk_id=a.rhk_id,
        created_at=a.created_at, updated_at=a.updated_at,
    )


ACTIVITY_BODY = ActivityCreate.model_json_schema(by_alias=True)
SUBMIT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": ACTIVITY_BODY},
    "multipart/form-data": {"schema": {**ACTIVITY_BODY, "properties": {
        **ACTIVITY_BODY["properties"],
        "evidence": {"type": "array", "items": {"type": "string", "format": "binary"},
                     "description": "PDF, JPEG or PNG files (type read from the bytes)"}}}},
}}}
EVIDENCE_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["evidence"],
    "properties": {"evidence": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}}}


@router.post("/activities", status_code=201, response_model=ActivityOut, openapi_extra=SUBMIT_BODY)
async def submit_activity(request: Request, principal: WriteLimited,
                          key: IdempotencyKeyHeader = None) -> ActivityOut:
    """Log one piece of work, as JSON or as multipart with `evidence` file parts; 201 only after
    the activity, its evidence and its event are committed. A retry with the same Idempotency-Key
    answers the first 201 again and logs nothing new."""
    settings, store = request.app.state.settings, request.app.state.evidence
    evidence, new = [], []
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        fields, evidence, new = await read_multipart(request, store, settings, max_fields=20)
        with discarded_on_failure(store, new):
            body = validated(ActivityCreate, fields)
    else:
        body = validated(ActivityCreate, await request.body())
        fast = request.app.state.fast_intake
        if fast is not None:
            check_key(key)
            try:
                answer = await fast_intake.submit_json(
                    fast, request.app.state.runtime.db.sessions, request.app.state.reference,
                    producer=settings.service, nip=principal.nip, type_code=body.type_code,
                    work_date=body.work_date, start_time=body.start_time, end_time=body.end_time,
                    quantity=body.quantity, description=body.description, rhk_id=body.rhk_id,
                    today=settings.today(), backdate_working_days=settings.backdate_working_days, key=key,
                    fingerprint=None if key is None else fingerprint(
                        "POST", request.url.path, {**body.model_dump(mode="json"), "evidence": []}),
                    keep_keys=KEEP)
            except fast_intake.NotAnEmployee:
                pass  # the ORM path below refuses it, as it always has
            else:
                if answer.status == 201 and not answer.replayed:
                    request.app.state.runtime.db.outbox_written.set()  # wake the relay
                return Response(answer.body, status_code=answer.status, media_type="application/json",
                                headers={"Idempotent-Replayed": "true"} if answer.replayed else None)

    async def write(uow):
        activity = await activities.submit(
            uow, request.app.state.reference, nip=principal.nip, type_code=body.type_code, work_date=body.work_date,
            start_time=body.start_time, end_time=body.end_time, quantity=body.quantity,
            description=body.description, rhk_id=body.rhk_id, today=settings.today(), backdate_working_days=settings.backdate_working_days,
            evidence=evidence)
        return await _out_with_evidence(uow.session, activity)
    with discarded_on_failure(store, new):
        return await once(request.app.state.runtime, nip=principal.nip, key=key, status=201, write=write,
                          fp=fingerprint("POST", request.url.path, {**body.model_dump(mode="json"),
                                                                    "evidence": [e[0] for e in evidence]}))


@router.post("/activities/{activity_id}/evidence", response_model=ActivityOut, openapi_extra=EVIDENCE_BODY)
async def add_evidence(activity_id: str, request: Request, principal: WriteLimited,
                       key: IdempotencyKeyHeader = None) -> ActivityOut:
    """The owner adds files while the activity can still be revised (else 409 naming the status)."""
    settings, store = request.app.state.settings, request.app.state.evidence
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise FieldError("evidence", "send multipart/form-data with `evidence` file parts")
    _, evidence, new = await read_multipart(request, store, settings, max_fields=5)
    with discarded_on_failure(store, new):
        if not evidence:
            raise FieldError("evidence", "at least one file part")

        async def write(uow):
            activity = await activities.attach_evidence(uow, activity_id=activity_id, nip=principal.nip,
                                                        evidence=evidence, max_files=settings.evidence_max_files)
            return await _out_with_evidence(uow.session, activity)
        return await once(request.app.state.runtime, nip=principal.nip, key=key, status=200, write=write,
                          fp=fingerprint("POST", request.url.path, [e[0] for e in evidence]))


@router.get("/activities/{activity_id}/evidence/{sha256}", response_class=StreamingResponse,
            responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}})
async def download_evidence(activity_id: str, sha256: str, request: Request, principal: CurrentPrincipal):
    """One file: for the owner, the owner's atasan langsung and Inspektorat (404 for anyone else)."""
    async with request.app.state.runtime.db.sessions() as session:
        a = await repo.get_activity(session, activity_id)
        owner = await repo.get_employee(session, a.nip) if a else None
        files = (await repo.evidence_of(session, [activity_id])).get(activity_id, []) if a else []
    allowed = a is not None and (a.nip == principal.nip or principal.has("inspektorat")
                                 or (owner is not None and owner.supervisor_nip == principal.nip))
    row = next((f for f in files if f.sha256 == sha256), None)
    # The store blocks (a disk, or an S3 request): open it and read its chunks in threads.
    opened = await run_in_threadpool(request.app.state.evidence.open, sha256) if allowed and row else None
    if opened is None:
        raise HTTPException(404, detail="evidence not found")
    return StreamingResponse(opened.chunks, media_type=row.content_type,
                             headers={"X-Content-Type-Options": "nosniff", "Content-Length": str(opened.size)})


async def _out_with_evidence(session, activity: Activity) -> ActivityOut:
    files = (await repo.evidence_of(session, [activity.id])).get(activity.id, [])
    return _out(activity, [f.sha256 for f in files])


@router.patch("/activities/{activity_id}", response_model=ActivityOut)
async def revise_activity(activity_id: str, body: ActivityPatch, request: Request,
                          principal: WriteLimited, key: IdempotencyKeyHeader = None) -> ActivityOut:
    """The owner corrects a pending or returned activity; 409 naming the status otherwise."""
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise FieldError("body", "name at least one field to change")
    settings = request.app.state.settings

    async def write(uow):
        return _out(await activities.revise(uow, request.app.state.reference, activity_id=activity_id,
                                            nip=principal.nip, changes=changes, today=settings.today(),
                                            backdate_working_days=settings.backdate_working_days))
    return await once(request.app.state.runtime, nip=principal.nip, key=key, status=200, write=write,
                      fp=fingerprint("PATCH", request.url.path, body.model_dump(mode="json", exclude_unset=True)))


@router.post("/activities/{activity_id}/withdraw", response_model=ActivityOut)
async def withdraw_activity(activity_id: str, request: Request, principal: WriteLimited,
                            body: WithdrawIn | None = None, key: IdempotencyKeyHeader = None) -> ActivityOut:
    """The owner takes an activity back before any decision; 409 naming the status otherwise."""
    reason = body.reason if body else None

    async def write(uow):
        return _out(await activities.withdraw(uow, activity_id=activity_id, nip=principal.nip, reason=reason))
    return await once(request.app.state.runtime, nip=principal.nip, key=key, status=200, write=write,
                      fp=fingerprint("POST", request.url.path, {"reason": reason}))


@router.get("/activities/{activity_id}", response_model=ActivityOut)
async def get_activity(activity_id: str, request: Request, principal: CurrentPrincipal) -> ActivityOut:
    """The owner, the owner's atasan langsung (to decide it) and read-all roles may read it."""
    async with request.app.state.runtime.db.sessions() as session:
        a = await repo.get_activity(session, activity_id)
        owner = await repo.get_employee(session, a.nip) if a else None
    allowed = a is not None and (a.nip == principal.nip or principal.has(*READ_ALL_ROLES)
                                 or (owner is not None and owner.supervisor_nip == principal.nip))
    if not allowed:
        raise HTTPException(404, detail="activity not found")
    async with request.app.state.runtime.db.sessions() as session:
        return await _out_with_evidence(session, a)


@router.get("/activities", response_model=list[ActivityOut])
async def list_activities(
    request: Request, response: Response, principal: CurrentPrincipal,
    month: Annotated[str, Query(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM")],
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    cursor: Annotated[str | None, Query(description="from X-Next-Cursor / Link of the previous page")] = None,
) -> list[ActivityOut]:
    """The caller's own activities in one month, by date and start time; a full page announces the
    next one in `Link` and `X-Next-Cursor`."""
    year, mon = map(int, month.split("-"))
    first, last = date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])
    after = pagination.decode(cursor, (date.fromisoformat, time.fromisoformat, str))
    async with request.app.state.runtime.db.sessions() as session:
        rows = await repo.list_month(session, principal.nip, first, last, limit=limit, after=after)
        files = await repo.evidence_of(session, [a.id for a in rows])
    if len(rows) == limit:
        pagination.announce_next(request, response, [rows[-1].work_date, rows[-1].start_time, rows[-1].id])
    return [_out(a, [f.sha256 for f in files.get(a.id, [])]) for a in rows]
