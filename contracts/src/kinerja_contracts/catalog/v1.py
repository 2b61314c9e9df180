"""catalog.activity-type.v1: one version of an activity type of the region's catalog
(compacted, key = `code@effective_from`, so every version survives compaction).

Owned by scoring; activity keeps a read model of it to validate `type_code` at intake."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum

from pydantic import Field

from kinerja_contracts.envelope import Event


class ScoringUnit(str, Enum):
    minutes = "minutes"
    points = "points"


class ActivityTypeV1(Event):
    code: str = Field(min_length=1, max_length=40)
    name: str
    unit: ScoringUnit
    standard_minutes: int | None = Field(default=None, ge=1, description="minutes per unit of volume")
    points: Decimal | None = Field(default=None, ge=0, description="points per unit of volume")
    output_unit: str | None = Field(default=None, max_length=40, description="satuan hasil, e.g. surat, dokumen")
    max_daily_volume: int | None = Field(default=None, ge=1, description="volume credited per employee per day at most")
    evidence_required: bool = False
    allowed_position_kinds: list[str] = Field(default_factory=list, description="empty = all")
    effective_from: date
    active: bool = True

    @property
    def version_key(self) -> str:
        """The record key: one compacted entry per (code, effective_from)."""
        return f"{self.code}@{self.effective_from.isoformat()}"
