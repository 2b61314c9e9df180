"""approval.*.v1: the superior's task on one activity and its outcome (key = the employee's NIP)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from pydantic import Field

from kinerja_contracts.envelope import NIP, PERIOD, Event


class Decision(str, Enum):
    approve = "approve"
    reject = "reject"
    # "return" is a Python keyword, hence the member name.
    return_ = "return"


class ApprovalRequestedV1(Event):
    task_id: uuid.UUID
    activity_id: uuid.UUID
    nip: NIP
    approver_nip: NIP
    type_code: str
    work_date: date
    minutes: int
    points: Decimal
    requested_at: datetime
    due_at: datetime | None = None


class ApprovalDecidedV1(Event):
    task_id: uuid.UUID
    activity_id: uuid.UUID
    nip: NIP
    approver_nip: NIP
    decision: Decision
    reason: str | None = None
    type_code: str
    work_date: date
    minutes: int
    points: Decimal
    decided_at: datetime
    on_behalf_of_nip: NIP | None = Field(default=None, description="set when a Plt/Plh delegate decided "
                                         "(the same value as on_behalf_of)")
    on_behalf_of: NIP | None = Field(default=None, description="the assignee, when their delegate "
                                     "(POST /v1/delegations) decided; approver_nip is then the delegate")


class ApprovalEscalatedV1(Event):
    task_id: uuid.UUID
    activity_id: uuid.UUID
    nip: NIP
    from_approver_nip: NIP
    to_approver_nip: NIP
    escalated_at: datetime
    reason: str
    first_approver_nip: NIP | None = Field(default=None, description="the approver flagged for letting the SLA "
                                           "pass (the same value as from_approver_nip); a task escalates once")
    due_at: datetime | None = Field(default=None, description="the deadline that passed")
    new_due_at: datetime | None = Field(default=None, description="the new approver's deadline")
    period: PERIOD | None = Field(default=None, description="the month (YYYY-MM, region time) this escalation "
                                  "counts in against the flagged approver (approval.sla-monthly.v1)")


class ApprovalReminderV1(Event):
    """One working day before a pending task's deadline its approver is reminded (once per assignment)."""
    task_id: uuid.UUID
    activity_id: uuid.UUID
    nip: NIP = Field(description="the employee whose activity it is (the key, as on every approval topic)")
    approver_nip: NIP = Field(description="the assignee, who is reminded")
    type_code: str
    work_date: date
    due_at: datetime
    due_date: date = Field(description="the deadline's date in the region's time zone")
    reminded_at: datetime


class ApprovalSlaMonthlyV1(Event):
    """How many tasks one approver let escalate in one month (key = the approver's NIP); the highest
    version of (nip, period) supersedes earlier ones. For the optional `unvalidated_penalty` TPP rule."""
    nip: NIP = Field(description="the approver (superior) who let the tasks escalate")
    period: PERIOD
    escalated_count: int = Field(ge=0)
    version: int = Field(ge=1, description="increases with every change of this (nip, period)")
    updated_at: datetime
