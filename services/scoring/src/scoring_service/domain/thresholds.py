"""The thresholds of the dashboards and the anomaly desk: a validated value (loaded from the
region's `anomaly.json` by `scoring_service.region.dashboard`, or an admin's replacement)."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DAY_STATUSES = {"hadir", "terlambat", "pulang_cepat", "sakit", "izin", "cuti", "dinas_luar", "tugas_belajar",
                "tanpa_keterangan"}


class WorkingHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self):
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str = Field(default="", max_length=40)
    note: str | None = None
    not_logged_working_days: int = Field(default=3, ge=1, le=60,
                                         description="an employee with no work logged for this many working days is listed")
    k_bands: list[Decimal] = Field(default_factory=lambda: [Decimal(x) for x in ("0", "0.2", "0.4", "0.6", "0.8", "1")],
                                   min_length=2, description="edges of the K distribution's bands, increasing")
    absent_statuses: list[str] = Field(default_factory=lambda: ["tanpa_keterangan", "sakit", "izin", "cuti"],
                                       min_length=1, description="attendance statuses on which logged work is flagged")
    max_span_minutes: int = Field(default=510, ge=30, le=1440, description="one activity's span longer than this is flagged")
    backdate_working_days: int = Field(default=3, ge=0, le=60, description="the activity service's backdate window")
    backdate_edge_working_days: int = Field(default=1, ge=1, le=60,
                                            description="an entry this close to the end of the window is 'at the edge'")
    month_cutoff_day: int = Field(default=5, ge=1, le=28, description="day of the next month by which a month closes")
    cutoff_margin_days: int = Field(default=2, ge=0, le=27, description="days before the cutoff that count as 'just before'")
    backdate_burst_count: int = Field(default=10, ge=2, description="this many edge entries by one employee ...")
    backdate_burst_minutes: int = Field(default=60, ge=1, description="... submitted within this many minutes")
    mass_approval_count: int = Field(default=100, ge=2, description="this many approvals by one superior ...")
    mass_approval_minutes: int = Field(default=10, ge=1, description="... within this many minutes")
    working_hours: WorkingHours = Field(default_factory=lambda: WorkingHours(start=time(7), end=time(17)))
    out_of_hours_min_count: int = Field(default=20, ge=1,
                                        description="approvals outside working hours by one superior in a month")
    streams_per_user: int = Field(default=5, ge=1, le=100, description="open dashboard streams per user")

    @field_validator("k_bands")
    @classmethod
    def _increasing(cls, v: list[Decimal]) -> list[Decimal]:
        if any(b <= a for a, b in zip(v, v[1:])):
            raise ValueError("must increase")
        return v

    @field_validator("absent_statuses")
    @classmethod
    def _statuses(cls, v: list[str]) -> list[str]:
        if unknown := set(v) - DAY_STATUSES:
            raise ValueError(f"unknown attendance status {sorted(unknown)}")
        return v
