"""tpp.*.v1: the payroll contract. tpp.computed.v1 carries one employee's TPP for one period
(key = NIP); a correction publishes the same (nip, period) with a higher revision.

Amounts are integer rupiah. Invariants: total_amount (gross) = kinerja_amount + disiplin_amount - deductions;
net_amount = total_amount - bpjs_amount - pph21_amount."""

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


class DeductionItem(Event):
    """One deduction with its rule and what it counted: an attendance deduction inside TPP
    disiplin (`kind` attendance) or a cut from kinerja + disiplin (`kind` cut: sanction, penalty, other)."""
    kind: str = Field(description="attendance or cut")
    code: str = Field(description="e.g. TL1, PSW2, tanpa_keterangan, apel, sanction, unvalidated_penalty")
    label: str
    count: int = Field(ge=0, description="occurrences behind it (days, tasks)")
    percent: Decimal | None = Field(default=None, description="None for a fixed rupiah cut")
    amount: int = Field(ge=0, description="rupiah")
    rule: str


class ComponentChange(Event):
    """How one component moved from the previous revision to this one."""
    component: str = Field(description="e.g. kinerja_amount, disiplin_amount, deductions, total_amount")
    before: str
    after: str
    difference: str = Field(description="after - before (rupiah as an integer, factors as decimals)")


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
    disiplin_full_amount: int | None = Field(default=None, ge=0, description="TPP disiplin before attendance deductions")
    deduction_items: list[DeductionItem] = Field(default_factory=list)
    gross_amount: int | None = Field(default=None, ge=0, description="= total_amount")
    bpjs_amount: int = Field(default=0, ge=0, description="BPJS Kesehatan, the employee's 1% share (capped)")
    pph21_amount: int = Field(default=0, ge=0, description="PPh 21 withheld (0 when the budget bears it)")
    pph21_borne_amount: int = Field(default=0, ge=0, description="PPh 21 borne by the region's budget (shown, not withheld)")
    pph21_mode: str | None = Field(default=None, description="borne or withheld (TER, PMK 168/2023)")
    ter_category: str | None = None
    ter_percent: Decimal | None = None
    net_amount: int | None = Field(default=None, ge=0, description="gross - bpjs - pph21 withheld: what is transferred")
    payment_note: str | None = Field(default=None, description="why nothing or less is paid, e.g. a status factor of 0")
    reason: str | None = Field(default=None, description="revision > 1: why the slip was computed again")
    changes: list[ComponentChange] = Field(default_factory=list, description="revision > 1: each component that "
                                           "moved since the previous revision")


class OpdTotal(Event):
    """Control totals of one OPD (unit) for BPKAD to reconcile the payroll batch against."""
    unit_code: str
    employee_count: int = Field(ge=0)
    base_amount: int = Field(ge=0)
    kinerja_amount: int = Field(ge=0)
    disiplin_amount: int = Field(ge=0)
    deductions: int = Field(ge=0)
    total_amount: int = Field(ge=0)
    bpjs_amount: int = Field(default=0, ge=0)
    pph21_amount: int = Field(default=0, ge=0)
    net_amount: int = Field(default=0, ge=0)


class TppPeriodClosedV1(Event):
    period: PERIOD
    revision: int = Field(ge=1)
    employee_count: int = Field(ge=0)
    total_amount: int = Field(ge=0)
    closed_by: NIP
    closed_at: datetime
    cutoff_date: date | None = None
    opd_totals: list[OpdTotal] = Field(default_factory=list, description="per unit; their sums equal the period's")
    cutoff_at: datetime | None = Field(default=None, description="the inputs of this revision are those stored "
                                       "before the close took its snapshot; later ones go into the next revision")
