"""The monthly TPP of one employee (DOMAIN.md, TPP). Pure.

Rounding rule: every intermediate value is an exact Decimal; each rupiah component
(base, kinerja, disiplin, each deduction) is rounded once to whole rupiah, half-up; the total is
the sum of the rounded components, so the slip always adds up."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext

from tpp_service.domain.rules import RuleSet

RUPIAH = Decimal(1)
FACTOR_PLACES = Decimal("0.00001")


def rupiah(x: Decimal) -> int:
    return int(x.quantize(RUPIAH, rounding=ROUND_HALF_UP))


def fmt_rp(x: int) -> str:
    return f"Rp{x:,}".replace(",", ".")


@dataclass(frozen=True)
class SlipLine:
    """One line of the slip's explanation: a stable code, the value as text, the rule behind it."""
    code: str
    label: str
    value: str
    rule: str


@dataclass(frozen=True)
class AttendanceDay:
    status: str
    late_minutes: int = 0
    early_leave_minutes: int = 0
    missing_check_in: bool = False
    missing_check_out: bool = False
    apel_missed: bool = False


@dataclass(frozen=True)
class Post:
    """Days of the month in one post (a transfer or kelas change mid-month gives several)."""
    kelas_jabatan: int
    employee_type: str
    days: int


@dataclass(frozen=True)
class TppInputs:
    kelas_jabatan: int
    employee_type: str
    days_in_post: int
    days_in_month: int
    workdays: int
    approved_minutes: int
    attendance: list[AttendanceDay] = field(default_factory=list)
    sanction_cut_percent: Decimal = Decimal(0)
    posts: tuple[Post, ...] = ()  # empty: the whole `days_in_post` in kelas_jabatan / employee_type
    approved_points: Decimal = Decimal(0)
    points_productivity: Decimal | None = None  # scoring's K of a points region (performance.monthly.v1)

    def segments(self) -> tuple[Post, ...]:
        return self.posts or (Post(self.kelas_jabatan, self.employee_type, self.days_in_post),)


@dataclass(frozen=True)
class TppResult:
    base_amount: int
    kinerja_amount: int
    disiplin_amount: int
    deductions: int
    total_amount: int
    productivity: Decimal
    discipline_factor: Decimal
    breakdown: list[SlipLine]


WORKING_STATUSES = frozenset({"hadir", "terlambat", "pulang_cepat"})


def missing_checks(status: str, has_check_in: bool, has_check_out: bool) -> tuple[bool, bool]:
    """(no check-in, no check-out) on a day the employee was due at work (TL4 / PSW4)."""
    working = status in WORKING_STATUSES
    return working and not has_check_in, working and not has_check_out


def _band(rules: RuleSet, minutes: int) -> Decimal:
    for b in rules.late_bands:
        if minutes >= b.low and (b.high is None or minutes <= b.high):
            return b.percent
    return Decimal(0)


def discipline_deductions(rules: RuleSet, days: list[AttendanceDay]) -> tuple[Decimal, list[tuple[str, Decimal]]]:
    """Sum of discipline deductions in percent, and the itemised list (code, percent)."""
    items: list[tuple[str, Decimal]] = []
    for d in days:
        if d.status == "tanpa_keterangan":
            if rules.absence_hits_discipline:
                items.append(("tanpa_keterangan", rules.absent_day_percent))
            continue
        if d.status in rules.leave_percent:
            if rules.leave_percent[d.status]:
                items.append((d.status, rules.leave_percent[d.status]))
            continue
        if d.missing_check_in:
            items.append(("TL4 (no check-in)", rules.missing_check_percent))
        elif d.late_minutes > 0:
            items.append((f"TL {d.late_minutes} min", _band(rules, d.late_minutes)))
        if d.missing_check_out:
            items.append(("PSW4 (no check-out)", rules.missing_check_percent))
        elif d.early_leave_minutes > 0:
            items.append((f"PSW {d.early_leave_minutes} min", _band(rules, d.early_leave_minutes)))
        if d.apel_missed:
            items.append(("apel missed", rules.apel_missed_percent))
    return sum((p for _, p in items), Decimal(0)), items


def compute_tpp(rules: RuleSet, inp: TppInputs) -> TppResult:
    with localcontext() as ctx:
        ctx.prec = 34
        # B = sum over the month's posts of base[kelas] x status factor x days / days in month (exact).
        parts = [(p, Decimal(rules.base_by_kelas[p.kelas_jabatan]), rules.status_factor.get(p.employee_type, Decimal(1)))
                 for p in inp.segments()]
        b = sum((base * factor * Decimal(p.days) / Decimal(inp.days_in_month) for p, base, factor in parts), Decimal(0))

        absent_days = sum(1 for d in inp.attendance if d.status == "tanpa_keterangan")
        target = inp.workdays * rules.minutes_per_workday
        cap = target - (absent_days * rules.minutes_per_workday if rules.absence_hits_productivity else 0)
        if rules.productivity_measure == "points":  # K = min(points achieved / target, 1), priced by scoring
            k = min(max(inp.points_productivity or Decimal(0), Decimal(0)), Decimal(1))
        else:
            k = Decimal(max(0, min(inp.approved_minutes, cap))) / Decimal(target) if target > 0 else Decimal(0)

        deduction_percent, items = discipline_deductions(rules, inp.attendance)
        d = max(Decimal(0), 1 - deduction_percent / 100)

        base_amount = rupiah(b)
        kinerja = rupiah(b * rules.kinerja_share * k)
        disiplin = rupiah(b * rules.disiplin_share * d)
        sanction = rupiah((kinerja + disiplin) * inp.sanction_cut_percent / 100)
        total = kinerja + disiplin - sanction

    pct = lambda x: f"{(x * 100).normalize():f}%"  # noqa: E731
    lines = [
        SlipLine(code="base", label="Basis TPP (B)", value=fmt_rp(base_amount),
                      rule=" + ".join(f"kelas {p.kelas_jabatan}: {fmt_rp(int(base))} x status {p.employee_type} "
                                      f"{factor} x {p.days}/{inp.days_in_month} hari" for p, base, factor in parts)),
        SlipLine(code="productivity", label="Produktivitas (K)", value=str(k.quantize(FACTOR_PLACES, ROUND_HALF_UP)),
                      rule=(f"poin: {inp.approved_points} poin disetujui; K dari scoring = min(poin / target, 1)"
                            if rules.productivity_measure == "points" else
                            f"min({inp.approved_minutes}, {cap}) / {target} menit "
                            f"({inp.workdays} hari kerja x {rules.minutes_per_workday}, {absent_days} hari tanpa keterangan)")),
        SlipLine(code="kinerja", label="TPP kinerja", value=fmt_rp(kinerja),
                      rule=f"B x {pct(rules.kinerja_share)} x K (K eksak, ditampilkan 5 desimal), "
                           "dibulatkan ke rupiah (half-up)"),
        SlipLine(code="discipline_factor", label="Faktor disiplin (D)", value=str(d.quantize(FACTOR_PLACES, ROUND_HALF_UP)),
                      rule="1 - (" + (" + ".join(f"{c} {p}%" for c, p in items) or "0") + ")"),
        SlipLine(code="disiplin", label="TPP disiplin", value=fmt_rp(disiplin),
                      rule=f"B x {pct(rules.disiplin_share)} x D, dibulatkan ke rupiah (half-up)"),
    ]
    if sanction:
        lines.append(SlipLine(code="sanction", label="Potongan hukuman disiplin", value=fmt_rp(sanction),
                                   rule=f"(kinerja + disiplin) x {inp.sanction_cut_percent}%"))
    lines.append(SlipLine(code="total", label="TPP bruto", value=fmt_rp(total),
                               rule="kinerja + disiplin - potongan"))
    return TppResult(base_amount=base_amount, kinerja_amount=kinerja, disiplin_amount=disiplin,
                     deductions=sanction, total_amount=total,
                     productivity=k.quantize(FACTOR_PLACES, ROUND_HALF_UP),
                     discipline_factor=d.quantize(FACTOR_PLACES, ROUND_HALF_UP), breakdown=lines)
