"""approval.*.v1: the superior's task on one activity and its outcome (key = the employee's NIP)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from pydantic import Field

from kinerja_contracts.envelope import NIP, Event


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
    on_behalf_of_nip: NIP | None = Field(default=None, description="set when a Plt/Plh delegate decided")


class ApprovalEscalatedV1(Event):
    task_id: uuid.UUID
    activity_id: uuid.UUID
    nip: NIP
    from_approver_nip: NIP
    to_approver_nip: NIP
    escalated_at: datetime
    reason: str
