"""HTTP request and response models (separate from the Kafka contracts)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from kinerja_contracts.attendance.v1 import DayStatus


class ActivityCreate(BaseModel):
    """Body of POST /v1/activities. Unknown fields (status, points, nip, …) are rejected."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False, json_schema_extra={"examples": [{"type_code": "SURAT-MASUK", "date": "2026-12-01", "start_time": "08:00", "end_time": "09:30", "quantity": 6, "description": "Mengagendakan surat masuk Dinas"}]})

    type_code: str = Field(min_length=1, max_length=40)
    work_date: date = Field(alias="date")
    start_time: time
    end_time: time
    quantity: int = Field(ge=1, le=1000)
    description: str = Field(min_length=1, max_length=2000)
    rhk_id: str | None = Field(default=None, min_length=1, max_length=36,
                               description="the RHK of the caller's SKP (scoring) this work serves; optional")


class ActivityPatch(BaseModel):
    """Body of PATCH /v1/activities/{id}: the fields to change (at least one). Server-owned
    fields (status, points, nip, revision, …) are rejected."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False, json_schema_extra={"examples": [{"quantity": 8, "description": "Mengagendakan surat masuk dan disposisi"}]})

    type_code: str | None = Field(default=None, min_length=1, max_length=40)
    work_date: date | None = Field(default=None, alias="date")
    start_time: time | None = None
    end_time: time | None = None
    quantity: int | None = Field(default=None, ge=1, le=1000)
    description: str | None = Field(default=None, min_length=1, max_length=2000)
    rhk_id: str | None = Field(default=None, min_length=1, max_length=36,
                               description="the RHK of the caller's SKP (scoring) this work serves; optional")


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=2000)


class ActivityOut(BaseModel):
    id: str
    nip: str
    type_code: str
    date: date
    start_time: time
    end_time: time
    quantity: int
    description: str
    status: str
    minutes: int | None = None
    points: Decimal | None = None
    decision_reason: str | None = None
    revision: int = 0
    rhk_id: str | None = Field(default=None, description="the RHK it serves (scoring's SKP)")
    evidence: list[str] = Field(default_factory=list, description="SHA-256 of each file; download at "
                                "/v1/activities/{id}/evidence/{sha256}")
    created_at: datetime
    updated_at: datetime


class ImportRowError(BaseModel):
    row: int
    field: str
    message: str


class ImportResultOut(BaseModel):
    imported: int = Field(description="rows applied (or, with dry_run, that would be)")
    changed: int = Field(0, description="employees new or changed, each published as org.employee.v1")
    dry_run: bool = False
    errors: list[ImportRowError] = Field(description="empty: a file with any error is refused whole (422)")


class PostOut(BaseModel):
    """Where an employee sits: unit, position, kelas, atasan."""
    unit_code: str
    unit_name: str
    position: str
    position_kind: str
    eselon: str | None
    kelas_jabatan: int
    supervisor_nip: str | None
    employee_type: str
    active: bool


class PostingOut(PostOut):
    valid_from: date
    valid_until: date | None


class ActingOut(BaseModel):
    kind: str
    nip: str = Field(description="the acting official")
    for_nip: str = Field(description="the official acted for")
    valid_from: date
    valid_until: date


class EmployeeOut(PostOut):
    """The posting in force today, with the whole history."""
    nip: str
    name: str
    history: list[PostingOut] = Field(description="every posting, oldest first (mutasi, promotions, new atasan)")
    acting: list[ActingOut] = Field(description="Plt/Plh assignments this employee holds")
    acted_for_by: list[ActingOut] = Field(description="who acts (acted) for this employee")


class AttendanceIn(BaseModel):
    """One day of one employee from e-Absen. Without late/early minutes they are derived from the
    region's working hours and the check-in/out times."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    nip: str = Field(pattern=r"^[0-9]{8,18}$")
    work_date: date = Field(alias="date")
    status: DayStatus
    check_in: time | None = None
    check_out: time | None = None
    late_minutes: int | None = Field(default=None, ge=0, le=1440)
    early_leave_minutes: int | None = Field(default=None, ge=0, le=1440)
    apel_missed: bool = False
    leave_type: str | None = Field(default=None, max_length=40)


class AttendanceBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"records": [{"nip": "198503302010011002", "date": "2026-12-01", "status": "hadir", "check_in": "07:42", "check_out": "16:05", "apel_missed": False}, {"nip": "199002022015031003", "date": "2026-12-01", "status": "cuti", "leave_type": "cuti_tahunan"}]}]})
    records: list[dict] = Field(min_length=1, max_length=5000)


class AttendanceRecordError(BaseModel):
    index: int
    field: str
    message: str


class AttendanceBatchOut(BaseModel):
    accepted: int
    errors: list[AttendanceRecordError]


class AttendanceDayOut(BaseModel):
    nip: str
    date: date
    status: str
    check_in: time | None
    check_out: time | None
    late_minutes: int
    early_leave_minutes: int
    apel_missed: bool
    leave_type: str | None


class SanctionCreate(BaseModel):
    """Body of POST /v1/discipline/sanctions: the decree. The cut comes from the region's rule set:
    `cut_percent`, `effective_until`, `regulation` and any other server-owned field are rejected."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"sk_number": "800/123/BKPSDM/2026", "nip": "198503302010011002", "level": "ringan", "start_date": "2026-12-01", "months": 1}]})

    sk_number: str = Field(min_length=1, max_length=100, pattern=r"\S", description="the decree (SK) number")
    nip: str = Field(pattern=r"^[0-9]{8,18}$", description="the sanctioned employee")
    level: str = Field(min_length=1, max_length=40, description="a level code of the region's discipline rule set")
    start_date: date = Field(description="the first day the sanction applies")
    months: int = Field(ge=1, le=600, description="how long it runs; the level's rule says which months it allows")


class SanctionOut(BaseModel):
    id: str
    nip: str
    sk_number: str
    level: str
    months: int
    cut_percent: Decimal = Field(description="percent of (TPP kinerja + disiplin), from the region's rule set")
    effective_from: date
    effective_until: date = Field(description="the last day it applies: start + months (day clamped to the "
                                              "month's end) − 1 day")
    regulation: str
