"""The TPP service's tables."""

from __future__ import annotations

from datetime import date, datetime
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
    kelas_jabatan: int
    employee_type: str = Field(max_length=10)
    active: bool = True
    history: list[dict] | None = Field(default=None, sa_type=sa.JSON(none_as_null=True))  # postings, oldest first; NULL: none


class PerformanceInput(Base, table=True):
    """Latest performance.monthly.v1 per (nip, period)."""
    __tablename__ = "performance_inputs"
    nip: str = Field(primary_key=True, max_length=18)
    period: str = Field(primary_key=True, max_length=7)
    approved_minutes: int
    approved_points: Decimal = Field(sa_type=sa.Numeric(14, 4))
    workdays: int
    target_minutes: int
    version: int
    productivity: Decimal | None = Field(default=None, sa_type=sa.Numeric(8, 5))  # scoring's K (points regions)


UNEXCUSED_DAY = "status = 'tanpa_keterangan'"
COUNTING_DAY = ("NOT (status = 'hadir' AND late_minutes = 0 AND early_leave_minutes = 0 AND NOT missing_check_in "
                "AND NOT missing_check_out AND NOT apel_missed)")
"""Days that can count in a slip (not a plain present day): literal SQL, so the close's queries
match the partial indexes below whatever plan PostgreSQL caches."""


class AttendanceInput(Base, table=True):
    __tablename__ = "attendance_inputs"
    __table_args__ = (
        # The close: the month's counting days of a NIP range, index only (about 1 row in 6).
        sa.Index("ix_attendance_inputs_counting", "nip", "work_date", postgresql_where=sa.text(COUNTING_DAY),
                 postgresql_include=["status", "late_minutes", "early_leave_minutes", "missing_check_in",
                                     "missing_check_out", "apel_missed"]),
        # The PP 94/2021 count of the year's days tanpa keterangan.
        sa.Index("ix_attendance_inputs_unexcused", "nip", "work_date", postgresql_where=sa.text(UNEXCUSED_DAY)),
    )
    nip: str = Field(primary_key=True, max_length=18)
    work_date: date = Field(primary_key=True)
    status: str = Field(max_length=20)
    late_minutes: int = 0
    early_leave_minutes: int = 0
    missing_check_in: bool = False
    missing_check_out: bool = False
    apel_missed: bool = False


class SanctionInput(Base, table=True):
    __tablename__ = "sanction_inputs"
    sanction_id: str = Field(primary_key=True, max_length=36)
    nip: str = Field(max_length=18, index=True)
    cut_percent: Decimal = Field(sa_type=sa.Numeric(6, 2))
    effective_from: date
    effective_until: date
    regulation: str


class PeriodRow(Base, table=True):
    __tablename__ = "periods"
    period: str = Field(primary_key=True, max_length=7)
    status: str = Field(max_length=10)
    revision: int
    employee_count: int
    total_amount: int = Field(sa_type=sa.BigInteger)
    closed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    closed_by: str | None = Field(default=None, max_length=18)
    cutoff_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class SlaInput(Base, table=True):
    """Latest approval.sla-monthly.v1 per (approver, period): tasks they let escalate."""
    __tablename__ = "sla_inputs"
    nip: str = Field(primary_key=True, max_length=18)
    period: str = Field(primary_key=True, max_length=7)
    escalated_count: int
    version: int


class AppraisalInput(Base, table=True):
    """A final SKP appraisal (appraisal.finalized.v1): its predikat goes into the SIASN export."""
    __tablename__ = "appraisal_inputs"
    appraisal_id: str = Field(primary_key=True, max_length=36)
    nip: str = Field(max_length=18, index=True)
    year: int
    period: str = Field(max_length=7)
    month_from: int
    month_until: int
    results_rating: str = Field(max_length=10)
    behaviour_rating: str = Field(max_length=10)
    predikat: str = Field(max_length=20)
    finalized_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class PendingRevision(Base, table=True):
    """An input that reached a closed period: the employee's next revision, published by
    POST /v1/periods/{period}/recompute."""
    __tablename__ = "pending_revisions"
    period: str = Field(primary_key=True, max_length=7)
    nip: str = Field(primary_key=True, max_length=18)
    reason: str
    since: datetime = Field(sa_type=sa.DateTime(timezone=True))


class Computation(Base, table=True):
    """One employee's TPP for one period and revision, with its explanation."""
    __tablename__ = "computations"
    nip: str = Field(primary_key=True, max_length=18)
    period: str = Field(primary_key=True, max_length=7)
    revision: int = Field(primary_key=True)
    name: str = Field(max_length=200)
    unit_code: str = Field(max_length=50)
    employee_type: str = Field(max_length=10)
    kelas_jabatan: int
    base_amount: int = Field(sa_type=sa.BigInteger)
    kinerja_amount: int = Field(sa_type=sa.BigInteger)
    disiplin_amount: int = Field(sa_type=sa.BigInteger)
    deductions: int = Field(sa_type=sa.BigInteger)
    total_amount: int = Field(sa_type=sa.BigInteger)
    productivity: Decimal = Field(sa_type=sa.Numeric(8, 5))
    discipline_factor: Decimal = Field(sa_type=sa.Numeric(8, 5))
    rule_set: str
    breakdown: list[dict] = Field(default_factory=list, sa_type=sa.JSON)
    computed_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    disiplin_full_amount: int | None = Field(default=None, sa_type=sa.BigInteger)
    deduction_items: list[dict] = Field(default_factory=list, sa_type=sa.JSON)
    gross_amount: int | None = Field(default=None, sa_type=sa.BigInteger)
    bpjs_amount: int = Field(default=0, sa_type=sa.BigInteger)
    pph21_amount: int = Field(default=0, sa_type=sa.BigInteger)
    pph21_borne_amount: int = Field(default=0, sa_type=sa.BigInteger)
    pph21_mode: str | None = Field(default=None, max_length=10)
    ter_category: str | None = Field(default=None, max_length=2)
    ter_percent: Decimal | None = Field(default=None, sa_type=sa.Numeric(6, 3))
    net_amount: int | None = Field(default=None, sa_type=sa.BigInteger)
    payment_note: str | None = None
    reason: str | None = None
    changes: list[dict] = Field(default_factory=list, sa_type=sa.JSON)

