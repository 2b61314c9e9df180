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
    unit_code: str = Field(max_length=50)
    supervisor_nip: str | None = Field(default=None, max_length=18, index=True)
    active: bool = True


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

