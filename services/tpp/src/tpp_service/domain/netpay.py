"""From gross TPP to net pay (DOMAIN.md, TPP: net = gross - employee BPJS share - PPh 21). Pure.

BPJS Kesehatan, employee share (Perpres 64/2020, art. 30 and 32): `percent` (1%) of a monthly basis capped at
a ceiling (Rp12,000,000). The basis used here is the month's gross TPP; the ceiling is shared with the
wages another payroll already contributes on (gaji pokok and tunjangan on the salary slip), passed as
`wage_base_elsewhere`, so an employee never pays on more than the ceiling in total.

PPh 21, TER method (PP 58/2023, PMK 168/2023): withholding = monthly gross x the monthly effective rate
of the TER category chosen by PTKP status (A: TK/0, TK/1, K/0; B: TK/2, TK/3, K/1, K/2; C: K/3). The
monthly gross looked up is the gross TPP plus `other_income` (bruto paid to the same employee in the same
month by another payroll, when a region wants one monthly withholding); what that other payroll already
withheld is subtracted. The tables are data: region/ter_pmk168_2023.json.

Rounding: every rupiah amount is rounded once to whole rupiah, half-up."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from kinerja_kit.errors import InvalidField

PTKP_STATUSES = ("TK/0", "TK/1", "TK/2", "TK/3", "K/0", "K/1", "K/2", "K/3")
PPH21_MODES = ("borne", "withheld")  # borne: ditanggung APBD (nothing withheld); withheld: dipotong, TER


class TerTableError(InvalidField):
    """A TER table that cannot be applied; `field` is the path of the offending value."""


def _rupiah(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class TerBracket:
    low: int
    high: int | None  # inclusive; None: no upper bound
    percent: Decimal


@dataclass(frozen=True)
class TerTables:
    regulation: str
    category_of: dict[str, str]  # PTKP status -> A / B / C
    brackets: dict[str, tuple[TerBracket, ...]]

    def category(self, ptkp_status: str) -> str:
        status = normalise_ptkp(ptkp_status)
        return self.category_of[status]

    def percent(self, category: str, monthly_gross: int) -> Decimal:
        """The monthly effective rate in percent for a whole-rupiah monthly gross (both bounds inclusive)."""
        if monthly_gross < 0:
            raise InvalidField("monthly_gross", "a gross is never negative")
        for b in self.brackets[category]:
            if monthly_gross >= b.low and (b.high is None or monthly_gross <= b.high):
                return b.percent
        raise InvalidField("monthly_gross", f"no TER {category} bracket holds {monthly_gross}")  # parse forbids gaps


def normalise_ptkp(value: str) -> str:
    """'k/1', ' K/1 ' -> 'K/1'; InvalidField for anything that is not one of the eight PTKP statuses."""
    status = str(value).strip().upper().replace(" ", "")
    if status not in PTKP_STATUSES:
        raise InvalidField("ptkp_status", f"{value!r} is not a PTKP status ({', '.join(PTKP_STATUSES)})")
    return status


def _whole(value: Any, path: str) -> int:
    if isinstance(value, (bool, float)):
        raise TerTableError(path, f"{value!r} is not a whole rupiah amount")
    try:
        d = Decimal(value) if isinstance(value, (int, str, Decimal)) else None
    except InvalidOperation:
        d = None
    if d is None or not d.is_finite() or d != d.to_integral_value() or d < 0:
        raise TerTableError(path, f"{value!r} is not a whole, non-negative rupiah amount")
    return int(d)


def _percent(value: Any, path: str) -> Decimal:
    if isinstance(value, (bool, float)):
        raise TerTableError(path, f"{value!r} is not an exact decimal (write it as a string)")
    try:
        d = Decimal(value) if isinstance(value, (int, str, Decimal)) else None
    except InvalidOperation:
        d = None
    if d is None or not d.is_finite() or not 0 <= d <= 100:
        raise TerTableError(path, f"{value!r} is not a percent between 0 and 100")
    return d


def parse_ter_tables(raw: Any, where: str = "ter") -> TerTables:
    """The TER tables from their JSON shape. Each category's brackets start at 0, follow each other without
    gap or overlap (next low = high + 1), never fall, and end open; every PTKP status has one category."""
    if not isinstance(raw, dict) or not isinstance(raw.get("categories"), dict):
        raise TerTableError(f"{where}.categories", "missing: an object of category -> {ptkp, brackets}")
    category_of: dict[str, str] = {}
    brackets: dict[str, tuple[TerBracket, ...]] = {}
    for cat, body in raw["categories"].items():
        path = f"{where}.categories.{cat}"
        if not isinstance(body, dict):
            raise TerTableError(path, "must be an object {ptkp, brackets}")
        for status in body.get("ptkp") or []:
            try:
                s = normalise_ptkp(status)
            except InvalidField:
                raise TerTableError(f"{path}.ptkp", f"{status!r} is not a PTKP status") from None
            if s in category_of:
                raise TerTableError(f"{path}.ptkp", f"{s} is already in category {category_of[s]}")
            category_of[s] = cat
        rows = body.get("brackets")
        if not isinstance(rows, list) or not rows:
            raise TerTableError(f"{path}.brackets", "a non-empty list of [low, high or null, percent]")
        out: list[TerBracket] = []
        for i, row in enumerate(rows):
            p = f"{path}.brackets[{i}]"
            if not isinstance(row, list) or len(row) != 3:
                raise TerTableError(p, "must be [low, high or null, percent]")
            low = _whole(row[0], f"{p}[0]")
            high = None if row[1] is None else _whole(row[1], f"{p}[1]")
            pct = _percent(row[2], f"{p}[2]")
            if high is not None and high < low:
                raise TerTableError(p, "high is below low")
            expected = 0 if not out else (None if out[-1].high is None else out[-1].high + 1)
            if expected is None or low < expected:
                raise TerTableError(p, "brackets overlap")
            if low > expected:
                raise TerTableError(p, f"gap between brackets: {expected}..{low - 1} has no rate")
            if out and pct < out[-1].percent:
                raise TerTableError(f"{p}[2]", "a higher bracket never has a lower rate")
            out.append(TerBracket(low, high, pct))
        if out[-1].high is not None:
            raise TerTableError(f"{path}.brackets[{len(out) - 1}][1]", "the last bracket must be open (null)")
        brackets[cat] = tuple(out)
    missing = [s for s in PTKP_STATUSES if s not in category_of]
    if missing:
        raise TerTableError(f"{where}.categories", f"no category for PTKP {', '.join(missing)}")
    return TerTables(regulation=str(raw.get("regulation", "TER")), category_of=category_of, brackets=brackets)


@dataclass(frozen=True)
class Bpjs:
    amount: int
    basis: int


def bpjs_kesehatan(gross: int, *, percent: Decimal, ceiling: int, wage_base_elsewhere: int = 0) -> Bpjs:
    """The employee's share: percent x min(gross, what is left of the ceiling after the other wages)."""
    if wage_base_elsewhere < 0:
        raise InvalidField("bpjs_wage_base_elsewhere", "never negative")
    basis = max(0, min(gross, ceiling - wage_base_elsewhere))
    return Bpjs(amount=_rupiah(Decimal(basis) * percent / 100), basis=basis)


@dataclass(frozen=True)
class Pph21:
    amount: int            # on this TPP payment
    category: str
    percent: Decimal
    looked_up: int         # the monthly gross the rate was looked up with
    ptkp_status: str
    assumed_ptkp: bool     # no PTKP status known: TK/0 (category A) was assumed


def pph21_ter(tables: TerTables, ptkp_status: str | None, gross: int, *, other_income: int = 0,
              other_withheld: int = 0) -> Pph21:
    """PPh 21 on this payment with the TER method: rupiah(monthly gross x rate) minus what was withheld
    on the same month's other income, never below zero. No PTKP status: TK/0 is assumed (and said)."""
    if other_income < 0 or other_withheld < 0:
        raise InvalidField("other_taxable_income", "never negative")
    assumed = ptkp_status is None or str(ptkp_status).strip() == ""
    status = "TK/0" if assumed else normalise_ptkp(ptkp_status)  # type: ignore[arg-type]
    category = tables.category_of[status]
    looked_up = gross + other_income
    pct = tables.percent(category, looked_up)
    amount = max(0, _rupiah(Decimal(looked_up) * pct / 100) - other_withheld)
    return Pph21(amount=amount, category=category, percent=pct, looked_up=looked_up, ptkp_status=status,
                 assumed_ptkp=assumed)
