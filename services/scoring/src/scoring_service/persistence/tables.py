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
