"""An activity and its lifecycle as the employee sees it (DOMAIN.md, Activities). Pure: no I/O.

    submit ──▶ submitted ──scored──▶ pending_approval ──decision──▶ approved | rejected | returned
                                        ▲                                           │
                         revised ──scored┘◀────────────── revise ───────────────────┘
    submitted | pending_approval | revised ──revise──▶ revised (the same approver decides the revision)
    submitted | pending_approval | revised ──withdraw──▶ withdrawn

"scored" and "pending" of the pipeline are one state here: once scoring has priced it, the
activity waits for the superior. A decision mirrors the approval service, which owns it: it is
applied whatever the local state (a withdrawal racing a decision loses, as it does there)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from kinerja_contracts.approval.v1 import Decision
from kinerja_contracts.calendar.v1 import WorkCalendar
from kinerja_kit.errors import Conflict, InvalidField, TransitionRefused


class ActivityStatus(StrEnum):
    SUBMITTED = "submitted"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    REVISED = "revised"
    WITHDRAWN = "withdrawn"



# The superior's decision, in the approval service's own words (its contract).
OUTCOME = {Decision.approve: ActivityStatus.APPROVED, Decision.reject: ActivityStatus.REJECTED,
           Decision.return_: ActivityStatus.RETURNED}
# States whose time span is taken (no other activity may overlap it).
OCCUPYING = frozenset({ActivityStatus.SUBMITTED, ActivityStatus.PENDING_APPROVAL, ActivityStatus.APPROVED,
                       ActivityStatus.RETURNED, ActivityStatus.REVISED})
# Revised while it waits for the superior or after a return; withdrawn only before any decision.
REVISABLE = frozenset({ActivityStatus.SUBMITTED, ActivityStatus.PENDING_APPROVAL, ActivityStatus.RETURNED,
                       ActivityStatus.REVISED})
WITHDRAWABLE = frozenset({ActivityStatus.SUBMITTED, ActivityStatus.PENDING_APPROVAL, ActivityStatus.REVISED})


@dataclass(frozen=True)
class TypeInfo:
    """What intake needs of a catalog type (the version in force, else the earliest later one)."""
    code: str
    active: bool
    allowed_position_kinds: list[str]
    effective_from: date = date.min
    evidence_required: bool = False


@dataclass(frozen=True)
class IntakeContext:
    """Everything the guard rails look at besides the activity itself."""
    type_info: TypeInfo | None
    position_kind: str
    today: date
    backdate_working_days: int
    taken_spans: list[tuple[time, time]] = field(default_factory=list)
    period_closed: bool = False
    evidence_files: int = 0  # files sent with it, or already attached
    calendar: WorkCalendar = field(default_factory=WorkCalendar)  # the region calendar (holidays)


def check_intake(ctx: IntakeContext, work_date: date, start_time: time, end_time: time) -> None:
    """Raise naming the first offending field, or return when the activity may be logged."""
    t = ctx.type_info
    if t is None or not t.active:
        raise InvalidField("type_code", "unknown activity type")
    if t.allowed_position_kinds and ctx.position_kind not in t.allowed_position_kinds:
        raise InvalidField("type_code", f"not allowed for position kind {ctx.position_kind}")
    if end_time <= start_time:
        raise InvalidField("end_time", "must be after start_time")
    if work_date > ctx.today:
        raise InvalidField("date", "must not be in the future")
    if ctx.calendar.working_days_between(work_date, ctx.today) > ctx.backdate_working_days:
        raise InvalidField("date", f"older than the backdate window of {ctx.backdate_working_days} working days")
    if work_date < t.effective_from:
        raise InvalidField("type_code", f"not in force before {t.effective_from.isoformat()}")
    if ctx.period_closed:
        raise InvalidField("date", "the month's TPP period is closed")
    if t.evidence_required and ctx.evidence_files == 0:
        raise InvalidField("evidence", f"{t.code} requires evidence: attach a PDF, JPEG or PNG file")
    for start, end in ctx.taken_spans:
        if start_time < end and start < end_time:
            raise Conflict(f"overlaps another activity from {start:%H:%M} to {end:%H:%M}", field="start_time")


@dataclass
class Activity:
    id: str
    nip: str
    type_code: str
    work_date: date
    start_time: time
    end_time: time
    quantity: int
    description: str
    status: ActivityStatus
    created_at: datetime
    updated_at: datetime
    minutes: int | None = None
    points: Decimal | None = None
    decision_reason: str | None = None
    revision: int = 0
    rhk_id: str | None = None  # the RHK of the employee's SKP this work serves (scoring checks it)

    @classmethod
    def submit(cls, ctx: IntakeContext, *, id: str, nip: str, type_code: str, work_date: date, start_time: time,
               end_time: time, quantity: int, description: str, now: datetime,
               rhk_id: str | None = None) -> "Activity":
        """A new activity, once every guard rail passes."""
        check_intake(ctx, work_date, start_time, end_time)
        return cls(id=id, nip=nip, type_code=type_code, work_date=work_date, start_time=start_time,
                   end_time=end_time, quantity=quantity, description=description, rhk_id=rhk_id,
                   status=ActivityStatus.SUBMITTED, created_at=now, updated_at=now)

    @property
    def occupies_its_span(self) -> bool:
        return self.status in OCCUPYING

    def record_score(self, *, minutes: int, points: Decimal, now: datetime) -> None:
        """Scoring priced it: it now waits for the superior (a later state is kept)."""
        self.minutes, self.points, self.updated_at = minutes, points, now
        if self.status in (ActivityStatus.SUBMITTED, ActivityStatus.REVISED):
            self.status = ActivityStatus.PENDING_APPROVAL

    def record_decision(self, *, decision: Decision, reason: str | None, now: datetime) -> None:
        """The superior's decision, as the approval service took it."""
        self.status, self.decision_reason, self.updated_at = OUTCOME[decision], reason, now

    def revise(self, ctx: IntakeContext, *, type_code: str, work_date: date, start_time: time, end_time: time,
               quantity: int, description: str, now: datetime, rhk_id: str | None = None) -> int:
        """A pending or returned activity, corrected; it goes back through scoring to the same
        approver. Returns the new revision number."""
        if self.status not in REVISABLE:
            raise TransitionRefused("activity", self.status, "revise")
        check_intake(ctx, work_date, start_time, end_time)
        self.type_code, self.work_date, self.start_time, self.end_time = type_code, work_date, start_time, end_time
        self.quantity, self.description, self.updated_at, self.rhk_id = quantity, description, now, rhk_id
        self.status, self.decision_reason, self.revision = ActivityStatus.REVISED, None, self.revision + 1
        return self.revision

    def withdraw(self, *, now: datetime) -> None:
        """The employee takes back an activity before any decision on it."""
        if self.status not in WITHDRAWABLE:
            raise TransitionRefused("activity", self.status, "withdraw")
        self.status, self.updated_at = ActivityStatus.WITHDRAWN, now
