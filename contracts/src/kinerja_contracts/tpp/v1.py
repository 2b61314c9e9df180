"""tpp.*.v1: the payroll contract. tpp.computed.v1 carries one employee's TPP for one period
(key = NIP); a correction publishes the same (nip, period) with a higher revision.

Amounts are integer rupiah. Invariant: total_amount = kinerja_amount + disiplin_amount - deductions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from kinerja_contracts.envelope import NIP, PERIOD, Event


class BreakdownLine(Event):
    code: str = Field(description="stable machine name of the line, e.g. base, kinerja, disiplin")
    label: str
    value: str = Field(description="the line's value as text (rupiah, factor or percent)")
    rule: str = Field(description="the rule or input behind the value")


class TppComputedV1(Event):
    nip: NIP
    period: PERIOD
    revision: int = Field(ge=1)
    name: str
    unit_code: str
    employee_type: str
    kelas_jabatan: int
    base_amount: int = Field(ge=0, description="B: base for the kelas, status factor, days in post")
    kinerja_amount: int = Field(ge=0, description="B x kinerja share x K")
    disiplin_amount: int = Field(ge=0, description="B x disiplin share x D")
    deductions: int = Field(ge=0, description="rupiah cut from kinerja + disiplin by sanctions and other cuts")
    total_amount: int = Field(ge=0, description="gross TPP = kinerja + disiplin - deductions")
    productivity: Decimal = Field(description="K")
    discipline_factor: Decimal = Field(description="D")
    rule_set: str = Field(description="regulation and effective date of the rule set applied")
    breakdown: list[BreakdownLine] = Field(default_factory=list)
    computed_at: datetime


class TppPeriodClosedV1(Event):
    period: PERIOD
    revision: int = Field(ge=1)
    employee_count: int = Field(ge=0)
    total_amount: int = Field(ge=0)
    closed_by: NIP
    closed_at: datetime
    cutoff_date: date | None = None
