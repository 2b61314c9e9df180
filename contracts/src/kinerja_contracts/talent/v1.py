"""talent.box-assigned.v1: an employee's place in the 9-box talent grid (PermenPANRB 3/2020) for one
period (key = NIP); the latest record of (nip, period) supersedes earlier ones."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from kinerja_contracts.appraisal.v1 import Predikat, Rating
from kinerja_contracts.envelope import NIP, Event


class Potential(StrEnum):
    rendah = "rendah"
    menengah = "menengah"
    tinggi = "tinggi"


class TalentBoxAssignedV1(Event):
    nip: NIP
    unit_code: str
    period: str = Field(description="YYYY, YYYY-MM or YYYY-Qn")
    box: int = Field(ge=1, le=9)
    succession_pool: bool = Field(description="boxes 7, 8 and 9")
    performance: Rating
    performance_source: str = Field(description="predikat (a final appraisal) or productivity (K, none final)")
    predikat: Predikat | None = None
    productivity: Decimal | None = Field(default=None, description="mean K of the period's months (source productivity)")
    potential: Potential
    potential_assessed_on: date
    assigned_at: datetime
