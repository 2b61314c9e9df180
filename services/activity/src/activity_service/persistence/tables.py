"""The activity service's tables (its own metadata, plus the kit's outbox and inbox)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field

from kinerja_kit.db import service_base

Base, metadata = service_base()  # includes the kit's outbox and inbox tables


class Employee(Base, table=True):
    __tablename__ = "employees"
    nip: str = Field(primary_key=True, max_length=18)
    name: str = Field(max_length=200)
    unit_code: str = Field(max_length=50, index=True)
    unit_name: str = Field(max_length=200)
    position: str = Field(max_length=200)
    position_kind: str = Field(max_length=20)
    eselon: str | None = Field(default=None, max_length=10)
    kelas_jabatan: int
    supervisor_nip: str | None = Field(default=None, max_length=18, index=True)
    employee_type: str = Field(max_length=10)
    active: bool = True
    updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class ActivityType(Base, table=True):
    """What intake needs of scoring's catalog (catalog.activity-type.v1), every version; pricing
    stays with scoring."""
    __tablename__ = "activity_types"
    code: str = Field(primary_key=True, max_length=40)
    effective_from: date = Field(primary_key=True)
    name: str
    evidence_required: bool = False
    allowed_position_kinds: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    active: bool = True


class ActivityRow(Base, table=True):
    __tablename__ = "activities"
    __table_args__ = (sa.Index("ix_activities_nip_date", "nip", "work_date"),)
    id: str = Field(primary_key=True, max_length=36)
    nip: str = Field(max_length=18)
    type_code: str = Field(max_length=40)
    work_date: date
    start_time: time
    end_time: time
    quantity: int
    description: str = Field(sa_type=sa.Text)
    status: str = Field(max_length=20)
    minutes: int | None = None
    points: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 4))
    decision_reason: str | None = Field(default=None, sa_type=sa.Text)
    revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    rhk_id: str | None = Field(default=None, max_length=36)  # the RHK it serves (scoring's SKP), optional
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class ClosedPeriod(Base, table=True):
    """Months whose TPP is closed (tpp.period.closed.v1): no activity may be logged in them."""
    __tablename__ = "closed_periods"
    period: str = Field(primary_key=True, max_length=7)
    closed_at: datetime = Field(sa_type=sa.DateTime(timezone=True))



class IdempotencyKey(Base, table=True):
    """The answer to a write sent with an Idempotency-Key, per user, so a client's retry gets the
    same answer and changes nothing (kept at least 7 days)."""
    __tablename__ = "idempotency_keys"
    nip: str = Field(primary_key=True, max_length=18)
    key: str = Field(primary_key=True, max_length=200)
    fingerprint: str = Field(max_length=64)
    status: int
    body: dict = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True), index=True)


class AttendanceRow(Base, table=True):
    """One employee's attendance for one day, as e-Absen last reported it (a later record replaces it)."""
    __tablename__ = "attendance"
    nip: str = Field(primary_key=True, max_length=18)
    work_date: date = Field(primary_key=True)
    status: str = Field(max_length=20)
    check_in: time | None = None
    check_out: time | None = None
    late_minutes: int = 0
    early_leave_minutes: int = 0
    apel_missed: bool = False
    leave_type: str | None = Field(default=None, max_length=40)
    updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class EvidenceRow(Base, table=True):
    """A file attached to an activity; the bytes live in the evidence store under their SHA-256."""
    __tablename__ = "evidence"
    activity_id: str = Field(primary_key=True, max_length=36)
    sha256: str = Field(primary_key=True, max_length=64)
    content_type: str = Field(max_length=50)
    size: int
    added_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class SanctionRow(Base, table=True):
    """A hukuman disiplin as an admin recorded it from its decree (SK), with the cut and range the
    region's rule set in force on its start gave it (published as discipline.sanctioned.v1)."""
    __tablename__ = "sanctions"
    __table_args__ = (sa.UniqueConstraint("nip", "sk_number", name="uq_sanctions_nip_sk_number"),)
    sanction_id: str = Field(primary_key=True, max_length=36)
    nip: str = Field(max_length=18, index=True)
    sk_number: str = Field(max_length=100)
    level: str = Field(max_length=40)
    months: int
    cut_percent: Decimal = Field(sa_type=sa.Numeric(5, 2))
    effective_from: date
    effective_until: date
    regulation: str = Field(max_length=300)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class EmployeePosting(Base, table=True):
    """Personnel history: each dated posting of an employee (valid_until empty = still in force)."""
    __tablename__ = "employee_postings"
    nip: str = Field(primary_key=True, max_length=18)
    valid_from: date = Field(primary_key=True)
    valid_until: date | None = None
    unit_code: str = Field(max_length=50)
    unit_name: str = Field(max_length=200)
    position: str = Field(max_length=200)
    position_kind: str = Field(max_length=20)
    eselon: str | None = Field(default=None, max_length=10)
    kelas_jabatan: int
    supervisor_nip: str | None = Field(default=None, max_length=18)
    employee_type: str = Field(max_length=10)
    active: bool = True


class ActingAssignment(Base, table=True):
    """A Plt/Plh: `nip` acts for `for_nip` from valid_from to valid_until (both included)."""
    __tablename__ = "acting_assignments"
    nip: str = Field(primary_key=True, max_length=18)
    for_nip: str = Field(primary_key=True, max_length=18, index=True)
    kind: str = Field(primary_key=True, max_length=3)
    valid_from: date = Field(primary_key=True)
    valid_until: date
