"""HTTP routes of the approval service."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timezone  # noqa: F401 (date: used by a string annotation)
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from approval_service.application import tasks
from approval_service.domain.audit import ChainCheck, StoredEntry
from approval_service.domain.task import Decision, Task, TaskStatus
from approval_service.persistence import repository as repo
from kinerja_kit import pagination
from kinerja_kit.auth import CurrentPrincipal, Principal, require_roles
from kinerja_kit.http import FieldError, domain_status
from kinerja_kit.ratelimit import WriteLimited

router = APIRouter(prefix="/v1")


class TaskOut(BaseModel):
    task_id: str
    activity_id: str
    nip: str
    assignee_nip: str | None
    status: str
    type_code: str
    date: date
    minutes: int
    points: Decimal
    requested_at: datetime
    due_at: datetime | None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    on_behalf_of: str | None = Field(default=None, description="the assignee, when their delegate decided")
    delegated_from: str | None = Field(default=None, description="in the inbox: the superior who delegated this "
                                       "task to the caller (the assignee), null for the caller's own")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Decision
    reason: str | None = Field(default=None, max_length=2000)


def _out(t: Task) -> TaskOut:
    return TaskOut(task_id=t.id, activity_id=t.activity_id, nip=t.nip, assignee_nip=t.assignee_nip,
                   status=t.status, type_code=t.type_code, date=t.work_date, minutes=t.minutes,
                   points=t.points, requested_at=t.requested_at, due_at=t.due_at, decided_at=t.decided_at,
                   decided_by=t.decided_by, reason=t.reason, on_behalf_of=t.on_behalf_of)


@router.get("/inbox", response_model=list[TaskOut])
async def inbox(request: Request, response: Response, principal: CurrentPrincipal,
                limit: Annotated[int, Query(ge=1, le=500)] = 100,
                offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
                cursor: Annotated[str | None, Query(description="from X-Next-Cursor / Link of the previous page")] = None,
                nip: Annotated[str | None, Query(max_length=18, description="one employee's work")] = None,
                unit_code: Annotated[str | None, Query(max_length=50, description="work of the employees of one unit")] = None,
                work_from: Annotated[date | None, Query(alias="from", description="work dated on or after")] = None,
                work_to: Annotated[date | None, Query(alias="to", description="work dated on or before")] = None,
                status: Annotated[TaskStatus, Query(description="the tasks' status")] = TaskStatus.PENDING,
                overdue: Annotated[bool | None, Query(description="true: due before now; false: not (yet) due")] = None,
                ) -> list[TaskOut]:
    """Tasks assigned to the caller and to the superiors who delegated to the caller today (marked
    `delegated_from`), pending unless `status` says otherwise, oldest first; a full page announces
    the next one in `Link` and `X-Next-Cursor` (`offset` still works). Filters combine."""
    if work_from and work_to and work_to < work_from:
        raise FieldError("to", f"{work_to} is before from ({work_from})")
    after = pagination.decode(cursor, (datetime.fromisoformat, str))
    where = repo.InboxFilter(status=status, nip=nip, unit_code=unit_code, work_from=work_from, work_to=work_to,
                             overdue=overdue, now=datetime.now(timezone.utc))
    async with request.app.state.runtime.db.sessions() as session:
        delegators = await repo.delegators_of(session, principal.nip, request.app.state.runtime.settings.today())
        tasks_ = await repo.inbox(session, principal.nip, limit, 0 if after else offset, after,
                                  delegators=delegators, where=where)
    if len(tasks_) == limit:
        pagination.announce_next(request, response, [tasks_[-1].requested_at, tasks_[-1].id])
    return [_out(t).model_copy(update={"delegated_from": t.assignee_nip if t.assignee_nip != principal.nip else None})
            for t in tasks_]


class InboxCounts(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "pending": 7, "overdue": 2, "delegated": 3, "decided_today": 12,
        "by_status": {"pending": 7, "unassigned": 0, "approved": 40, "rejected": 1, "returned": 2, "cancelled": 0}}]})
    pending: int = Field(description="awaiting the caller's decision (own and delegated)")
    overdue: int = Field(description="pending ones past their due date")
    delegated: int = Field(description="pending ones of superiors who delegated to the caller today")
    decided_today: int = Field(description="decisions the caller took today (the region's date)")
    by_status: dict[str, int] = Field(description="the caller's and the delegated tasks per status")


@router.get("/inbox/counts", response_model=InboxCounts)
async def inbox_counts(request: Request, principal: CurrentPrincipal) -> InboxCounts:
    """How many tasks the caller has (own and delegated to them today) per status, how many
    pending are overdue or delegated, and how many the caller decided today."""
    settings = request.app.state.runtime.settings
    today = settings.today()
    day_start = datetime.combine(today, time.min, tzinfo=ZoneInfo(settings.timezone))
    async with request.app.state.runtime.db.sessions() as session:
        delegators = await repo.delegators_of(session, principal.nip, today)
        counts = await repo.inbox_counts(session, principal.nip, delegators, now=datetime.now(timezone.utc),
                                         day_start=day_start)
    return InboxCounts(**counts)


@router.post("/approvals/{activity_id}/decision", response_model=TaskOut)
async def decide(activity_id: uuid.UUID, body: DecisionIn, request: Request, principal: WriteLimited) -> TaskOut:
    """Approve, reject or return one activity (reason required unless approve)."""
    async with request.app.state.runtime.uow() as uow:
        task = await tasks.decide(uow, activity_id=activity_id, actor_nip=principal.nip,
                                  decision=body.decision, reason=body.reason,
                                  tz=ZoneInfo(request.app.state.runtime.settings.timezone))
    return _out(task)


class BulkDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "activity_ids": ["3f0c9a51-2d7e-4a43-9d1c-0b6f5b1f3c11", "8a2b47d0-6c1e-4f7a-b0e2-5d9c3a7e1f22"],
        "decision": "approve"}]})
    activity_ids: list[uuid.UUID] = Field(min_length=1, max_length=200, description="at most 200; duplicates count once")
    decision: Decision
    reason: str | None = Field(default=None, max_length=2000, description="required unless approve; applies to all")


class BulkItemOut(BaseModel):
    activity_id: uuid.UUID
    decided: bool
    task: TaskOut | None = None
    status: int = Field(description="the status this decision alone would have answered")
    error: str | None = None
    field: str | None = None


class BulkDecisionOut(BaseModel):
    decided: int
    refused: int
    results: list[BulkItemOut]


@router.post("/approvals/bulk", response_model=BulkDecisionOut)
async def decide_bulk(body: BulkDecisionIn, request: Request, principal: WriteLimited) -> BulkDecisionOut:
    """Decide up to 200 activities at once (e.g. approve a unit's week): 200 with a result per id,
    decided or the reason it was not (the same refusals as one decision); each decision is its own
    event and audit entry."""
    async with request.app.state.runtime.uow() as uow:
        results = await tasks.decide_many(uow, activity_ids=body.activity_ids, actor_nip=principal.nip,
                                          decision=body.decision, reason=body.reason,
                                          tz=ZoneInfo(request.app.state.runtime.settings.timezone))
    items = [BulkItemOut(activity_id=aid, decided=True, task=_out(r), status=200) if isinstance(r, Task) else
             BulkItemOut(activity_id=aid, decided=False, status=domain_status(r), error=r.message, field=r.field)
             for aid, r in results]
    decided = sum(i.decided for i in items)
    return BulkDecisionOut(decided=decided, refused=len(items) - decided, results=items)


class AuditVerification(BaseModel):
    ok: bool
    entries: int
    first_broken: int | None = Field(description="id of the first entry whose hash or link does not hold")


@router.get("/audit/verify", response_model=AuditVerification)
async def verify_audit(request: Request,
                       principal: Principal = require_roles("inspektorat", "admin")) -> AuditVerification:
    """Walk the whole hash chain: does every entry still hash to what it says, linked to the one before?"""
    async with request.app.state.runtime.db.sessions() as session:
        check = await repo.walk_audit(session, ChainCheck())
    return AuditVerification(ok=check.ok, entries=check.entries, first_broken=check.first_broken)


@router.get("/audit/activities/{activity_id}", response_model=list[StoredEntry])
async def audit(activity_id: uuid.UUID, request: Request,
                principal: Principal = require_roles("inspektorat", "admin")) -> list[StoredEntry]:
    """The Inspektorat's view of every decision on one activity (read-only)."""
    async with request.app.state.runtime.db.sessions() as session:
        return [StoredEntry(**r.model_dump()) for r in await repo.audit_for_activity(session, str(activity_id))]
