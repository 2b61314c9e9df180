"""The approval service's tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field

from kinerja_kit.db import BigId, service_base

Base, metadata = service_base()  # includes the kit's outbox and inbox tables


class Employee(Base, table=True):
    __tablename__ = "employees"
    nip: str = Field(primary_key=True, max_length=18)
    name: str = Field(max_length=200)
    unit_code: str = Field(max_length=50, index=True)
    supervisor_nip: str | None = Field(default=None, max_length=18, index=True)
    active: bool = True
    position: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    position_kind: str = Field(default="pelaksana", max_length=20, sa_column_kwargs={"server_default": "pelaksana"})
    eselon: str | None = Field(default=None, max_length=10)
    history: list[dict] | None = Field(default=None, sa_type=sa.JSON)  # org.employee.v1 postings, oldest first


class TaskRow(Base, table=True):
    __tablename__ = "tasks"
    __table_args__ = (sa.Index("ix_tasks_assignee_status", "assignee_nip", "status", "requested_at"),)
    id: str = Field(primary_key=True, max_length=36)
    activity_id: str = Field(max_length=36, unique=True)
    nip: str = Field(max_length=18, index=True)
    assignee_nip: str | None = Field(default=None, max_length=18)
    status: str = Field(max_length=20)
    type_code: str = Field(max_length=40)
    work_date: date
    minutes: int
    points: Decimal = Field(sa_type=sa.Numeric(12, 4))
    revision: int = 0
    requested_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    due_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    decided_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    decided_by: str | None = Field(default=None, max_length=18)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    on_behalf_of: str | None = Field(default=None, max_length=18)  # the assignee, when a delegate decided
    escalated_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))  # at most once
    escalated_from: str | None = Field(default=None, max_length=18)  # the approver flagged for the SLA
    reminded_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class AuditEntry(Base, table=True):
    """Append-only audit trail; each entry's hash covers the previous one (tamper-evident)."""
    __tablename__ = "audit_trail"
    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    task_id: str = Field(max_length=36, index=True)
    activity_id: str = Field(max_length=36, index=True)
    actor_nip: str = Field(max_length=18)
    action: str = Field(max_length=20)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    on_behalf_of: str | None = Field(default=None, max_length=18)  # hashed only when set (older entries verify)



class ActingAssignment(Base, table=True):
    """A Plt/Plh from org.employee.v1: `nip` acts for `for_nip` from valid_from to valid_until."""
    __tablename__ = "acting_assignments"
    nip: str = Field(primary_key=True, max_length=18)
    for_nip: str = Field(primary_key=True, max_length=18, index=True)
    kind: str = Field(primary_key=True, max_length=3)
    valid_from: date = Field(primary_key=True)
    valid_until: date


class DelegationRow(Base, table=True):
    """A superior's approvals delegated to a peer from valid_from to until (both included)."""
    __tablename__ = "delegations"
    __table_args__ = (sa.Index("ix_delegations_delegate", "delegate_nip", "until"),)
    id: str = Field(primary_key=True, max_length=36)
    delegator_nip: str = Field(max_length=18, index=True)
    delegate_nip: str = Field(max_length=18)
    valid_from: date
    until: date
    created_by: str = Field(max_length=18)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    revoked_by: str | None = Field(default=None, max_length=18)


class ClosedPeriod(Base, table=True):
    """TPP periods closed in tpp (tpp.period.closed.v1): no decision on work dated in them."""
    __tablename__ = "closed_periods"
    period: str = Field(primary_key=True, max_length=7)  # YYYY-MM
    closed_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


# The SLA scheduler's scans: pending tasks by deadline (application/escalation.py).
sa.Index("ix_tasks_status_due_at", TaskRow.__table__.c.status, TaskRow.__table__.c.due_at)


class SlaMonthlyRow(Base, table=True):
    """Tasks an approver let escalate in a month (approval.sla-monthly.v1; version per change)."""
    __tablename__ = "sla_monthly"
    nip: str = Field(primary_key=True, max_length=18)
    period: str = Field(primary_key=True, max_length=7)  # YYYY-MM, region time
    escalated_count: int = 0
    version: int = 0
    updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
