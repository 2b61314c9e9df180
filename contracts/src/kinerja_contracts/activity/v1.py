"""activity.*.v1: an employee's logged work (key = NIP)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal

from pydantic import Field

from kinerja_contracts.envelope import NIP, Event


class ActivitySubmittedV1(Event):
    activity_id: uuid.UUID
    nip: NIP
    type_code: str
    work_date: date
    start_time: time
    end_time: time
    quantity: int = Field(ge=1)
    description: str
    evidence_sha256: list[str] = Field(default_factory=list)
    submitted_at: datetime
    rhk_id: str | None = Field(default=None, max_length=36,
                               description="the RHK (planned result of the employee's SKP) this work serves")


class ActivityRevisedV1(ActivitySubmittedV1):
    revision: int = Field(ge=1, description="1 for the first revision after a return")


class ActivityWithdrawnV1(Event):
    activity_id: uuid.UUID
    nip: NIP
    withdrawn_at: datetime
    reason: str | None = None


class ScoreExplanation(Event):
    """How an activity's number came about."""
    rule_version: str = Field(description="region profile version and catalog version, e.g. minutes 2026.1 / LAPORAN@2026-01-01")
    scoring_mode: str
    standard_value: Decimal = Field(description="standard minutes or points per unit of volume")
    volume: int = Field(ge=0, description="volume credited (after the daily maximum volume)")
    weight: Decimal = Field(description="position-kind weight (points mode; 1 in minutes mode)")
    caps: list[str] = Field(default_factory=list, description="caps applied, in words")
    formula: str


class ActivityScoredV1(Event):
    activity_id: uuid.UUID
    nip: NIP
    type_code: str
    work_date: date
    quantity: int
    minutes: int = Field(ge=0, description="effective minutes credited (minutes mode)")
    points: Decimal = Field(ge=0, description="points credited (points mode)")
    catalog_effective_from: date
    revision: int = 0
    scored_at: datetime
    explanation: ScoreExplanation | None = None
