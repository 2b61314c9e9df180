"""The rows every export file is made of, and their per-OPD control totals. Pure.

An `ExportRow` is one employee's final TPP record of one period (the latest revision of that
employee), flattened for files. Amounts are whole rupiah as `int` (never float); K and D are
exact `Decimal`s. Each row checks its types (TypeError) and the payroll invariants (ValueError) when it is
built, so a file can never carry a slip that does not add up:

    total_amount (gross) = kinerja_amount + disiplin_amount - deductions     (tpp.computed.v1)
    net_amount           = total_amount - bpjs_amount - pph21_amount

`pph21_amount` is the PPh 21 withheld from the employee (0 when the region's budget bears it);
`pph21_borne_amount` the PPh 21 the budget bears (0 when withheld), as in tpp.computed.v1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal

PERIOD_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
NIP_RE = re.compile(r"^[0-9]{8,18}$")  # 18 digits for PNS; PPPK / non-ASN numbers may be shorter

AMOUNT_FIELDS = ("base_amount", "kinerja_amount", "disiplin_amount", "deductions", "total_amount",
                 "bpjs_amount", "pph21_amount", "net_amount", "pph21_borne_amount")
RATINGS = ("di_atas", "sesuai", "di_bawah")  # PermenPANRB 6/2022: di atas / sesuai / di bawah ekspektasi


def check_period(period: str) -> str:
    if not isinstance(period, str) or not PERIOD_RE.match(period):
        raise ValueError(f"period must be YYYY-MM, got {period!r}")
    return period


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


@dataclass(frozen=True)
class ExportRow:
    period: str  # YYYY-MM
    revision: int
    nip: str
    name: str
    unit_code: str
    unit_name: str
    employee_type: str  # PNS, CPNS, PPPK, PPPK_PW, NON_ASN
    kelas_jabatan: int
    base_amount: int
    kinerja_amount: int
    disiplin_amount: int
    deductions: int
    total_amount: int  # gross
    bpjs_amount: int  # employee's BPJS Kesehatan share
    pph21_amount: int  # PPh 21 withheld from the employee
    net_amount: int
    productivity: Decimal  # K
    discipline_factor: Decimal  # D
    predikat: str | None = None  # from the appraisal (SKP), when there is one
    # Optional: the appraisal's two ratings behind the predikat ("di_atas" / "sesuai" / "di_bawah").
    hasil_kerja: str | None = None
    perilaku_kerja: str | None = None
    pph21_borne_amount: int = 0  # PPh 21 borne by the region's budget: shown, not withheld

    def __post_init__(self) -> None:
        check_period(self.period)
        if not isinstance(self.nip, str) or not NIP_RE.match(self.nip):
            raise ValueError(f"nip must be 8 to 18 digits, got {self.nip!r}")
        if not _is_int(self.revision):
            raise TypeError(f"{self.nip}: revision must be an int, got {self.revision!r}")
        if self.revision < 1:
            raise ValueError(f"{self.nip}: revision must be >= 1, got {self.revision}")
        if not _is_int(self.kelas_jabatan):
            raise TypeError(f"{self.nip}: kelas_jabatan must be an int, got {self.kelas_jabatan!r}")
        for name in AMOUNT_FIELDS:
            v = getattr(self, name)
            if not _is_int(v):
                raise TypeError(f"{self.nip}: {name} must be whole rupiah as int, got {type(v).__name__} {v!r}")
            if v < 0:
                raise ValueError(f"{self.nip}: {name} is negative ({v})")
        for name in ("productivity", "discipline_factor"):
            v = getattr(self, name)
            if not isinstance(v, Decimal):
                raise TypeError(f"{self.nip}: {name} must be a Decimal, got {v!r}")
        if self.total_amount != self.kinerja_amount + self.disiplin_amount - self.deductions:
            raise ValueError(f"{self.nip}: total_amount {self.total_amount} != kinerja {self.kinerja_amount} "
                             f"+ disiplin {self.disiplin_amount} - deductions {self.deductions}")
        if self.net_amount != self.total_amount - self.bpjs_amount - self.pph21_amount:
            raise ValueError(f"{self.nip}: net_amount {self.net_amount} != total {self.total_amount} "
                             f"- bpjs {self.bpjs_amount} - pph21 {self.pph21_amount}")
        for name in ("hasil_kerja", "perilaku_kerja"):
            v = getattr(self, name)
            if v is not None and v not in RATINGS:
                raise ValueError(f"{self.nip}: {name} must be one of {RATINGS} or None, got {v!r}")


@dataclass(frozen=True)
class OpdTotal:
    """Control totals of one OPD (or of the whole period: `grand_total`)."""
    unit_code: str
    unit_name: str
    employees: int
    base: int
    kinerja: int
    disiplin: int
    deductions: int
    gross: int
    bpjs: int
    pph21: int
    net: int
    pph21_borne: int = 0


GRAND_TOTAL_CODE = ""
GRAND_TOTAL_NAME = "TOTAL"
_SUMS = (("base", "base_amount"), ("kinerja", "kinerja_amount"), ("disiplin", "disiplin_amount"),
         ("deductions", "deductions"), ("gross", "total_amount"), ("bpjs", "bpjs_amount"),
         ("pph21", "pph21_amount"), ("net", "net_amount"), ("pph21_borne", "pph21_borne_amount"))
TOTAL_FIELDS = tuple(f.name for f in fields(OpdTotal))


def sorted_rows(rows: Iterable[ExportRow], period: str | None = None) -> list[ExportRow]:
    """The rows in file order (unit_code, then NIP); refuses a row of another period and a NIP twice
    (a period's export carries each employee's latest revision once: a revision replaces, never adds)."""
    out = sorted(rows, key=lambda r: (r.unit_code, r.nip))
    seen: set[str] = set()
    for r in out:
        if not isinstance(r, ExportRow):
            raise TypeError(f"expected ExportRow, got {type(r).__name__}")
        if period is not None and r.period != period:
            raise ValueError(f"{r.nip}: row of period {r.period} in the export of {period}")
        if r.nip in seen:
            raise ValueError(f"{r.nip}: more than one row (one row per employee: the latest revision)")
        seen.add(r.nip)
    return out


def _total(unit_code: str, unit_name: str, rows: list[ExportRow]) -> OpdTotal:
    return OpdTotal(unit_code=unit_code, unit_name=unit_name, employees=len(rows),
                    **{t: sum(getattr(r, f) for r in rows) for t, f in _SUMS})


def opd_totals(rows: Iterable[ExportRow]) -> list[OpdTotal]:
    """One control total per OPD, sorted by unit_code. The unit name is the one of the OPD's first
    row in file order (lowest NIP)."""
    groups: dict[str, list[ExportRow]] = {}
    for r in sorted_rows(rows):
        groups.setdefault(r.unit_code, []).append(r)
    return [_total(code, rs[0].unit_name, rs) for code, rs in sorted(groups.items())]


def grand_total(rows: Iterable[ExportRow]) -> OpdTotal:
    """The period's control total over every row (unit_code "", unit_name "TOTAL")."""
    return _total(GRAND_TOTAL_CODE, GRAND_TOTAL_NAME, sorted_rows(rows))


def latest_revision(rows: Iterable[ExportRow]) -> int:
    """The highest revision among the rows (0 for none): a correction re-issues only the employees
    it touches, so a period's rows may carry different revisions."""
    return max((r.revision for r in rows), default=0)
