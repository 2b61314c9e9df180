"""Use cases of approval tasks: load, call the domain, save, emit — in the caller's unit of work."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from approval_service.application import routing
from approval_service.domain.task import Decision, Task
from approval_service.persistence import repository as repo
from kinerja_contracts.activity.v1 import ActivityScoredV1
from kinerja_contracts.approval.v1 import ApprovalDecidedV1, ApprovalRequestedV1
from kinerja_contracts.calendar.v1 import WorkCalendar
from kinerja_contracts.approval.v1 import Decision as WireDecision
from kinerja_contracts.topics import APPROVAL_DECIDED, APPROVAL_REQUESTED
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.consumer import NotYetAvailable
from kinerja_kit.errors import DomainError, NotFound
from kinerja_kit.outbox import UnitOfWork


def due_at(now: datetime, sla_working_days: int, tz: ZoneInfo, calendar: WorkCalendar) -> datetime:
    """Working days of the region calendar, counted in the region's time zone."""
    return calendar.add_working_days(now.astimezone(tz), sla_working_days).astimezone(timezone.utc)


async def route_scored(uow: UnitOfWork, event: ActivityScoredV1, sla_working_days: int, tz: ZoneInfo,
                       calendar: CalendarCache) -> None:
    """Open a task with the employee's atasan langsung, or give a revision back to the approver."""
    employee = await repo.get_employee(uow.session, event.nip)
    if employee is None:
        raise NotYetAvailable(f"employee {event.nip} not known yet")  # org event still on its way
    now = datetime.now(timezone.utc)
    due = due_at(now, sla_working_days, tz, await calendar.get(uow.session))
    task = await repo.task_by_activity(uow.session, str(event.activity_id), lock=True)
    if task is None:
        route = await routing.route_for(uow.session, event.nip, event.work_date, now.astimezone(tz).date(),
                                        routing.region_chain())
        task = Task.open(id=str(uuid.uuid4()), activity_id=str(event.activity_id), nip=event.nip,
                         assignee_nip=route.assignee, type_code=event.type_code,
                         work_date=event.work_date, minutes=event.minutes, points=event.points,
                         revision=event.revision, now=now, due_at=due)
    elif not task.resubmit(revision=event.revision, type_code=event.type_code, work_date=event.work_date,
                           minutes=event.minutes, points=event.points, now=now, due_at=due):
        return  # a re-scoring of a revision already routed
    await repo.save_task(uow.session, task)
    if task.awaits_decision:
        await uow.emit(APPROVAL_REQUESTED, requested_event(task, now))


def requested_event(task: Task, at: datetime) -> ApprovalRequestedV1:
    return ApprovalRequestedV1(
        task_id=uuid.UUID(task.id), activity_id=uuid.UUID(task.activity_id), nip=task.nip,
        approver_nip=task.assignee_nip, type_code=task.type_code, work_date=task.work_date,
        minutes=task.minutes, points=task.points, requested_at=at, due_at=task.due_at,
    )


async def reroute(uow: UnitOfWork, nip: str, officials: list[str], *, sla_working_days: int, tz: ZoneInfo,
                  calendar: CalendarCache) -> int:
    """After `nip`'s personnel data changed: every open task it touches goes to the approver the
    rules now give, with an audit entry saying why; decided tasks never move. Returns the moves."""
    tasks_ = await repo.open_tasks_touching(uow.session, nip, officials)
    if not tasks_:
        return 0  # most org events (an import of 20,000) touch no open task
    now = datetime.now(timezone.utc)
    due = due_at(now, sla_working_days, tz, await calendar.get(uow.session))
    moved = 0
    for task in tasks_:
        route = await routing.route_for(uow.session, task.nip, task.work_date, now.astimezone(tz).date(),
                                        routing.region_chain())
        if route.assignee == task.assignee_nip:
            continue
        previous = task.reassign(to_nip=route.assignee, now=now, due_at=due)
        await repo.save_task(uow.session, task)
        await repo.append_audit(uow.session, task=task, actor_nip=previous or nip, action="reroute",
                                reason=f"org change of {nip}: {route.reason}", at=now)
        if task.awaits_decision:
            await uow.emit(APPROVAL_REQUESTED, requested_event(task, now))
        moved += 1
    return moved


async def cancel_for_withdrawal(uow: UnitOfWork, activity_id: str) -> None:
    task = await repo.task_by_activity(uow.session, activity_id, lock=True)
    if task is not None and task.cancel():
        await repo.save_task(uow.session, task)


async def decide_many(uow: UnitOfWork, *, activity_ids: list[uuid.UUID], actor_nip: str, decision: Decision,
                      reason: str | None, tz: ZoneInfo | None = None) -> list[tuple[uuid.UUID, Task | DomainError]]:
    """Bulk decisions in one commit, each in a savepoint of its own: one refused leaves the others
    decided, and every decision is its own audit entry and approval.decided.v1."""
    results: list[tuple[uuid.UUID, Task | DomainError]] = []
    for activity_id in dict.fromkeys(activity_ids):
        try:
            async with uow.session.begin_nested():
                results.append((activity_id, await decide(uow, activity_id=activity_id, actor_nip=actor_nip,
                                                          decision=decision, reason=reason, tz=tz)))
        except DomainError as exc:
            results.append((activity_id, exc))
    return results


async def decide(uow: UnitOfWork, *, activity_id: uuid.UUID, actor_nip: str, decision: Decision,
                 reason: str | None, tz: ZoneInfo | None = None) -> Task:
    """The assignee's decision, or their delegate's on the region's date (`tz`, Asia/Jakarta by
    default): the task, the audit trail and approval.decided.v1 in one commit. Refused (409
    naming `period`) for work dated in a TPP period tpp has closed."""
    task = await repo.task_by_activity(uow.session, str(activity_id), lock=True)
    if task is None:
        raise NotFound("no approval task for this activity")
    now = datetime.now(timezone.utc)
    day = now.astimezone(tz or JAKARTA).date()
    delegations = [] if actor_nip in (task.assignee_nip, task.nip) or task.assignee_nip is None else \
        await repo.delegations_to(uow.session, actor_nip, day, delegator_nip=task.assignee_nip)
    task.decide(actor_nip=actor_nip, decision=decision, reason=reason, now=now, day=day, delegations=delegations,
                closed_periods=await repo.closed_periods(uow.session))
    await repo.save_task(uow.session, task)
    await repo.append_audit(uow.session, task=task, actor_nip=actor_nip, action=decision.value,
                            reason=task.reason, at=now, on_behalf_of=task.on_behalf_of)
    await uow.emit(APPROVAL_DECIDED, ApprovalDecidedV1(
        task_id=uuid.UUID(task.id), activity_id=activity_id, nip=task.nip, approver_nip=actor_nip,
        decision=WireDecision(decision.value), reason=task.reason, type_code=task.type_code,
        work_date=task.work_date, minutes=task.minutes, points=task.points, decided_at=now,
        on_behalf_of=task.on_behalf_of, on_behalf_of_nip=task.on_behalf_of,
    ))
    return task


JAKARTA = ZoneInfo("Asia/Jakarta")  # the settings' default time zone (KINERJA_TIMEZONE)
