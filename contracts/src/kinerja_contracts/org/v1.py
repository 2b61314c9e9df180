"""org.employee.v1: the latest state of one employee (compacted, key = NIP): the posting in force
when it was published (the flat fields), every dated posting (`history`) and the acting (Plt/Plh)
assignments the employee holds."""

from __future__ import annotations

from datetime import date
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

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
    effective_from: date | None = Field(default=None, description="since when the flat fields hold")
    history: list["PostingV1"] = Field(default_factory=list, description="every posting, oldest first")
    acting: list["ActingV1"] = Field(default_factory=list, description="Plt/Plh assignments this employee holds")


class PostingV1(BaseModel):
    """One dated posting of an employee (mutasi, promotion, new atasan): valid_until empty = open."""
    model_config = ConfigDict(frozen=True)
    valid_from: date
    valid_until: date | None = None
    unit_code: str
    unit_name: str
    position: str
    position_kind: PositionKind
    eselon: str | None = None
    kelas_jabatan: int = Field(ge=1, le=17)
    supervisor_nip: NIP | None = None
    employee_type: EmployeeType
    active: bool = True


class ActingKind(str, Enum):
    Plt = "Plt"  # pelaksana tugas: a vacant post
    Plh = "Plh"  # pelaksana harian: the holder is absent


class ActingV1(BaseModel):
    """This employee acts for `for_nip` (whose post is vacant or whose holder is away) in a dated range."""
    model_config = ConfigDict(frozen=True)
    kind: ActingKind
    for_nip: NIP
    valid_from: date
    valid_until: date


def posting_on(history: list[PostingV1], day: date) -> PostingV1 | None:
    """The posting in force on `day` (history oldest first); before the first one, the first."""
    for p in reversed(history):
        if p.valid_from <= day:
            return p
    return history[0] if history else None
