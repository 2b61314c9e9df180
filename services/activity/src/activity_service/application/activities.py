"""Use cases of the activity log: load, call the domain, save, emit — in the caller's unit of work."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

from activity_service.domain.activity import REVISABLE, Activity, IntakeContext
from activity_service.domain.evidence import check_count
from activity_service.persistence import repository as repo
from activity_service.persistence.reference import ReferenceCache
from kinerja_contracts.activity.v1 import ActivityRevisedV1, ActivityScoredV1, ActivitySubmittedV1, ActivityWithdrawnV1
from kinerja_contracts.approval.v1 import ApprovalDecidedV1
from kinerja_contracts.topics import ACTIVITY_REVISED, ACTIVITY_SUBMITTED, ACTIVITY_WITHDRAWN
from kinerja_kit.consumer import NotYetAvailable
from kinerja_kit.errors import NotFound, NotPermitted, TransitionRefused
from kinerja_kit.outbox import UnitOfWork


async def submit(uow: UnitOfWork, reference: ReferenceCache, *, nip: str, type_code: str, work_date: date, start_time, end_time,
                 quantity: int, description: str, today: date, backdate_working_days: int, rhk_id: str | None = None,
                 evidence: list[tuple[str, str, int]] = ()) -> Activity:
    """Store a new activity and queue activity.submitted.v1 (201 only after the commit)."""
    employee = await repo.get_employee(uow.session, nip, lock=True)
    if employee is None or not employee.active:
        raise NotPermitted("caller is not an active employee in the organisation data")
    ctx = IntakeContext(
        type_info=await reference.type_info(uow.session, type_code, work_date), position_kind=employee.position_kind,
        today=today, backdate_working_days=backdate_working_days,
        taken_spans=await repo.taken_spans(uow.session, nip, work_date),
        period_closed=await reference.is_closed(uow.session, work_date), evidence_files=len(evidence),
        calendar=await reference.work_calendar(uow.session),
    )
    now = datetime.now(timezone.utc)
    activity = Activity.submit(ctx, id=str(uuid.uuid4()), nip=nip, type_code=type_code, work_date=work_date,
                               start_time=start_time, end_time=end_time, quantity=quantity,
                               description=description, now=now, rhk_id=rhk_id)
    await repo.save_activity(uow.session, activity)
    await repo.add_evidence(uow.session, activity.id, list(evidence), now)
    await uow.emit(ACTIVITY_SUBMITTED, ActivitySubmittedV1(
        activity_id=uuid.UUID(activity.id), nip=activity.nip, type_code=activity.type_code,
        work_date=activity.work_date, start_time=activity.start_time, end_time=activity.end_time,
        quantity=activity.quantity, description=activity.description, submitted_at=now,
        evidence_sha256=[sha for sha, _, _ in evidence], rhk_id=activity.rhk_id,
    ))
    return activity


async def _own(uow: UnitOfWork, activity_id: str, nip: str) -> Activity:
    """The caller's own activity, locked (anyone else's answers as not found)."""
    activity = await repo.get_activity(uow.session, activity_id, lock=True)
    if activity is None or activity.nip != nip:
        raise NotFound("activity not found")
    return activity


async def revise(uow: UnitOfWork, reference: ReferenceCache, *, activity_id: str, nip: str, changes: dict,
                 today: date, backdate_working_days: int) -> Activity:
    """The owner corrects a pending or returned activity: guard rails again (its own span aside),
    revision + 1, activity.revised.v1 back through scoring to the same approver."""
    employee = await repo.get_employee(uow.session, nip, lock=True)  # serialises the overlap check
    if employee is None or not employee.active:
        raise NotPermitted("caller is not an active employee in the organisation data")
    activity = await _own(uow, activity_id, nip)
    fields = {k: changes.get(k, getattr(activity, k)) for k in
              ("type_code", "work_date", "start_time", "end_time", "quantity", "description", "rhk_id")}
    ctx = IntakeContext(
        type_info=await reference.type_info(uow.session, fields["type_code"], fields["work_date"]),
        position_kind=employee.position_kind, today=today, backdate_working_days=backdate_working_days,
        taken_spans=await repo.taken_spans(uow.session, nip, fields["work_date"], exclude_id=activity.id),
        period_closed=await reference.is_closed(uow.session, fields["work_date"]),
        evidence_files=len((await repo.evidence_of(uow.session, [activity.id])).get(activity.id, [])),
        calendar=await reference.work_calendar(uow.session),
    )
    now = datetime.now(timezone.utc)
    revision = activity.revise(ctx, **fields, now=now)
    await repo.save_activity(uow.session, activity)
    await uow.emit(ACTIVITY_REVISED, ActivityRevisedV1(
        activity_id=uuid.UUID(activity.id), nip=activity.nip, type_code=activity.type_code,
        work_date=activity.work_date, start_time=activity.start_time, end_time=activity.end_time,
        quantity=activity.quantity, description=activity.description, submitted_at=now, revision=revision,
        rhk_id=activity.rhk_id,
    ))
    return activity


async def attach_evidence(uow: UnitOfWork, *, activity_id: str, nip: str, evidence: list[tuple[str, str, int]],
                          max_files: int) -> Activity:
    """The owner adds files while the activity can still be revised."""
    activity = await _own(uow, activity_id, nip)
    if activity.status not in REVISABLE:
        raise TransitionRefused("activity", activity.status, "take more evidence")
    existing = {e.sha256 for e in (await repo.evidence_of(uow.session, [activity.id])).get(activity.id, [])}
    check_count(len(existing), len({sha for sha, _, _ in evidence} - existing), max_files)
    await repo.add_evidence(uow.session, activity.id, evidence, datetime.now(timezone.utc))
    return activity


async def withdraw(uow: UnitOfWork, *, activity_id: str, nip: str, reason: str | None) -> Activity:
    """The owner takes an activity back before any decision; its approval task is cancelled."""
    activity = await _own(uow, activity_id, nip)
    now = datetime.now(timezone.utc)
    activity.withdraw(now=now)
    await repo.save_activity(uow.session, activity)
    await uow.emit(ACTIVITY_WITHDRAWN, ActivityWithdrawnV1(
        activity_id=uuid.UUID(activity.id), nip=activity.nip, withdrawn_at=now, reason=reason))
    return activity


async def _stored(uow: UnitOfWork, activity_id: str) -> Activity:
    activity = await repo.get_activity(uow.session, activity_id, lock=True)
    if activity is None:
        raise NotYetAvailable(f"activity {activity_id} not stored yet")
    return activity


async def record_score(uow: UnitOfWork, event: ActivityScoredV1) -> None:
    activity = await _stored(uow, str(event.activity_id))
    activity.record_score(minutes=event.minutes, points=event.points, now=datetime.now(timezone.utc))
    await repo.save_activity(uow.session, activity)


async def record_decision(uow: UnitOfWork, event: ApprovalDecidedV1) -> None:
    activity = await _stored(uow, str(event.activity_id))
    activity.record_decision(decision=event.decision, reason=event.reason,
                             now=datetime.now(timezone.utc))
    await repo.save_activity(uow.session, activity)
