"""The scoring service's tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field

from kinerja_kit.db import service_base

Base, metadata = service_base()  # includes the kit's outbox and inbox tables


class CatalogEntry(Base, table=True):
    """One version of an activity type; the newest effective_from <= the work date applies."""
    __tablename__ = "catalog"
    code: str = Field(primary_key=True, max_length=40)
    effective_from: date = Field(primary_key=True)
    name: str
    unit: str = Field(max_length=10)
    standard_minutes: int | None = None
    points: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 4))
    output_unit: str | None = Field(default=None, max_length=40)
    max_daily_volume: int | None = None
    evidence_required: bool = False
    allowed_position_kinds: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    active: bool = True


class Employee(Base, table=True):
    __tablename__ = "employees"
    nip: str = Field(primary_key=True, max_length=18)
    name: str = Field(max_length=200)
    unit_code: str = Field(max_length=50, index=True)
    position_kind: str = Field(max_length=20)
    kelas_jabatan: int
    supervisor_nip: str | None = Field(default=None, max_length=18, index=True)
    active: bool = True


class ScoreRow(Base, table=True):
    __tablename__ = "scores"
    __table_args__ = (sa.Index("ix_scores_nip_date", "nip", "work_date"),)
    activity_id: str = Field(primary_key=True, max_length=36)
    nip: str = Field(max_length=18)
    work_date: date
    type_code: str = Field(max_length=40)
    quantity: int
    minutes: int
    points: Decimal = Field(sa_type=sa.Numeric(12, 4))
    status: str = Field(max_length=20)
    scored_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    credited_volume: int = 0  # the volume that counts (after the type's daily maximum)
    decided_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    explanation: dict | None = Field(default=None, sa_type=sa.JSON)


class MonthRow(Base, table=True):
    __tablename__ = "monthly_performance"
    nip: str = Field(primary_key=True, max_length=18)
    period: str = Field(primary_key=True, max_length=7)
    approved_minutes: int = 0
    approved_points: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(14, 4))
    approved_activities: int = 0
    version: int = 0
    productivity: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(7, 5))  # K after the absence cap
    blended_productivity: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(7, 5))
    updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))



class AttendanceDay(Base, table=True):
    """A day's attendance status (attendance.recorded.v1): unexcused absences lower the cap."""
    __tablename__ = "attendance_days"
    nip: str = Field(primary_key=True, max_length=18)
    work_date: date = Field(primary_key=True)
    status: str = Field(max_length=30)


# --- appraisal and talent (issue 14) ----------------------------------------------------------

class SkpRow(Base, table=True):
    """An employee's SKP of one year: proposed by the employee, agreed by the atasan."""
    __tablename__ = "skp"
    __table_args__ = (sa.UniqueConstraint("nip", "year", name="uq_skp_nip_year"),)
    id: str = Field(primary_key=True, max_length=36)
    nip: str = Field(max_length=18)
    year: int
    unit_code: str = Field(max_length=50)
    status: str = Field(max_length=20)
    appraiser_nip: str | None = Field(default=None, max_length=18)  # the atasan who agreed it
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    agreed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class RhkRow(Base, table=True):
    """A planned result (Rencana Hasil Kerja) of an SKP, with its indicators and targets."""
    __tablename__ = "rhk"
    id: str = Field(primary_key=True, max_length=36)
    skp_id: str = Field(max_length=36, index=True)
    position: int
    kind: str = Field(max_length=12)  # main | additional
    title: str = Field(max_length=500)
    parent_rhk_id: str | None = Field(default=None, max_length=36)  # the superior's RHK it cascades from
    indicators: list[dict] = Field(default_factory=list, sa_type=sa.JSON)


class ActivityRhkRow(Base, table=True):
    """Which RHK an activity serves (rhk_id of activity.submitted.v1 / revised.v1)."""
    __tablename__ = "activity_rhk"
    activity_id: str = Field(primary_key=True, max_length=36)
    rhk_id: str = Field(max_length=36, index=True)


class AppraisalRow(Base, table=True):
    __tablename__ = "appraisals"
    __table_args__ = (sa.UniqueConstraint("skp_id", "period", name="uq_appraisals_skp_period"),
                      sa.Index("ix_appraisals_unit_period", "unit_code", "period"))
    id: str = Field(primary_key=True, max_length=36)
    skp_id: str = Field(max_length=36)
    nip: str = Field(max_length=18, index=True)
    kind: str = Field(max_length=10)
    period: str = Field(max_length=7)
    unit_code: str = Field(max_length=50)
    position_kind: str = Field(max_length=20)
    appraiser_nip: str = Field(max_length=18)
    results_rating: str = Field(max_length=10)
    behaviour_rating: str = Field(max_length=10)
    predikat: str = Field(max_length=20)
    status: str = Field(max_length=10)
    rhk_ratings: list[dict] = Field(default_factory=list, sa_type=sa.JSON)  # [{rhk_id, rating, note}]
    behaviour: dict = Field(default_factory=dict, sa_type=sa.JSON)  # aspect -> rating (+ note)
    angka_kredit_percent: Decimal | None = Field(default=None, sa_type=sa.Numeric(6, 2))
    rule_version: str = Field(max_length=40)
    issued_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    objection_deadline: datetime = Field(sa_type=sa.DateTime(timezone=True))
    objection_reason: str | None = Field(default=None, sa_type=sa.Text)
    objected_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    objection_outcome: str | None = Field(default=None, max_length=10)
    objection_note: str | None = Field(default=None, sa_type=sa.Text)
    decided_by: str | None = Field(default=None, max_length=18)
    finalized_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class UnitPredikatRow(Base, table=True):
    """A unit's (OPD's) own predikat for a period, which sets its distribution rule."""
    __tablename__ = "unit_predikat"
    unit_code: str = Field(primary_key=True, max_length=50)
    period: str = Field(primary_key=True, max_length=7)
    predikat: str = Field(max_length=20)
    set_by: str = Field(max_length=18)
    updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class PotentialRow(Base, table=True):
    """An employee's potential from an assessment (imported CSV); the latest on or before a
    period's end applies."""
    __tablename__ = "talent_potential"
    nip: str = Field(primary_key=True, max_length=18)
    assessed_on: date = Field(primary_key=True)
    potential: str = Field(max_length=10)
    score: Decimal | None = Field(default=None, sa_type=sa.Numeric(7, 2))
    instrument: str | None = Field(default=None, max_length=100)
    imported_by: str = Field(max_length=18)
    imported_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


# --- dashboards and the Inspektorat's desk (issue 13) ------------------------------------------

class DashUnit(Base, table=True):
    """A unit's name as org.employee.v1 last gave it (the tree itself is derived from the
    employees' units and supervisor chains)."""
    __tablename__ = "dash_units"
    unit_code: str = Field(primary_key=True, max_length=50)
    unit_name: str = Field(max_length=200)


class DashActivity(Base, table=True):
    """What the desk needs of a submitted activity beyond its score: time span, evidence, when."""
    __tablename__ = "dash_activities"
    __table_args__ = (sa.Index("ix_dash_activities_nip_date", "nip", "work_date"),
                      sa.Index("ix_dash_activities_nip_submitted", "nip", "submitted_at"))
    activity_id: str = Field(primary_key=True, max_length=36)
    nip: str = Field(max_length=18)
    work_date: date
    start_minute: int  # minutes after midnight
    end_minute: int
    revision: int = 0
    submitted_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    first_submitted_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    withdrawn: bool = False


class DashEvidence(Base, table=True):
    __tablename__ = "dash_evidence"
    sha256: str = Field(primary_key=True, max_length=64)
    activity_id: str = Field(primary_key=True, max_length=36)
    nip: str = Field(max_length=18)


class DashTask(Base, table=True):
    """An approval task (approval.requested.v1, closed by approval.decided.v1): the backlog per
    superior, and the decisions the desk looks at."""
    __tablename__ = "dash_tasks"
    __table_args__ = (sa.Index("ix_dash_tasks_open", "approver_nip", "decided_at"),
                      sa.Index("ix_dash_tasks_decider", "decided_by", "decided_at"),
                      sa.Index("ix_dash_tasks_nip", "nip"))
    task_id: str = Field(primary_key=True, max_length=36)
    activity_id: str = Field(max_length=36, index=True)
    nip: str = Field(max_length=18)
    approver_nip: str | None = Field(default=None, max_length=18)
    requested_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    decided_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    decided_by: str | None = Field(default=None, max_length=18)
    decision: str | None = Field(default=None, max_length=10)
    closed: bool = False  # decided, or the activity withdrawn


class DashChange(Base, table=True):
    """The per-unit change log the live streams follow (ids increase)."""
    __tablename__ = "dash_changes"
    __table_args__ = (sa.Index("ix_dash_changes_unit_id", "unit_code", "id"),)
    id: int | None = Field(default=None, sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                           primary_key=True)
    unit_code: str = Field(max_length=50)
    kind: str = Field(max_length=30)
    nip: str = Field(max_length=18)
    ref: str | None = Field(default=None, max_length=36)
    at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class AnomalyFlag(Base, table=True):
    """One anomaly the desk raised, with its evidence and the Inspektorat's review."""
    __tablename__ = "anomaly_flags"
    __table_args__ = (sa.UniqueConstraint("kind", "subject_key", name="uq_anomaly_flags_subject"),
                      sa.Index("ix_anomaly_flags_period_unit", "period", "unit_code"))
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    subject_key: str = Field(max_length=200)
    period: str = Field(max_length=7)
    unit_code: str = Field(max_length=50)
    nip: str = Field(max_length=18)
    evidence: dict = Field(default_factory=dict, sa_type=sa.JSON)
    state: str = Field(default="new", max_length=12)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    reviewed_by: str | None = Field(default=None, max_length=18)
    reviewed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    history: list[dict] = Field(default_factory=list, sa_type=sa.JSON)
    raised_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class AnomalyThresholdsRow(Base, table=True):
    """An admin's replacement of the region's packaged thresholds (one row; absent = the file)."""
    __tablename__ = "anomaly_thresholds"
    id: int = Field(default=1, primary_key=True)
    body: dict = Field(sa_type=sa.JSON)
    updated_by: str = Field(max_length=18)
    updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


# the dashboards' trend and not-logged queries read the month's scores by date
sa.Index("ix_scores_work_date_status", ScoreRow.work_date, ScoreRow.status)
