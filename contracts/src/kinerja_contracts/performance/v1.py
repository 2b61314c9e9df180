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
