"""TPP rule sets as versioned data (regulation, effective date), grouped in profiles. Pure parsing,
validation and selection; no I/O (the loader in tpp_service.region reads the files).

Money rules are exact: every number is an int, a Decimal or a decimal string; a binary float
(e.g. 0.6 from JSON read without `parse_float=Decimal`), NaN or Infinity refuses the rule set.

A rule set is validated whole when loaded. A refusal is a RuleSetError whose `field` is the path of the
offending value (e.g. `rule_sets[0].deductions_percent.late_or_early[2]`) and whose message names the
profile and the rule set, e.g.
    rule_sets[0].deductions_percent.late_or_early[2]: bands overlap (profile permentan, rule set 'Permentan 68/2012')

Keys of a rule set (DOMAIN.md, TPP). Required, as in the first rules.json: regulation, effective_from,
kinerja_share, disiplin_share (sum exactly 1), minutes_per_workday, status_factor (0..1 per employee type;
0 pays nothing and the slip says why), base_by_kelas (whole rupiah per kelas jabatan 1..17),
deductions_percent {late_or_early: TL/PSW bands [low, high|null, percent], contiguous from minute 1,
non-overlapping, the last open; missing_check; tanpa_keterangan_per_day; apel_missed; leave {status: percent}}.
Optional, with the DOMAIN.md defaults:
    absence_hits_productivity, absence_hits_discipline   true, true (the absence switches)
    productivity_measure        "minutes" | "points"                         default minutes
    deductions_apply_to         "disiplin" (D scales TPP disiplin) | "total" (the attendance percent is cut
                                from kinerja + disiplin)                     default disiplin
    leave_reduces_target        leave statuses that are not effective workdays (the minutes target shrinks
                                by them)                                     default [] (none)
    hukuman_disiplin            {ringan: [[months, percent], ...], sedang: [...], berat: [...],
                                 pemberhentian_banding: percent}             default Permentan 68/2012:
                                ringan 20/30/40% for 1/2/3 months, sedang 40/50/60% for 6/8/10 months,
                                berat 60/70/80% for 12 months, dismissal under appeal 100%
    absence_in_year_cut         [[low_days, high_days, percent, months], ...] default PP 94/2021:
                                25% for 6/9/12 months at 11-13/14-16/17-20 days without leave in a year
    unvalidated_penalty         null | {percent_per_task, max_percent}: a superior's cut per task that
                                escalated past them (DKI style)              default null (off)
    other_cuts                  [{code, label, percent | amount, all}]: named percent or fixed-rupiah cuts;
                                all=true applies to everyone, else by the employee's inputs   default []
    rounding                    "component_half_up" (the only rule: B is rounded to rupiah first, then each
                                rupiah component once, half-up, from the rounded B)           default
    net_pay                     {bpjs_kesehatan: {employee_percent, ceiling}, pph21: {mode}}  default
                                1% of gross TPP capped at Rp12,000,000 (Perpres 64/2020); PPh 21 "borne"
                                (ditanggung APBD) or "withheld" (TER, PMK 168/2023)   default borne
Keys beginning with "_" are comments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from kinerja_kit.errors import InvalidField
from tpp_service.domain.netpay import PPH21_MODES, TerTables

SANCTION_LEVELS = ("ringan", "sedang", "berat")
DISMISSAL = "pemberhentian_banding"
ROUNDING = "component_half_up"


class RuleSetError(InvalidField):
    """A rule set that cannot be applied; `field` is the path of the offending value, `reason` the rule
    broken; the message also names the profile and the rule set."""

    def __init__(self, field: str, message: str, *, profile: str | None = None, rule_set: str | None = None) -> None:
        where = ", ".join(x for x in (f"profile {profile}" if profile else "",
                                      f"rule set {rule_set!r}" if rule_set else "") if x)
        super().__init__(field, f"{message} ({where})" if where else message)
        self.reason, self.profile, self.rule_set = message, profile, rule_set


@dataclass(frozen=True)
class LateBand:
    low: int
    high: int | None
    percent: Decimal


@dataclass(frozen=True)
class SanctionStep:
    """One hukuman disiplin of a level: the TPP is cut by `percent` for `months` months."""
    months: int
    percent: Decimal


@dataclass(frozen=True)
class AbsenceYearBand:
    """PP 94/2021: `low`..`high` days without leave in a year cut the TPP by `percent` for `months` months."""
    low: int
    high: int
    percent: Decimal
    months: int


@dataclass(frozen=True)
class UnvalidatedPenalty:
    percent_per_task: Decimal
    max_percent: Decimal


@dataclass(frozen=True)
class OtherCut:
    code: str
    label: str
    percent: Decimal | None  # of the TPP after the sanction cut; None for a fixed rupiah cut
    amount: int | None
    applies_to_all: bool


@dataclass(frozen=True)
class NetPayRules:
    bpjs_employee_percent: Decimal = Decimal(1)
    bpjs_ceiling: int = 12_000_000
    pph21_mode: str = "borne"
    ter: TerTables | None = None  # the PMK 168/2023 tables, given by the loader


def _default_hukuman_disiplin() -> dict[str, tuple[SanctionStep, ...]]:
    s = SanctionStep
    return {"ringan": (s(1, Decimal(20)), s(2, Decimal(30)), s(3, Decimal(40))),
            "sedang": (s(6, Decimal(40)), s(8, Decimal(50)), s(10, Decimal(60))),
            "berat": (s(12, Decimal(60)), s(12, Decimal(70)), s(12, Decimal(80)))}


def _default_absence_year_bands() -> tuple[AbsenceYearBand, ...]:
    return (AbsenceYearBand(11, 13, Decimal(25), 6), AbsenceYearBand(14, 16, Decimal(25), 9),
            AbsenceYearBand(17, 20, Decimal(25), 12))


@dataclass(frozen=True)
class RuleSet:
    regulation: str
    effective_from: date
    kinerja_share: Decimal
    disiplin_share: Decimal
    minutes_per_workday: int
    absence_hits_productivity: bool
    absence_hits_discipline: bool
    status_factor: dict[str, Decimal]
    base_by_kelas: dict[int, int]
    late_bands: tuple[LateBand, ...]
    missing_check_percent: Decimal
    absent_day_percent: Decimal
    apel_missed_percent: Decimal
    leave_percent: dict[str, Decimal]
    productivity_measure: str = "minutes"  # minutes: K from approved minutes; points: scoring's K (Jambi style)
    profile: str = "default"
    deductions_apply_to: str = "disiplin"
    leave_reduces_target: frozenset[str] = frozenset()
    hukuman_disiplin: dict[str, tuple[SanctionStep, ...]] = field(default_factory=_default_hukuman_disiplin)
    dismissal_percent: Decimal = Decimal(100)
    absence_year_bands: tuple[AbsenceYearBand, ...] = field(default_factory=_default_absence_year_bands)
    unvalidated_penalty: UnvalidatedPenalty | None = None
    other_cuts: tuple[OtherCut, ...] = ()
    rounding: str = ROUNDING
    net_pay: NetPayRules = field(default_factory=NetPayRules)

    @property
    def label(self) -> str:
        return f"{self.regulation} (berlaku {self.effective_from.isoformat()})"

    def sanction_step(self, level: str, months: int | None, step: int | None) -> tuple[Decimal, str]:
        """The cut of a hukuman disiplin from the table: by level and months, or by level and step (1 = the
        lightest of the level) where months alone are ambiguous (the three berat sanctions all run 12)."""
        if level == DISMISSAL:
            return self.dismissal_percent, f"pemberhentian, dalam banding: {self.dismissal_percent}%"
        steps = self.hukuman_disiplin.get(level)
        if steps is None:
            raise InvalidField("sanction_level", f"{level!r} is not one of {', '.join(SANCTION_LEVELS + (DISMISSAL,))}")
        if step is not None:
            if not 1 <= step <= len(steps):
                raise InvalidField("sanction_step", f"{level} has steps 1..{len(steps)}")
            chosen = steps[step - 1]
            if months is not None and months != chosen.months:
                raise InvalidField("sanction_months", f"{level} step {step} runs {chosen.months} months, not {months}")
        else:
            if months is None:
                raise InvalidField("sanction_months", f"required with sanction_level {level}")
            matches = [s for s in steps if s.months == months]
            if not matches:
                raise InvalidField("sanction_months", f"{level} sanctions run "
                                   f"{'/'.join(str(s.months) for s in steps)} months, not {months}")
            if len(matches) > 1:
                raise InvalidField("sanction_step", f"{len(matches)} {level} sanctions run {months} months "
                                   f"({'/'.join(f'{s.percent}%' for s in matches)}): say which with sanction_step")
            chosen = matches[0]
        return chosen.percent, f"hukuman disiplin {level}, {chosen.months} bulan: {chosen.percent}%"

    def absence_year_band(self, days: int) -> AbsenceYearBand | None:
        """The band holding `days`. Past the last band (PP 94/2021: 21 days and more are a hukuman berat)
        the last band still applies, so more absence never cuts less; the berat sanction, once imposed,
        comes as a sanction_level and, being heavier, replaces it."""
        if self.absence_year_bands and days > self.absence_year_bands[-1].high:
            return self.absence_year_bands[-1]
        return next((b for b in self.absence_year_bands if b.low <= days <= b.high), None)


# ---------------------------------------------------------------- parsing

def exact(value: Any, path: str) -> Decimal:
    """`value` as an exact Decimal, or RuleSetError naming `path`."""
    if isinstance(value, bool) or isinstance(value, float):
        raise RuleSetError(path, f"{value!r} is not an exact decimal (write it as a string, e.g. \"0.6\")")
    try:
        d = value if isinstance(value, Decimal) else Decimal(value) if isinstance(value, (int, str)) else None
    except InvalidOperation:
        d = None
    if d is None or not d.is_finite():
        raise RuleSetError(path, f"{value!r} is not a decimal number")
    return d


def rupiah_amount(value: Any, path: str) -> int:
    d = exact(value, path)
    if d != d.to_integral_value() or d < 0:
        raise RuleSetError(path, f"{value!r} is not a whole, non-negative rupiah amount")
    return int(d)


def whole(value: Any, path: str) -> int:
    d = exact(value, path)
    if d != d.to_integral_value():
        raise RuleSetError(path, f"{value!r} is not a whole number")
    return int(d)


def percent(value: Any, path: str) -> Decimal:
    d = exact(value, path)
    if not 0 <= d <= 100:
        raise RuleSetError(path, f"{value!r} is not a percent between 0 and 100")
    return d


def fraction(value: Any, path: str) -> Decimal:
    d = exact(value, path)
    if not 0 <= d <= 1:
        raise RuleSetError(path, f"{value!r} is not a factor between 0 and 1")
    return d


def _obj(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise RuleSetError(path, "must be an object")
    return value


def _list(value: Any, path: str) -> list:
    if not isinstance(value, list):
        raise RuleSetError(path, "must be a list")
    return value


def _req(raw: dict, key: str, where: str) -> Any:
    if key not in raw:
        raise RuleSetError(f"{where}.{key}", "missing")
    return raw[key]


def _flag(raw: dict, key: str, where: str, default: bool) -> bool:
    v = raw.get(key, default)
    if not isinstance(v, bool):
        raise RuleSetError(f"{where}.{key}", f"{v!r} is not true or false")
    return v


def _choice(raw: dict, key: str, where: str, choices: tuple[str, ...], default: str) -> str:
    v = raw.get(key, default)
    if v not in choices:
        raise RuleSetError(f"{where}.{key}", f"{v!r} is not one of {' | '.join(choices)}")
    return v


def _known_keys(raw: dict, allowed: set[str], where: str) -> None:
    for k in raw:
        if not str(k).startswith("_") and k not in allowed:
            raise RuleSetError(f"{where}.{k}", f"unknown key (known: {', '.join(sorted(allowed))})")


RULE_SET_KEYS = {"regulation", "effective_from", "kinerja_share", "disiplin_share", "minutes_per_workday",
                 "absence_hits_productivity", "absence_hits_discipline", "status_factor", "base_by_kelas",
                 "deductions_percent", "productivity_measure", "deductions_apply_to", "leave_reduces_target",
                 "hukuman_disiplin", "absence_in_year_cut", "unvalidated_penalty", "other_cuts", "rounding", "net_pay"}
DEDUCTION_KEYS = {"late_or_early", "missing_check", "tanpa_keterangan_per_day", "apel_missed", "leave"}


def _late_bands(raw: Any, path: str) -> tuple[LateBand, ...]:
    """TL/PSW bands: from minute 1, each next band starting one minute after the last ended, the last open."""
    if not isinstance(raw, list) or not raw:
        raise RuleSetError(path, "a non-empty list of [low_minutes, high_minutes or null, percent]")
    bands: list[LateBand] = []
    for i, item in enumerate(raw):
        p = f"{path}[{i}]"
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise RuleSetError(p, "must be [low_minutes, high_minutes or null, percent]")
        lo = whole(item[0], f"{p}[0]")
        hi = None if item[1] is None else whole(item[1], f"{p}[1]")
        pc = percent(item[2], f"{p}[2]")
        if hi is not None and hi < lo:
            raise RuleSetError(p, f"high {hi} is below low {lo}")
        if not bands:
            if lo != 1:
                raise RuleSetError(f"{p}[0]", "the first band starts at minute 1")
        else:
            prev = bands[-1]
            if prev.high is None or lo <= prev.high:
                raise RuleSetError(p, "bands overlap")
            if lo > prev.high + 1:
                raise RuleSetError(p, f"bands are not contiguous: minutes {prev.high + 1}..{lo - 1} have no band")
        bands.append(LateBand(lo, hi, pc))
    if bands[-1].high is not None:
        raise RuleSetError(f"{path}[{len(bands) - 1}][1]", "the last band must be open-ended (null)")
    return tuple(bands)


def _hukuman_disiplin(raw: Any, path: str) -> tuple[dict[str, tuple[SanctionStep, ...]], Decimal]:
    raw = _obj(raw, path)
    _known_keys(raw, set(SANCTION_LEVELS) | {DISMISSAL}, path)
    table: dict[str, tuple[SanctionStep, ...]] = {}
    for level in SANCTION_LEVELS:
        rows = _list(_req(raw, level, path), f"{path}.{level}")
        if not rows:
            raise RuleSetError(f"{path}.{level}", "at least one [months, percent]")
        steps = []
        for i, row in enumerate(rows):
            p = f"{path}.{level}[{i}]"
            if not isinstance(row, list) or len(row) != 2:
                raise RuleSetError(p, "must be [months, percent]")
            months = whole(row[0], f"{p}[0]")
            if months < 1:
                raise RuleSetError(f"{p}[0]", "a sanction runs at least 1 month")
            steps.append(SanctionStep(months, percent(row[1], f"{p}[1]")))
        table[level] = tuple(steps)
    return table, percent(_req(raw, DISMISSAL, path), f"{path}.{DISMISSAL}")


def _absence_year_bands(raw: Any, path: str) -> tuple[AbsenceYearBand, ...]:
    out: list[AbsenceYearBand] = []
    for i, row in enumerate(_list(raw, path)):
        p = f"{path}[{i}]"
        if not isinstance(row, list) or len(row) != 4:
            raise RuleSetError(p, "must be [low_days, high_days, percent, months]")
        lo, hi = whole(row[0], f"{p}[0]"), whole(row[1], f"{p}[1]")
        if lo < 1 or hi < lo:
            raise RuleSetError(p, f"days {lo}..{hi} are not a range of at least one day")
        if out and lo <= out[-1].high:
            raise RuleSetError(p, "bands overlap")
        months = whole(row[3], f"{p}[3]")
        if months < 1:
            raise RuleSetError(f"{p}[3]", "a cut runs at least 1 month")
        out.append(AbsenceYearBand(lo, hi, percent(row[2], f"{p}[2]"), months))
    return tuple(out)


def _unvalidated_penalty(raw: Any, path: str) -> UnvalidatedPenalty | None:
    if raw is None:
        return None
    raw = _obj(raw, path)
    _known_keys(raw, {"percent_per_task", "max_percent"}, path)
    return UnvalidatedPenalty(percent(_req(raw, "percent_per_task", path), f"{path}.percent_per_task"),
                              percent(_req(raw, "max_percent", path), f"{path}.max_percent"))


def _other_cuts(raw: Any, path: str) -> tuple[OtherCut, ...]:
    out: list[OtherCut] = []
    for i, item in enumerate(_list(raw, path)):
        p = f"{path}[{i}]"
        item = _obj(item, p)
        _known_keys(item, {"code", "label", "percent", "amount", "all"}, p)
        code = _req(item, "code", p)
        if not isinstance(code, str) or not code:
            raise RuleSetError(f"{p}.code", "a non-empty name")
        if any(c.code == code for c in out):
            raise RuleSetError(f"{p}.code", f"{code!r} is named twice")
        if ("percent" in item) == ("amount" in item):
            raise RuleSetError(p, "give exactly one of percent or amount")
        all_ = item.get("all", False)
        if not isinstance(all_, bool):
            raise RuleSetError(f"{p}.all", f"{all_!r} is not true or false")
        out.append(OtherCut(code=code, label=str(item.get("label", code)),
                            percent=percent(item["percent"], f"{p}.percent") if "percent" in item else None,
                            amount=rupiah_amount(item["amount"], f"{p}.amount") if "amount" in item else None,
                            applies_to_all=all_))
    return tuple(out)


def _net_pay(raw: Any, path: str, ter: TerTables | None) -> NetPayRules:
    raw = _obj(raw, path)
    _known_keys(raw, {"bpjs_kesehatan", "pph21"}, path)
    bpjs = _obj(raw.get("bpjs_kesehatan", {}), f"{path}.bpjs_kesehatan")
    _known_keys(bpjs, {"employee_percent", "ceiling"}, f"{path}.bpjs_kesehatan")
    pph = _obj(raw.get("pph21", {}), f"{path}.pph21")
    _known_keys(pph, {"mode"}, f"{path}.pph21")
    mode = _choice(pph, "mode", f"{path}.pph21", PPH21_MODES, "borne")
    if mode == "withheld" and ter is None:
        raise RuleSetError(f"{path}.pph21.mode", "withheld needs the TER tables (load the rule sets through "
                           "tpp_service.region, or pass ter=)")
    return NetPayRules(
        bpjs_employee_percent=percent(bpjs.get("employee_percent", "1"), f"{path}.bpjs_kesehatan.employee_percent"),
        bpjs_ceiling=rupiah_amount(bpjs.get("ceiling", 12_000_000), f"{path}.bpjs_kesehatan.ceiling"),
        pph21_mode=mode, ter=ter)


def _parse(raw: Any, where: str, profile: str, ter: TerTables | None) -> RuleSet:
    raw = _obj(raw, where)
    _known_keys(raw, RULE_SET_KEYS, where)
    regulation = _req(raw, "regulation", where)
    if not isinstance(regulation, str) or not regulation.strip():
        raise RuleSetError(f"{where}.regulation", "the regulation's name (e.g. \"Perwali 12/2026\")")
    try:
        effective_from = date.fromisoformat(_req(raw, "effective_from", where))
    except (TypeError, ValueError):
        raise RuleSetError(f"{where}.effective_from", f"{raw['effective_from']!r} is not a date YYYY-MM-DD") from None
    kinerja_share = fraction(_req(raw, "kinerja_share", where), f"{where}.kinerja_share")
    disiplin_share = fraction(_req(raw, "disiplin_share", where), f"{where}.disiplin_share")
    if kinerja_share + disiplin_share != 1:
        raise RuleSetError(f"{where}.kinerja_share", "kinerja_share + disiplin_share must be exactly 1")
    minutes = whole(_req(raw, "minutes_per_workday", where), f"{where}.minutes_per_workday")
    if minutes <= 0:
        raise RuleSetError(f"{where}.minutes_per_workday", "must be above 0")
    factors = _obj(_req(raw, "status_factor", where), f"{where}.status_factor")
    bases = _obj(_req(raw, "base_by_kelas", where), f"{where}.base_by_kelas")
    base_by_kelas: dict[int, int] = {}
    for k, v in bases.items():
        try:
            kelas = int(k)
        except ValueError:
            raise RuleSetError(f"{where}.base_by_kelas.{k}", "a kelas jabatan is a number 1..17") from None
        if not 1 <= kelas <= 17:
            raise RuleSetError(f"{where}.base_by_kelas.{k}", "a kelas jabatan is a number 1..17")
        base_by_kelas[kelas] = rupiah_amount(v, f"{where}.base_by_kelas.{k}")
    if not base_by_kelas:
        raise RuleSetError(f"{where}.base_by_kelas", "no kelas has a base")
    dw = f"{where}.deductions_percent"
    d = _obj(_req(raw, "deductions_percent", where), dw)
    _known_keys(d, DEDUCTION_KEYS, dw)
    leave = _obj(_req(d, "leave", dw), f"{dw}.leave")
    leave_percent = {k: percent(v, f"{dw}.leave.{k}") for k, v in leave.items()}
    reduces = _list(raw.get("leave_reduces_target", []), f"{where}.leave_reduces_target")
    for i, status in enumerate(reduces):
        if status not in leave_percent:
            raise RuleSetError(f"{where}.leave_reduces_target[{i}]", f"{status!r} is not a leave type in "
                               f"deductions_percent.leave ({', '.join(leave_percent)})")
    table, dismissal = (_hukuman_disiplin(raw["hukuman_disiplin"], f"{where}.hukuman_disiplin")
                        if "hukuman_disiplin" in raw else (_default_hukuman_disiplin(), Decimal(100)))
    rounding = raw.get("rounding", ROUNDING)
    if rounding != ROUNDING:
        raise RuleSetError(f"{where}.rounding", f"{rounding!r}: the only rounding is {ROUNDING!r} (B rounded to "
                           "rupiah first, then each rupiah component once, half-up)")
    return RuleSet(
        regulation=regulation,
        effective_from=effective_from,
        kinerja_share=kinerja_share,
        disiplin_share=disiplin_share,
        minutes_per_workday=minutes,
        absence_hits_productivity=_flag(raw, "absence_hits_productivity", where, True),
        absence_hits_discipline=_flag(raw, "absence_hits_discipline", where, True),
        status_factor={k: fraction(v, f"{where}.status_factor.{k}") for k, v in factors.items()},
        base_by_kelas=base_by_kelas,
        late_bands=_late_bands(_req(d, "late_or_early", dw), f"{dw}.late_or_early"),
        missing_check_percent=percent(_req(d, "missing_check", dw), f"{dw}.missing_check"),
        absent_day_percent=percent(_req(d, "tanpa_keterangan_per_day", dw), f"{dw}.tanpa_keterangan_per_day"),
        apel_missed_percent=percent(_req(d, "apel_missed", dw), f"{dw}.apel_missed"),
        leave_percent=leave_percent,
        productivity_measure=_choice(raw, "productivity_measure", where, ("minutes", "points"), "minutes"),
        profile=profile,
        deductions_apply_to=_choice(raw, "deductions_apply_to", where, ("disiplin", "total"), "disiplin"),
        leave_reduces_target=frozenset(reduces),
        hukuman_disiplin=table,
        dismissal_percent=dismissal,
        absence_year_bands=(_absence_year_bands(raw["absence_in_year_cut"], f"{where}.absence_in_year_cut")
                            if "absence_in_year_cut" in raw else _default_absence_year_bands()),
        unvalidated_penalty=_unvalidated_penalty(raw.get("unvalidated_penalty"), f"{where}.unvalidated_penalty"),
        other_cuts=_other_cuts(raw.get("other_cuts", []), f"{where}.other_cuts"),
        rounding=rounding,
        net_pay=_net_pay(raw.get("net_pay", {}), f"{where}.net_pay", ter),
    )


def parse_rule_set(raw: dict, where: str = "rule_set", *, profile: str = "default",
                   ter: TerTables | None = None) -> RuleSet:
    """One rule set from its JSON shape; refused whole (RuleSetError naming path, profile and rule set)."""
    try:
        return _parse(raw, where, profile, ter)
    except RuleSetError as e:
        name = raw.get("regulation") if isinstance(raw, dict) and isinstance(raw.get("regulation"), str) else None
        raise RuleSetError(e.field or where, e.reason, profile=profile, rule_set=name) from None


def parse_rule_sets(raw: dict, *, profile: str | None = None, ter: TerTables | None = None) -> list[RuleSet]:
    """A profile's rule sets (its versions); two versions may not take effect on the same day."""
    name = profile or (raw.get("profile") if isinstance(raw, dict) else None) or "default"
    if not isinstance(raw, dict) or not isinstance(raw.get("rule_sets"), list) or not raw["rule_sets"]:
        raise RuleSetError("rule_sets", "missing: a non-empty list of rule sets", profile=name)
    out: list[RuleSet] = []
    for i, r in enumerate(raw["rule_sets"]):
        rules = parse_rule_set(r, f"rule_sets[{i}]", profile=name, ter=ter)
        if any(o.effective_from == rules.effective_from for o in out):
            raise RuleSetError(f"rule_sets[{i}].effective_from", f"another rule set already takes effect on "
                               f"{rules.effective_from}", profile=name, rule_set=rules.regulation)
        out.append(rules)
    return out


def rule_set_for(rule_sets: list[RuleSet], period_first_day: date) -> RuleSet:
    """The newest rule set in force on the first day of the period."""
    eligible = [r for r in rule_sets if r.effective_from <= period_first_day]
    if not eligible:
        raise InvalidField("period", f"no TPP rule set in force on {period_first_day}")
    return max(eligible, key=lambda r: r.effective_from)
