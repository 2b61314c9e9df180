"""SLA use cases (DOMAIN.md, Approval; issue 9): remind an approver one working day before a task's
deadline, and escalate a task whose deadline has passed to the next superior, once, counting it
against the approver who let it pass.

The scheduler (approval_service/scheduler.py) calls them with its clock's `now`, one bounded batch
per call, each batch in the caller's unit of work. The state lives in the tasks' rows (`due_at`,
`reminded_at`, `escalated_at`), and each batch takes its rows locked (`FOR UPDATE SKIP LOCKED`) and
only while they are still pending and not escalated, in the transaction that changes them: a
restarted scheduler carries on where the last one stopped, and two at once never take one task."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from approval_service.application import routing
from approval_service.application.tasks import due_at as sla_due_at
from approval_service.domain.sla import month_of, reminder_at, reminder_horizon
from approval_service.persistence import repository as repo
from kinerja_contracts.approval.v1 import ApprovalEscalatedV1, ApprovalReminderV1, ApprovalSlaMonthlyV1
from kinerja_contracts.calendar.v1 import WorkCalendar
from kinerja_contracts.topics import APPROVAL_ESCALATED, APPROVAL_REMINDER, APPROVAL_SLA_MONTHLY
from kinerja_kit.errors import DomainError
from kinerja_kit.outbox import UnitOfWork

log = logging.getLogger(__name__)

BATCH = 500  # tasks per batch: one transaction, and the audit chain's lock held for its length


@dataclass(frozen=True)
class EscalationBatch:
    escalated: int  # moved up to the next superior (approval.escalated.v1)
    flagged: int  # overdue at the top of the chain: they stay, flagged, and are not tried again
    more: bool  # the batch was full: more may be waiting


@dataclass(frozen=True)
class ReminderBatch:
    reminded: int
    more: bool


async def escalate_overdue(uow: UnitOfWork, now: datetime, calendar: WorkCalendar, sla: int, *, tz: ZoneInfo,
                           limit: int = BATCH) -> EscalationBatch:
    """Every pending task past its deadline (up to `limit`) moves up once to the next superior on
    today's org data, with a new deadline, an audit entry `escalate` and approval.escalated.v1;
    the approver who let it pass is flagged and their month's count (approval.sla-monthly.v1, a new
    version per change) goes up in the same transaction. At the top of the chain the task stays,
    flagged (audit entry `overdue`, no event, not counted)."""
    session = uow.session
    day, period = now.astimezone(tz).date(), month_of(now, tz)
    new_due = sla_due_at(now, sla, tz, calendar)
    counts: Counter[tuple[str, str]] = Counter()
    escalated = flagged = 0
    batch = await repo.overdue_tasks(session, now, limit)
    for task in batch:
        missed, approver = task.due_at, task.assignee_nip
        try:
            async with session.begin_nested():  # one task's refusal leaves the batch going
                target = await routing.escalation_target(session, approver, day)
                if target in (approver, task.nip):
                    target = None  # nobody else above (or the org data loops back): it stays
                task.escalate(to_nip=target, now=now, due_at=new_due)
                await repo.save_task(session, task)
                when = f"{missed.astimezone(tz):%Y-%m-%d %H:%M}"
                if target is None:
                    await repo.append_audit(session, task=task, actor_nip=approver, action="overdue", at=now,
                                            reason=f"undecided past its deadline {when}; nobody above {approver}: "
                                                   "it stays, flagged")
                    flagged += 1
                    continue
                reason = f"undecided {sla} working days (deadline {when}): escalated from {approver} to {target}"
                await repo.append_audit(session, task=task, actor_nip=approver, action="escalate", reason=reason,
                                        at=now)
                await uow.emit(APPROVAL_ESCALATED, ApprovalEscalatedV1(
                    task_id=uuid.UUID(task.id), activity_id=uuid.UUID(task.activity_id), nip=task.nip,
                    from_approver_nip=approver, to_approver_nip=target, escalated_at=now, reason=reason,
                    first_approver_nip=approver, due_at=missed, new_due_at=task.due_at, period=period))
        except DomainError as exc:  # e.g. the org data gives the employee as their own approver
            log.warning("task %s not escalated: %s", task.id, exc)
            continue
        counts[(approver, period)] += 1
        escalated += 1
    for c in await repo.add_sla_escalations(session, counts, now):
        await uow.emit(APPROVAL_SLA_MONTHLY, ApprovalSlaMonthlyV1(
            nip=c.nip, period=c.period, escalated_count=c.escalated_count, version=c.version, updated_at=now))
    return EscalationBatch(escalated, flagged, more=len(batch) == limit)


async def remind_due(uow: UnitOfWork, now: datetime, calendar: WorkCalendar, *, tz: ZoneInfo,
                     limit: int = BATCH) -> ReminderBatch:
    """Remind the approver of every pending task due in one working day (from the same time on the
    working day before its deadline), once per assignment and never after an escalation:
    approval.reminder.v1, which notify turns into the approver's notification."""
    sent = 0
    for task in await repo.reminder_candidates(uow.session, now, reminder_horizon(now, calendar, tz), limit):
        if not task.remind(now=now, remind_at=reminder_at(task.due_at, calendar, tz)):
            continue  # due later tomorrow, or assigned less than a working day before its deadline
        await repo.save_task(uow.session, task)
        await uow.emit(APPROVAL_REMINDER, ApprovalReminderV1(
            task_id=uuid.UUID(task.id), activity_id=uuid.UUID(task.activity_id), nip=task.nip,
            approver_nip=task.assignee_nip, type_code=task.type_code, work_date=task.work_date,
            due_at=task.due_at, due_date=task.due_at.astimezone(tz).date(), reminded_at=now))
        sent += 1
    return ReminderBatch(sent, more=sent == limit)
