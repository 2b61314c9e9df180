"""The approval task and its lifecycle (DOMAIN.md, Approval). Pure: no I/O.

    (scored) ──open──▶ pending ──decide──▶ approved | rejected | returned
                 │        │  ▲                             │
                 │        │  └──────── resubmit ───────────┘ (a revision goes back to the same approver;
                 │        │                                    a pending task takes it in place)
                 ▼        ├──escalate / reassign──▶ pending (another approver; escalate at most once)
             unassigned ──┴──reassign──▶ pending
    pending | unassigned | returned ──cancel──▶ cancelled (the activity was withdrawn)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from approval_service.domain.delegation import Delegation
from kinerja_kit.errors import Conflict, InvalidField, NotPermitted, TransitionRefused


class TaskStatus(StrEnum):
    PENDING = "pending"
    UNASSIGNED = "unassigned"  # no atasan langsung in the org data (the top of the chain)
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"


OUTCOME = {Decision.APPROVE: TaskStatus.APPROVED, Decision.REJECT: TaskStatus.REJECTED,
           Decision.RETURN: TaskStatus.RETURNED}
CANCELLABLE = frozenset({TaskStatus.PENDING, TaskStatus.UNASSIGNED, TaskStatus.RETURNED})
DECIDED = frozenset(OUTCOME.values())


@dataclass
class Task:
    id: str
    activity_id: str
    nip: str  # the employee whose activity it is
    assignee_nip: str | None
    status: TaskStatus
    type_code: str
    work_date: date
    minutes: int
    points: Decimal
    revision: int
    requested_at: datetime
    due_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    on_behalf_of: str | None = None  # the assignee, when their delegate decided
    escalated_at: datetime | None = None  # the SLA passed (set once: a task escalates at most once)
    escalated_from: str | None = None  # the approver flagged for letting it pass
    reminded_at: datetime | None = None  # the last reminder before a deadline

    @classmethod
    def open(cls, *, id: str, activity_id: str, nip: str, assignee_nip: str | None, type_code: str,
             work_date: date, minutes: int, points: Decimal, revision: int, now: datetime,
             due_at: datetime | None) -> "Task":
        """A new task for a scored activity: pending with the atasan, unassigned without one."""
        if assignee_nip == nip:
            raise InvalidField("assignee_nip", "nobody decides their own activity")
        return cls(id=id, activity_id=activity_id, nip=nip, assignee_nip=assignee_nip,
                   status=TaskStatus.PENDING if assignee_nip else TaskStatus.UNASSIGNED,
                   type_code=type_code, work_date=work_date, minutes=minutes, points=points,
                   revision=revision, requested_at=now, due_at=due_at if assignee_nip else None)

    @property
    def awaits_decision(self) -> bool:
        return self.status == TaskStatus.PENDING

    def resubmit(self, *, revision: int, type_code: str, work_date: date, minutes: int, points: Decimal,
                 now: datetime, due_at: datetime | None) -> bool:
        """A revised activity comes back to the same approver. False for a re-scoring of a
        revision already routed (nothing to do); refused once decided for good or cancelled."""
        if revision <= self.revision:
            return False
        if self.status not in (TaskStatus.RETURNED, TaskStatus.PENDING):
            raise TransitionRefused("task", self.status, "take a revision")
        self.status, self.revision, self.type_code, self.work_date = TaskStatus.PENDING, revision, type_code, work_date
        self.minutes, self.points, self.requested_at, self.due_at = minutes, points, now, due_at
        self.decided_at = self.decided_by = self.reason = self.on_behalf_of = None
        return True

    def decide(self, *, actor_nip: str, decision: Decision, reason: str | None, now: datetime,
               day: date | None = None, delegations: Iterable[Delegation] = (),
               closed_periods: Collection[str] = frozenset()) -> TaskStatus:
        """The assignee, or a delegate with a delegation from the assignee in force on `day` (the
        region's date of `now`), approves, rejects or returns (a reason is required unless
        approving); a delegate's decision records `on_behalf_of` = the assignee. Work dated in a
        closed TPP period (`closed_periods`, YYYY-MM) is not decided any more."""
        if actor_nip == self.nip:
            raise NotPermitted("nobody decides their own activity")
        on_behalf_of = None
        if actor_nip != self.assignee_nip:
            if not any(d.lets(actor_nip, self.assignee_nip, day or now.date()) for d in delegations):
                raise NotPermitted("only the assigned superior or their active delegate decides this activity")
            on_behalf_of = self.assignee_nip
        if (period := f"{self.work_date:%Y-%m}") in closed_periods:
            raise Conflict(f"the TPP period {period} is closed", field="period")
        reason = (reason or "").strip() or None
        if decision != Decision.APPROVE and not reason:
            raise InvalidField("reason", f"required to {decision}")
        if self.status != TaskStatus.PENDING:
            raise TransitionRefused("task", self.status, decision)
        self.status, self.decided_at, self.decided_by, self.reason = OUTCOME[decision], now, actor_nip, reason
        self.on_behalf_of = on_behalf_of
        return self.status

    @property
    def escalated(self) -> bool:
        return self.escalated_at is not None

    def escalate(self, *, to_nip: str | None, now: datetime, due_at: datetime | None) -> str:
        """An overdue pending task moves up to the next superior, at most once; the approver who let
        the deadline pass is flagged (`escalated_from`) and returned. With nobody above (`to_nip`
        None, the top of the chain) it stays with that approver, flagged all the same, and is not
        tried again."""
        if self.status != TaskStatus.PENDING:
            raise TransitionRefused("task", self.status, "escalate")
        if self.escalated:
            raise TransitionRefused("task", "escalated", "escalate again")
        flagged = self.assignee_nip
        if to_nip is not None and to_nip != flagged:
            self._assign(to_nip, now, due_at)
        self.escalated_at, self.escalated_from = now, flagged
        return flagged

    @property
    def needs_reminder(self) -> bool:
        """Pending with a deadline, not escalated yet, and not reminded since it was (re)assigned."""
        return (self.status == TaskStatus.PENDING and self.due_at is not None and not self.escalated
                and (self.reminded_at is None or self.reminded_at < self.requested_at))

    def remind(self, *, now: datetime, remind_at: datetime) -> bool:
        """The approver is reminded once before the deadline, from `remind_at` (one working day
        before it) until the deadline; not when the task came less than that before its deadline.
        True when the reminder goes out now."""
        if not self.needs_reminder or not (self.requested_at < remind_at <= now < self.due_at):
            return False
        self.reminded_at = now
        return True

    def reassign(self, *, to_nip: str | None, now: datetime, due_at: datetime | None) -> str | None:
        """Another approver takes the task over (a Plt/Plh, an org change, an unassigned task given
        an atasan) or, with nobody above any more, it waits unassigned; returns the previous assignee."""
        if self.status not in (TaskStatus.PENDING, TaskStatus.UNASSIGNED):
            raise TransitionRefused("task", self.status, "reassign")
        if to_nip is None:
            previous, self.assignee_nip, self.status, self.due_at = self.assignee_nip, None, TaskStatus.UNASSIGNED, None
            return previous
        return self._assign(to_nip, now, due_at)

    def _assign(self, to_nip: str, now: datetime, due_at: datetime | None) -> str | None:
        if to_nip == self.nip:
            raise InvalidField("assignee_nip", "nobody decides their own activity")
        previous = self.assignee_nip
        self.assignee_nip, self.status, self.requested_at, self.due_at = to_nip, TaskStatus.PENDING, now, due_at
        return previous

    def cancel(self) -> bool:
        """The activity was withdrawn: an open task is cancelled (True). A decision already taken
        stands (False), and cancelling twice changes nothing."""
        if self.status in CANCELLABLE:
            self.status = TaskStatus.CANCELLED
            return True
        return False
