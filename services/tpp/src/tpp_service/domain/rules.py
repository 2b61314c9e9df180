"""TPP rule sets as versioned data (regulation, effective date). Pure parsing and selection.

Money rules are exact: every number is an int, a Decimal or a decimal string; a binary float
(e.g. 0.6 from JSON read without `parse_float=Decimal`), NaN or Infinity refuses the rule set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from kinerja_kit.errors import InvalidField


class RuleSetError(InvalidField):
    """A rule set that cannot be applied; `field` is the path of the offending value."""


@dataclass(frozen=True)
class LateBand:
    low: int
    high: int | None
    percent: Decimal


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

    @property
    def label(self) -> str:
        return f"{self.regulation} (berlaku {self.effective_from.isoformat()})"


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


def parse_rule_set(raw: dict, where: str = "rule_set") -> RuleSet:
    """One rule set from its JSON shape; refused whole when any number is not exact."""
    try:
        d = raw["deductions_percent"]
        rules = RuleSet(
            regulation=raw["regulation"],
            effective_from=date.fromisoformat(raw["effective_from"]),
            kinerja_share=exact(raw["kinerja_share"], f"{where}.kinerja_share"),
            disiplin_share=exact(raw["disiplin_share"], f"{where}.disiplin_share"),
            minutes_per_workday=whole(raw["minutes_per_workday"], f"{where}.minutes_per_workday"),
            absence_hits_productivity=bool(raw["absence_hits_productivity"]),
            absence_hits_discipline=bool(raw["absence_hits_discipline"]),
            status_factor={k: exact(v, f"{where}.status_factor.{k}") for k, v in raw["status_factor"].items()},
            base_by_kelas={int(k): rupiah_amount(v, f"{where}.base_by_kelas.{k}")
                           for k, v in raw["base_by_kelas"].items()},
            late_bands=tuple(
                LateBand(whole(lo, f"{where}.deductions_percent.late_or_early[{i}][0]"),
                         None if hi is None else whole(hi, f"{where}.deductions_percent.late_or_early[{i}][1]"),
                         exact(p, f"{where}.deductions_percent.late_or_early[{i}][2]"))
                for i, (lo, hi, p) in enumerate(d["late_or_early"])),
            missing_check_percent=exact(d["missing_check"], f"{where}.deductions_percent.missing_check"),
            absent_day_percent=exact(d["tanpa_keterangan_per_day"], f"{where}.deductions_percent.tanpa_keterangan_per_day"),
            apel_missed_percent=exact(d["apel_missed"], f"{where}.deductions_percent.apel_missed"),
            leave_percent={k: exact(v, f"{where}.deductions_percent.leave.{k}") for k, v in d["leave"].items()},
            productivity_measure=raw.get("productivity_measure", "minutes"),
        )
    except KeyError as exc:
        raise RuleSetError(f"{where}.{exc.args[0]}", "missing") from None
    except (TypeError, ValueError) as exc:
        raise RuleSetError(where, str(exc)) from None
    if rules.productivity_measure not in ("minutes", "points"):
        raise RuleSetError(f"{where}.productivity_measure", "minutes or points")
    if rules.kinerja_share + rules.disiplin_share != 1:
        raise RuleSetError(f"{where}.kinerja_share", "kinerja_share + disiplin_share must be exactly 1")
    return rules


def parse_rule_sets(raw: dict) -> list[RuleSet]:
    return [parse_rule_set(r, f"rule_sets[{i}]") for i, r in enumerate(raw["rule_sets"])]


def rule_set_for(rule_sets: list[RuleSet], period_first_day: date) -> RuleSet:
    """The newest rule set in force on the first day of the period."""
    eligible = [r for r in rule_sets if r.effective_from <= period_first_day]
    if not eligible:
        raise InvalidField("period", f"no TPP rule set in force on {period_first_day}")
    return max(eligible, key=lambda r: r.effective_from)
