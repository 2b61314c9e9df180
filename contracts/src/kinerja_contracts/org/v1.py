"""org.employee.v1: the latest state of one employee (compacted, key = NIP)."""

from __future__ import annotations

from enum import Enum

from pydantic import Field

from kinerja_contracts.envelope import NIP, Event


class PositionKind(str, Enum):
    struktural = "struktural"
    fungsional = "fungsional"
    pelaksana = "pelaksana"


class EmployeeType(str, Enum):
    PNS = "PNS"
    CPNS = "CPNS"
    PPPK = "PPPK"
    PPPK_PW = "PPPK_PW"  # part-time PPPK (paruh waktu), since 2025
    NON_ASN = "NON_ASN"


class EmployeeV1(Event):
    nip: NIP
    name: str = Field(min_length=1, max_length=200)
    unit_code: str = Field(min_length=1, max_length=50)
    unit_name: str = Field(min_length=1, max_length=200)
    position: str = Field(min_length=1, max_length=200)
    position_kind: PositionKind
    eselon: str | None = Field(default=None, max_length=10, description="e.g. II.a, III.b; empty when none")
    kelas_jabatan: int = Field(ge=1, le=17)
    supervisor_nip: NIP | None = Field(default=None, description="atasan langsung; empty at the top")
    employee_type: EmployeeType
    active: bool = True
