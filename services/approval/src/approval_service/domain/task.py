"""The approval task and its lifecycle (DOMAIN.md, Approval). Pure: no I/O.

    (scored) ──open──▶ pending ──decide──▶ approved | rejected | returned
                 │        │  ▲                             │
                 │        │  └──────── resubmit ───────────┘ (a revision goes back to the same approver;
                 │        │                                    a pending task takes it in place)
                 ▼        ├──escalate / reassign──▶ pending (another approver)
             unassigned ──┴──reassign──▶ pending
    pending | unassigned | returned ──cancel──▶ cancelled (the activity was withdrawn)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from kinerja_kit.errors import InvalidField, NotPermitted, TransitionRefused


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
        self.decided_at = self.decided_by = self.reason = None
        return True

    def decide(self, *, actor_nip: str, decision: Decision, reason: str | None, now: datetime) -> TaskStatus:
        """The assignee approves, rejects or returns (a reason is required unless approving)."""
        if actor_nip == self.nip:
            raise NotPermitted("nobody decides their own activity")
        if actor_nip != self.assignee_nip:
            raise NotPermitted("only the assigned superior decides this activity")
        reason = (reason or "").strip() or None
        if decision != Decision.APPROVE and not reason:
            raise InvalidField("reason", f"required to {decision}")
        if self.status != TaskStatus.PENDING:
            raise TransitionRefused("task", self.status, decision)
        self.status, self.decided_at, self.decided_by, self.reason = OUTCOME[decision], now, actor_nip, reason
        return self.status

    def escalate(self, *, to_nip: str, now: datetime, due_at: datetime | None) -> str:
        """An overdue pending task moves up to the next superior; returns the previous assignee."""
        if self.status != TaskStatus.PENDING:
            raise TransitionRefused("task", self.status, "escalate")
        return self._assign(to_nip, now, due_at)

    def reassign(self, *, to_nip: str, now: datetime, due_at: datetime | None) -> str | None:
        """Another approver takes the task over (a Plt/Plh, an org change, an unassigned task given
        an atasan); returns the previous assignee."""
        if self.status not in (TaskStatus.PENDING, TaskStatus.UNASSIGNED):
            raise TransitionRefused("task", self.status, "reassign")
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
