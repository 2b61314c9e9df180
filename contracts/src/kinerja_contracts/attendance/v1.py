"""attendance.recorded.v1: one employee's attendance for one day (key = NIP)."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import Enum

from pydantic import Field

from kinerja_contracts.envelope import NIP, Event


class DayStatus(str, Enum):
    hadir = "hadir"
    terlambat = "terlambat"
    pulang_cepat = "pulang_cepat"
    sakit = "sakit"
    izin = "izin"
    cuti = "cuti"
    dinas_luar = "dinas_luar"
    tugas_belajar = "tugas_belajar"
    tanpa_keterangan = "tanpa_keterangan"


class AttendanceRecordedV1(Event):
    nip: NIP
    work_date: date
    status: DayStatus
    leave_type: str | None = Field(default=None, description="cuti type when status = cuti")
    check_in: time | None = None
    check_out: time | None = None
    late_minutes: int = Field(default=0, ge=0)
    early_leave_minutes: int = Field(default=0, ge=0)
    apel_missed: bool = False
    source: str = "e-absen"
    recorded_at: datetime
