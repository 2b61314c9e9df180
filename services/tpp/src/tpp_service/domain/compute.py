"""The monthly TPP of one employee (DOMAIN.md, TPP), from B to net pay. Pure and deterministic: the same
rule set and inputs always give the same result, so a revision recomputed from corrected inputs replaces
the earlier one whole (nothing is added to it).

    B            = sum over the month's posts of base[kelas] x status factor x days in post / days in month
    TPP kinerja  = B x kinerja share x K
    TPP disiplin = (B - B x kinerja share) x D,   D = max(0, 1 - sum of the attendance deductions)
                   (deductions_apply_to "total": TPP disiplin is not scaled; the same percent is cut from
                   kinerja + disiplin instead)
    cuts, each from what is left, never below zero:
                   sanction (the heaviest active hukuman disiplin: the cut given with the sanction, the
                   Permentan 68/2012 table by level and months, PP 94/2021 by a year's unexcused absences;
                   they do not add up) x (kinerja + disiplin);
                   then unvalidated_penalty and the percent other cuts, each x the TPP after the sanction;
                   then the fixed-rupiah other cuts
    gross        = kinerja + disiplin - cuts           (TppResult.total_amount, as before)
    net          = gross - BPJS Kesehatan (employee) - PPh 21 withheld (0 when borne by the APBD)

Rounding rule (the rule set's "component_half_up"): every intermediate value is an exact Decimal; B is
rounded to whole rupiah first (half-up) and every later component is computed from that rounded B, each
rupiah component rounded once, half-up. TPP disiplin before deductions is B minus the rounded kinerja
share, so kinerja + disiplin never exceeds B. The rupiah of each attendance deduction is its percent of the
full TPP disiplin, rounded; the last one takes the rounding remainder so the lines add up to the full
disiplin minus TPP disiplin exactly. Totals are sums of rounded components, so the slip always adds up:
gross = kinerja + disiplin - sum(cuts), net = gross - bpjs - pph21, and 0 <= every amount <= B.

Who is paid for what: the posts are the employee's own definitive posts. An acting official (Plt / Plh)
is paid for their own post only; acting for a vacant or absent superior changes no kelas and adds nothing
(a Perkada that pays a Plt allowance on top would be a new rule)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import NamedTuple

from kinerja_kit.errors import InvalidField
from tpp_service.domain.netpay import bpjs_kesehatan, pph21_ter
from tpp_service.domain.rules import RuleSet

RUPIAH = Decimal(1)
FACTOR_PLACES = Decimal("0.00001")


def rupiah(x: Decimal) -> int:
    return int(x.quantize(RUPIAH, rounding=ROUND_HALF_UP))


def fmt_rp(x: int) -> str:
    return f"Rp{x:,}".replace(",", ".")


def fmt_pct(p: Decimal) -> str:
    return f"{p.normalize():f}%"


@dataclass(frozen=True)
class SlipLine:
    """One line of the slip's explanation: a stable code, the value as text, the rule behind it."""
    code: str
    label: str
    value: str
    rule: str


class AttendanceDay(NamedTuple):
    """One e-Absen day (a tuple: a city's month is millions of them)."""
    status: str
    late_minutes: int = 0
    early_leave_minutes: int = 0
    missing_check_in: bool = False
    missing_check_out: bool = False
    apel_missed: bool = False


@dataclass(frozen=True)
class Post:
    """Days of the month in one post (a transfer or kelas change mid-month gives several). A post is the
    employee's own definitive post: an acting (Plt / Plh) assignment is not one."""
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
    sanction_cut_percent: Decimal = Decimal(0)  # the cut carried by a sanction event (discipline.sanctioned.v1)
    posts: tuple[Post, ...] = ()  # empty: the whole `days_in_post` in kelas_jabatan / employee_type
    approved_points: Decimal = Decimal(0)
    points_productivity: Decimal | None = None  # scoring's K of a points region (performance.monthly.v1)
    # --- optional, issue 11 (defaults change nothing) ---
    sanction_level: str | None = None   # active hukuman disiplin: ringan | sedang | berat | pemberhentian_banding
    sanction_months: int | None = None  # how long it runs (1/2/3, 6/8/10, 12): picks the row of the table
    sanction_step: int | None = None    # 1-based row within the level, where months are ambiguous (berat: 12/12/12)
    unexcused_absences_in_year: int = 0  # days tanpa keterangan in the calendar year so far (PP 94/2021)
    escalated_tasks: int = 0            # approval tasks that escalated past this employee as approver this month
    other_cut_codes: tuple[str, ...] = ()  # the rule set's other_cuts that apply to this employee (besides all=true)
    ptkp_status: str | None = None      # TK/0..TK/3, K/0..K/3: the TER category (None: TK/0 assumed, said)
    other_taxable_income: int = 0       # bruto of the same month paid elsewhere, looked up with the TPP (TER)
    other_pph21_withheld: int = 0       # PPh 21 already withheld on that other income
    bpjs_wage_base_elsewhere: int = 0   # wages already under the BPJS Kesehatan ceiling on the salary payroll

    def segments(self) -> tuple[Post, ...]:
        return self.posts or (Post(self.kelas_jabatan, self.employee_type, self.days_in_post),)


@dataclass(frozen=True)
class Deduction:
    """One deduction on the slip: the rule it comes from, how many occurrences (days, tasks) were behind it,
    its percent (of what the rule says) or None for a fixed rupiah cut, and its rupiah."""
    code: str
    label: str
    count: int
    percent: Decimal | None
    amount: int
    rule: str


@dataclass(frozen=True)
class TppResult:
    base_amount: int
    kinerja_amount: int
    disiplin_amount: int
    deductions: int  # rupiah cut from kinerja + disiplin (sum of `cuts`)
    total_amount: int  # gross = kinerja + disiplin - deductions
    productivity: Decimal
    discipline_factor: Decimal
    breakdown: list[SlipLine]
    disiplin_full_amount: int = 0  # TPP disiplin before attendance deductions
    attendance_deductions: tuple[Deduction, ...] = ()  # inside disiplin: disiplin_full - disiplin
    cuts: tuple[Deduction, ...] = ()  # from kinerja + disiplin: sanction, penalties, other cuts
    sanction_cut_percent: Decimal = Decimal(0)  # the sanction percent applied
    gross_amount: int = 0  # = total_amount
    bpjs_amount: int = 0  # BPJS Kesehatan, employee share
    pph21_amount: int = 0  # PPh 21 withheld (0 when borne)
    pph21_borne_amount: int = 0  # PPh 21 the APBD bears (mode borne; 0 when withheld)
    pph21_mode: str = "borne"
    ter_category: str | None = None
    ter_percent: Decimal | None = None
    net_amount: int = 0  # = gross - bpjs - pph21
    reason: str | None = None  # why nothing (or less) is paid, e.g. a status factor of 0


WORKING_STATUSES = frozenset({"hadir", "terlambat", "pulang_cepat"})


def missing_checks(status: str, has_check_in: bool, has_check_out: bool) -> tuple[bool, bool]:
    """(no check-in, no check-out) on a day the employee was due at work (TL4 / PSW4)."""
    working = status in WORKING_STATUSES
    return working and not has_check_in, working and not has_check_out


def _band(rules: RuleSet, minutes: int) -> tuple[int, Decimal]:
    for i, b in enumerate(rules.late_bands):
        if minutes >= b.low and (b.high is None or minutes <= b.high):
            return i + 1, b.percent
    return 0, Decimal(0)  # validated bands start at minute 1 and end open: unreachable for minutes > 0


def counts_plain_days(rules: RuleSet) -> bool:
    """Whether a plain present day (hadir, on time, both checks, apel) can change a result: only
    when the rule set lists hadir as a leave type. Otherwise the computation may skip those days."""
    return "hadir" in rules.leave_percent


def discipline_deductions(rules: RuleSet, days: list[AttendanceDay]) -> tuple[Decimal, list[tuple[str, Decimal]]]:
    """Sum of discipline deductions in percent, and the itemised list (code, percent), one per occurrence.
    Codes: tanpa_keterangan, TL1..TLn / PSW1..PSWn (the bands), TL_no_check_in, PSW_no_check_out, apel,
    and the leave statuses that carry a percent."""
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
            items.append(("TL_no_check_in", rules.missing_check_percent))
        elif d.late_minutes > 0:
            n, p = _band(rules, d.late_minutes)
            items.append((f"TL{n}", p))
        if d.missing_check_out:
            items.append(("PSW_no_check_out", rules.missing_check_percent))
        elif d.early_leave_minutes > 0:
            n, p = _band(rules, d.early_leave_minutes)
            items.append((f"PSW{n}", p))
        if d.apel_missed:
            items.append(("apel", rules.apel_missed_percent))
    return sum((p for _, p in items), Decimal(0)), items


def _order(rules: RuleSet) -> list[str]:
    n = len(rules.late_bands)
    return (["tanpa_keterangan"] + [f"TL{i}" for i in range(1, n + 1)] + ["TL_no_check_in"]
            + [f"PSW{i}" for i in range(1, n + 1)] + ["PSW_no_check_out", "apel"] + sorted(rules.leave_percent))


def _label(rules: RuleSet, code: str) -> str:
    if code == "tanpa_keterangan":
        return "Tanpa keterangan (per hari)"
    if code == "TL_no_check_in":
        return "TL: tidak absen masuk"
    if code == "PSW_no_check_out":
        return "PSW: tidak absen pulang"
    if code == "apel":
        return "Tidak mengikuti apel"
    for kind, word in (("TL", "Terlambat"), ("PSW", "Pulang sebelum waktunya")):
        if code.startswith(kind) and code[len(kind):].isdigit():
            b = rules.late_bands[int(code[len(kind):]) - 1]
            span = f"{b.low}-{b.high} menit" if b.high is not None else f">= {b.low} menit"
            return f"{word} {code} ({span})"
    return f"Izin/cuti: {code}"


def _grouped(rules: RuleSet, items: list[tuple[str, Decimal]]) -> list[tuple[str, int, Decimal]]:
    """(code, occurrences, total percent) in a fixed order, whatever the order of the days."""
    counts: dict[str, tuple[int, Decimal]] = {}
    for code, p in items:
        c, t = counts.get(code, (0, Decimal(0)))
        counts[code] = (c + 1, t + p)
    return [(code, *counts[code]) for code in _order(rules) if code in counts and counts[code][1] > 0]


def _allocate(total: int, groups: list[tuple[str, int, Decimal]], of_amount: int, rules: RuleSet,
              of_what: str) -> tuple[Deduction, ...]:
    """Split `total` rupiah over the groups by their percent of `of_amount`; the last takes the remainder."""
    out: list[Deduction] = []
    remaining = total
    for i, (code, count, pct) in enumerate(groups):
        amount = remaining if i == len(groups) - 1 else min(rupiah(Decimal(of_amount) * pct / 100), remaining)
        remaining -= amount
        each = pct / count
        out.append(Deduction(code=code, label=_label(rules, code), count=count, percent=pct, amount=amount,
                             rule=f"{count} x {fmt_pct(each)} = {fmt_pct(pct)} dari {of_what} {fmt_rp(of_amount)}"))
    return tuple(out)


def _check(inp: TppInputs) -> None:
    if inp.days_in_month <= 0:
        raise InvalidField("days_in_month", "must be above 0")
    segs = inp.segments()
    if any(p.days < 0 for p in segs) or sum(p.days for p in segs) > inp.days_in_month:
        raise InvalidField("posts", "days in post are between 0 and the days of the month")
    if not 0 <= inp.sanction_cut_percent <= 100:
        raise InvalidField("sanction_cut_percent", "a percent between 0 and 100")
    for name in ("workdays", "unexcused_absences_in_year", "escalated_tasks", "other_taxable_income",
                 "other_pph21_withheld", "bpjs_wage_base_elsewhere"):
        if getattr(inp, name) < 0:
            raise InvalidField(name, "never negative")


def _sanction(rules: RuleSet, inp: TppInputs) -> tuple[Decimal, str]:
    """The heaviest active sanction's percent and its rule (sanctions do not add up)."""
    found: list[tuple[Decimal, str]] = []
    if inp.sanction_cut_percent:
        found.append((inp.sanction_cut_percent, f"hukuman disiplin: {fmt_pct(inp.sanction_cut_percent)} (dari sanksi)"))
    if inp.sanction_level:
        pct, text = rules.sanction_step(inp.sanction_level, inp.sanction_months, inp.sanction_step)
        found.append((pct, text + " (Permentan 68/2012)"))
    band = rules.absence_year_band(inp.unexcused_absences_in_year)
    if band:
        found.append((band.percent, f"PP 94/2021: {inp.unexcused_absences_in_year} hari tanpa keterangan setahun "
                                    f"({band.low}-{band.high} hari"
                                    + (": di atasnya hukuman berat, sampai dijatuhkan tetap band ini"
                                       if inp.unexcused_absences_in_year > band.high else "")
                                    + f"): {fmt_pct(band.percent)} selama {band.months} bulan"))
    if not found:
        return Decimal(0), ""
    pct, text = max(found, key=lambda f: f[0])
    return pct, text + ("; yang terberat dari " + str(len(found)) + " sanksi, tidak dijumlahkan" if len(found) > 1 else "")


def compute_tpp(rules: RuleSet, inp: TppInputs) -> TppResult:
    _check(inp)
    with localcontext() as ctx:
        ctx.prec = 34
        # B = sum over the month's posts of base[kelas] x status factor x days / days in month (exact).
        parts = []
        for p in inp.segments():
            if p.kelas_jabatan not in rules.base_by_kelas:
                raise InvalidField("kelas_jabatan", f"kelas {p.kelas_jabatan} has no base in {rules.label}")
            parts.append((p, Decimal(rules.base_by_kelas[p.kelas_jabatan]),
                          rules.status_factor.get(p.employee_type, Decimal(1))))
        b = sum((base * factor * Decimal(p.days) / Decimal(inp.days_in_month) for p, base, factor in parts), Decimal(0))
        base_amount = rupiah(b)

        absent_days = sum(1 for d in inp.attendance if d.status == "tanpa_keterangan")
        excused_days = sum(1 for d in inp.attendance if d.status in rules.leave_reduces_target)
        effective_workdays = max(0, inp.workdays - excused_days)
        target = effective_workdays * rules.minutes_per_workday
        cap = target - (absent_days * rules.minutes_per_workday if rules.absence_hits_productivity else 0)
        if rules.productivity_measure == "points":  # K = min(points achieved / target, 1), priced by scoring
            k = min(max(inp.points_productivity or Decimal(0), Decimal(0)), Decimal(1))
        else:
            k = Decimal(max(0, min(inp.approved_minutes, cap))) / Decimal(target) if target > 0 else Decimal(0)

        deduction_percent, items = discipline_deductions(rules, inp.attendance)
        groups = _grouped(rules, items)
        d = max(Decimal(0), 1 - deduction_percent / 100)

        kinerja_full = rupiah(base_amount * rules.kinerja_share)
        disiplin_full = base_amount - kinerja_full
        kinerja = rupiah(base_amount * rules.kinerja_share * k)
        cuts: list[Deduction] = []
        if rules.deductions_apply_to == "disiplin":
            disiplin = rupiah(disiplin_full * d)
            attendance = _allocate(disiplin_full - disiplin, groups, disiplin_full, rules, "TPP disiplin penuh")
        else:  # "total": the attendance percent is cut from kinerja + disiplin
            disiplin = disiplin_full
            attendance = ()
        subtotal = kinerja + disiplin
        remaining = subtotal
        if rules.deductions_apply_to == "total" and groups:
            cut = min(rupiah(Decimal(subtotal) * min(deduction_percent, Decimal(100)) / 100), remaining)
            cuts.extend(_allocate(cut, groups, subtotal, rules, "kinerja + disiplin"))
            remaining -= cut

        sanction_pct, sanction_rule = _sanction(rules, inp)
        if sanction_pct:
            amount = min(rupiah(Decimal(remaining) * sanction_pct / 100), remaining)
            cuts.append(Deduction(code="sanction", label="Potongan hukuman disiplin", count=1, percent=sanction_pct,
                                  amount=amount, rule=f"{sanction_rule}; x {fmt_rp(remaining)}"))
            remaining -= amount
        after_sanction = remaining

        # Percent cuts of the TPP after the sanction (unvalidated_penalty, then the percent other cuts): one
        # rounding for their sum, split over the lines (the last takes the remainder), so that more work
        # can never leave less after them; then the fixed-rupiah cuts.
        known = {c.code for c in rules.other_cuts}
        unknown = [c for c in inp.other_cut_codes if c not in known]
        if unknown:
            raise InvalidField("other_cut_codes", f"{', '.join(unknown)} not in the rule set's other_cuts "
                               f"({', '.join(sorted(known)) or 'none'})")
        applicable = [c for c in rules.other_cuts if c.applies_to_all or c.code in inp.other_cut_codes]
        percent_lines: list[tuple[str, str, int, Decimal, str]] = []  # code, label, count, percent, rule
        up = rules.unvalidated_penalty
        if up is not None and inp.escalated_tasks > 0:
            pct = min(up.percent_per_task * inp.escalated_tasks, up.max_percent)
            percent_lines.append(("unvalidated_penalty", "Potongan atasan tidak memvalidasi", inp.escalated_tasks, pct,
                                  (f"{inp.escalated_tasks} tugas tereskalasi x {fmt_pct(up.percent_per_task)}, paling "
                                   f"banyak {fmt_pct(up.max_percent)} = {fmt_pct(pct)} x {fmt_rp(after_sanction)}")))
        for c in applicable:
            if c.percent is not None:
                percent_lines.append((f"other_cut.{c.code}", c.label, 1, c.percent,
                                      f"{fmt_pct(c.percent)} x {fmt_rp(after_sanction)}"))
        percent_lines = [x for x in percent_lines if x[3] > 0]
        if percent_lines:
            total_pct = min(sum((x[3] for x in percent_lines), Decimal(0)), Decimal(100))
            total_cut = min(rupiah(Decimal(after_sanction) * total_pct / 100), remaining)
            left = total_cut
            for i, (code, label, count, pct, rule) in enumerate(percent_lines):
                amount = left if i == len(percent_lines) - 1 else min(rupiah(Decimal(after_sanction) * pct / 100), left)
                left -= amount
                cuts.append(Deduction(code=code, label=label, count=count, percent=pct, amount=amount, rule=rule))
            remaining -= total_cut
        for c in applicable:
            if c.percent is None:
                amount = min(c.amount or 0, remaining)
                cuts.append(Deduction(code=f"other_cut.{c.code}", label=c.label, count=1, percent=None, amount=amount,
                                      rule=f"tetap {fmt_rp(c.amount or 0)}"
                                           + (" (dibatasi sisa TPP)" if amount < (c.amount or 0) else "")))
                remaining -= amount
        gross = remaining
        deductions = subtotal - gross

        # Net pay.
        np_ = rules.net_pay
        bpjs = bpjs_kesehatan(gross, percent=np_.bpjs_employee_percent, ceiling=np_.bpjs_ceiling,
                              wage_base_elsewhere=inp.bpjs_wage_base_elsewhere)
        tax = None
        if np_.ter is not None and (np_.pph21_mode == "withheld" or inp.ptkp_status):
            tax = pph21_ter(np_.ter, inp.ptkp_status, gross, other_income=inp.other_taxable_income,
                            other_withheld=inp.other_pph21_withheld)
        if np_.pph21_mode == "withheld":
            assert tax is not None  # parse refuses "withheld" without TER tables
            pph21, borne = min(tax.amount, gross - bpjs.amount), 0
        else:
            pph21, borne = 0, (tax.amount if tax else 0)
        net = gross - bpjs.amount - pph21

    reason = None
    paid_parts = [(p, factor) for p, _, factor in parts if p.days > 0]
    if not paid_parts:
        reason = "Tidak dibayar: tidak ada hari dalam jabatan di bulan ini"
    elif all(factor == 0 for _, factor in paid_parts):
        kinds = ", ".join(sorted({f"{p.employee_type} = 0" for p, _ in paid_parts}))
        reason = f"Tidak dibayar: faktor status {kinds} menurut {rules.label}"

    share = lambda x: fmt_pct(x * 100)  # noqa: E731
    lines: list[SlipLine] = []
    if reason:
        lines.append(SlipLine(code="reason", label="Keterangan", value="Rp0" if base_amount == 0 else fmt_rp(base_amount),
                              rule=reason))
    lines += [
        SlipLine(code="base", label="Basis TPP (B)", value=fmt_rp(base_amount),
                 rule=" + ".join(f"kelas {p.kelas_jabatan}: {fmt_rp(int(base))} x status {p.employee_type} "
                                 f"{factor} x {p.days}/{inp.days_in_month} hari" for p, base, factor in parts)
                 + "; dibulatkan ke rupiah (half-up)"),
        SlipLine(code="productivity", label="Produktivitas (K)", value=str(k.quantize(FACTOR_PLACES, ROUND_HALF_UP)),
                 rule=(f"poin: {inp.approved_points} poin disetujui; K dari scoring = min(poin / target, 1)"
                       if rules.productivity_measure == "points" else
                       f"min({inp.approved_minutes}, {cap}) / {target} menit "
                       f"({effective_workdays} hari kerja efektif x {rules.minutes_per_workday}, "
                       f"{absent_days} hari tanpa keterangan"
                       + (f", {excused_days} hari izin/cuti di luar target" if excused_days else "") + ")")),
        SlipLine(code="kinerja", label="TPP kinerja", value=fmt_rp(kinerja),
                 rule=f"B x {share(rules.kinerja_share)} x K (K eksak, ditampilkan 5 desimal), "
                      "dibulatkan ke rupiah (half-up)"),
        SlipLine(code="discipline_factor", label="Faktor disiplin (D)", value=str(d.quantize(FACTOR_PLACES, ROUND_HALF_UP)),
                 rule="1 - (" + (" + ".join(f"{c} {n} x {fmt_pct(p / n)}" for c, n, p in groups) or "0") + ")"
                      + (", dipotong dari kinerja + disiplin" if rules.deductions_apply_to == "total" else "")),
        SlipLine(code="disiplin", label="TPP disiplin", value=fmt_rp(disiplin),
                 rule=(f"TPP disiplin penuh {fmt_rp(disiplin_full)} (B - B x {share(rules.kinerja_share)}) x D, "
                       "dibulatkan ke rupiah (half-up)" if rules.deductions_apply_to == "disiplin" else
                       f"TPP disiplin penuh: B - B x {share(rules.kinerja_share)}")),
    ]
    lines += [SlipLine(code=f"deduction.{a.code}", label=a.label, value=fmt_rp(a.amount), rule=a.rule) for a in attendance]
    for c in cuts:
        code = c.code if c.code in ("sanction", "unvalidated_penalty") or c.code.startswith("other_cut.") \
            else f"deduction.{c.code}"
        lines.append(SlipLine(code=code, label=c.label, value=fmt_rp(c.amount), rule=c.rule))
    lines.append(SlipLine(code="total", label="TPP bruto", value=fmt_rp(gross),
                          rule=f"kinerja + disiplin - potongan = {fmt_rp(kinerja)} + {fmt_rp(disiplin)} - {fmt_rp(deductions)}"))
    lines.append(SlipLine(code="bpjs_kesehatan", label="Iuran BPJS Kesehatan (pegawai)", value=fmt_rp(bpjs.amount),
                          rule=f"{fmt_pct(np_.bpjs_employee_percent)} x {fmt_rp(bpjs.basis)} (TPP bruto, batas "
                               f"{fmt_rp(np_.bpjs_ceiling)}" + (f" dikurangi {fmt_rp(inp.bpjs_wage_base_elsewhere)} "
                               "upah di daftar gaji" if inp.bpjs_wage_base_elsewhere else "") + "; Perpres 64/2020)"))
    if tax is not None:
        ter_rule = (f"TER kategori {tax.category} ({tax.ptkp_status}" + (", dianggap: PTKP tidak diketahui" if tax.assumed_ptkp else "")
                    + f") {fmt_pct(tax.percent)} x {fmt_rp(tax.looked_up)}"
                    + (f" - {fmt_rp(inp.other_pph21_withheld)} sudah dipotong" if inp.other_pph21_withheld else "")
                    + f" (PMK 168/2023) = {fmt_rp(tax.amount)}")
    else:
        ter_rule = "status PTKP tidak diketahui: tidak dihitung"
    lines.append(SlipLine(code="pph21", label="PPh 21 dipotong", value=fmt_rp(pph21),
                          rule=(ter_rule + (" (dibatasi sisa TPP)" if tax and pph21 < tax.amount else "")
                                if np_.pph21_mode == "withheld" else f"ditanggung APBD, tidak dipotong; {ter_rule}")))
    lines.append(SlipLine(code="net", label="TPP bersih", value=fmt_rp(net),
                          rule=f"bruto - BPJS - PPh 21 = {fmt_rp(gross)} - {fmt_rp(bpjs.amount)} - {fmt_rp(pph21)}"))
    return TppResult(base_amount=base_amount, kinerja_amount=kinerja, disiplin_amount=disiplin,
                     deductions=deductions, total_amount=gross,
                     productivity=k.quantize(FACTOR_PLACES, ROUND_HALF_UP),
                     discipline_factor=d.quantize(FACTOR_PLACES, ROUND_HALF_UP), breakdown=lines,
                     disiplin_full_amount=disiplin_full, attendance_deductions=attendance, cuts=tuple(cuts),
                     sanction_cut_percent=sanction_pct, gross_amount=gross, bpjs_amount=bpjs.amount,
                     pph21_amount=pph21, pph21_borne_amount=borne, pph21_mode=np_.pph21_mode,
                     ter_category=tax.category if tax else None, ter_percent=tax.percent if tax else None,
                     net_amount=net, reason=reason)
