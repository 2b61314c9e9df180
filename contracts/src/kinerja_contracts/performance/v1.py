"""performance.monthly.v1: an employee's approved work in one month (key = NIP); the latest
version of (nip, period) supersedes earlier ones."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from kinerja_contracts.catalog.v1 import ScoringUnit
from kinerja_contracts.envelope import NIP, PERIOD, Event


class PerformanceMonthlyV1(Event):
    nip: NIP
    period: PERIOD
    scoring_mode: ScoringUnit
    approved_minutes: int = Field(ge=0)
    approved_points: Decimal = Field(ge=0)
    approved_activities: int = Field(ge=0)
    workdays: int = Field(ge=0)
    target_minutes: int = Field(ge=0)
    productivity: Decimal = Field(ge=0, le=1, description="K, before absence caps applied by tpp")
    version: int = Field(ge=1, description="increases with every change of this (nip, period)")
    computed_at: datetime
    submitted_activities: int = Field(default=0, ge=0, description="activities of the month logged, any status")
    rejected_activities: int = Field(default=0, ge=0)
    returned_activities: int = Field(default=0, ge=0)
    pending_activities: int = Field(default=0, ge=0, description="priced, awaiting a decision")
    unexcused_absences: int = Field(default=0, ge=0, description="days tanpa keterangan (attendance.recorded.v1)")
    cap_minutes: int | None = Field(default=None, description="minutes mode: target less 300 per unexcused absence")
    target_points: Decimal | None = Field(default=None, description="points mode: the month's target")
    achievement: Decimal | None = Field(default=None, description="minutes or points achieved / target, uncapped")
    blended_productivity: Decimal | None = Field(
        default=None, ge=0, le=1,
        description="K after the region's caps and, for a structural official, the blend with the subordinates' mean")
    explanation: list[str] = Field(default_factory=list, description="how K came about, line by line")
