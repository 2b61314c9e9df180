"""Hukuman disiplin that cut TPP (DOMAIN.md, TPP: sanction_cut). Pure: rule-set parsing, the
lookup of a level's cut, and the dated range a sanction covers.

The cut percentage is the region's (its rule set in force on the sanction's start date), never the
client's. Rule sets are versioned data: `regulation`, `effective_from` and `levels`, each level
either a table of allowed months → cut (`cut_percent_by_months`) or one cut for a range of months
(`cut_percent` with `months_min` / `months_max`). Numbers are exact: an int, a Decimal or a decimal
string; a binary float (JSON read without `parse_float=Decimal`), NaN or Infinity refuses the whole
file, naming the value's place (e.g. `rule_sets[0].levels.ringan.cut_percent_by_months.1`).

Range rule (`effective_until`): add the months to the start date, clamping the day to the end of
the target month, then go back one day. 2026-11-15 + 1 month → 2026-12-14; 2026-01-31 + 1 month →
2026-02-28 (clamped) − 1 day → 2026-02-27. So a sanction covers whole months from its start and
the next one may start the day after it ends; starts on the 28th–31st of a month before a shorter
month therefore end on the same day."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from kinerja_kit.errors import InvalidField

CENT = Decimal("0.01")
LEVEL_CODE = re.compile(r"[a-z0-9_]{1,40}")
MAX_MONTHS = 600  # 50 years: anything longer in a rule set is a typo
MAX_REGULATION = 300
MAX_SK_NUMBER = 100


class DisciplineRulesError(InvalidField):
    """A discipline rule set that cannot be applied; `field` is the path of the offending value."""


@dataclass(frozen=True)
class SanctionLevel:
    """One level of the rule set: the months it may run and the TPP cut for each."""
    code: str
    name: str
    cut_by_months: dict[int, Decimal] | None = None  # a table of allowed months, or
    cut_percent: Decimal | None = None  # one cut for any months in [months_min, months_max]
    months_min: int = 1
    months_max: int = 1

    def allowed_months(self) -> str:
        if self.cut_by_months is not None:
            return ", ".join(str(m) for m in sorted(self.cut_by_months))
        return f"{self.months_min} to {self.months_max}"

    def cut_for(self, months: int) -> Decimal:
        """The cut for a sanction of `months`, or InvalidField naming `months`."""
        if self.cut_by_months is not None:
            if months in self.cut_by_months:
                return self.cut_by_months[months]
        elif self.months_min <= months <= self.months_max and self.cut_percent is not None:
            return self.cut_percent
        raise InvalidField("months", f"level {self.code} runs {self.allowed_months()} months, not {months}")


@dataclass(frozen=True)
class DisciplineRuleSet:
    regulation: str
    effective_from: date
    levels: dict[str, SanctionLevel]


@dataclass(frozen=True)
class SanctionTerms:
    """What the region's rules make of a decree: the cut, the dated range and the regulation."""
    level: str
    months: int
    cut_percent: Decimal
    effective_from: date
    effective_until: date
    regulation: str


# --- parsing ---------------------------------------------------------------------------------

def exact(value: Any, path: str) -> Decimal:
    """`value` as an exact Decimal, or DisciplineRulesError naming `path`."""
    if isinstance(value, (bool, float)):
        raise DisciplineRulesError(path, f"{value!r} is not an exact decimal (write it as an integer or a string, "
                                         "e.g. \"20\")")
    try:
        d = value if isinstance(value, Decimal) else Decimal(value) if isinstance(value, (int, str)) else None
    except InvalidOperation:
        d = None
    if d is None or not d.is_finite():
        raise DisciplineRulesError(path, f"{value!r} is not a decimal number")
    return d


def percent(value: Any, path: str) -> Decimal:
    """A cut in percent: 0 to 100, at most two decimal places (as stored and published)."""
    d = exact(value, path)
    if not 0 <= d <= 100:
        raise DisciplineRulesError(path, f"{value!r} is not a percentage from 0 to 100")
    if d != d.quantize(CENT):
        raise DisciplineRulesError(path, f"{value!r} has more than two decimal places")
    return d.quantize(CENT)


def month_count(value: Any, path: str) -> int:
    d = exact(value, path)
    if d != d.to_integral_value() or not 1 <= d <= MAX_MONTHS:
        raise DisciplineRulesError(path, f"{value!r} is not a whole number of months from 1 to {MAX_MONTHS}")
    return int(d)


def parse_level(code: str, raw: Any, where: str) -> SanctionLevel:
    if not LEVEL_CODE.fullmatch(code):
        raise DisciplineRulesError(where, "a level code is 1 to 40 of a-z, 0-9 and _")
    if not isinstance(raw, dict):
        raise DisciplineRulesError(where, "must be an object")
    name = raw.get("name", code)
    if not isinstance(name, str) or not name.strip():
        raise DisciplineRulesError(f"{where}.name", "must be a non-empty string")
    table, single = raw.get("cut_percent_by_months"), raw.get("cut_percent")
    if (table is None) == (single is None):
        raise DisciplineRulesError(where, "give either cut_percent_by_months or cut_percent (with months_min / "
                                          "months_max)")
    if table is not None:
        if not isinstance(table, dict) or not table:
            raise DisciplineRulesError(f"{where}.cut_percent_by_months", "must be a non-empty object months → cut")
        cuts: dict[int, Decimal] = {}
        for k, v in table.items():
            months = month_count(k, f"{where}.cut_percent_by_months.{k}")
            if months in cuts:
                raise DisciplineRulesError(f"{where}.cut_percent_by_months.{k}", "months given twice")
            cuts[months] = percent(v, f"{where}.cut_percent_by_months.{k}")
        return SanctionLevel(code=code, name=name, cut_by_months=cuts)
    low = month_count(raw.get("months_min", 1), f"{where}.months_min")
    high = month_count(raw.get("months_max", low), f"{where}.months_max")
    if high < low:
        raise DisciplineRulesError(f"{where}.months_max", "must not be less than months_min")
    return SanctionLevel(code=code, name=name, cut_percent=percent(single, f"{where}.cut_percent"),
                         months_min=low, months_max=high)


def parse_rule_set(raw: Any, where: str = "rule_set") -> DisciplineRuleSet:
    if not isinstance(raw, dict):
        raise DisciplineRulesError(where, "must be an object")
    try:
        regulation, effective_from, levels = raw["regulation"], raw["effective_from"], raw["levels"]
    except KeyError as exc:
        raise DisciplineRulesError(f"{where}.{exc.args[0]}", "missing") from None
    if not isinstance(regulation, str) or not regulation.strip() or len(regulation) > MAX_REGULATION:
        raise DisciplineRulesError(f"{where}.regulation", f"must be a non-empty string of at most {MAX_REGULATION} "
                                                           "characters")
    try:
        start = date.fromisoformat(effective_from)
    except (TypeError, ValueError):
        raise DisciplineRulesError(f"{where}.effective_from", f"{effective_from!r} is not a date (YYYY-MM-DD)") from None
    if not isinstance(levels, dict) or not levels:
        raise DisciplineRulesError(f"{where}.levels", "must be a non-empty object of level code → level")
    return DisciplineRuleSet(regulation=regulation, effective_from=start,
                             levels={code: parse_level(code, lv, f"{where}.levels.{code}") for code, lv in levels.items()})


def parse_rule_sets(raw: Any) -> list[DisciplineRuleSet]:
    """Every rule set of a discipline.json (`{"rule_sets": [...]}`), oldest first; refused whole
    when any value is not exact or two rule sets start on the same day."""
    if not isinstance(raw, dict) or not isinstance(raw.get("rule_sets"), list) or not raw["rule_sets"]:
        raise DisciplineRulesError("rule_sets", "must be a non-empty list of rule sets")
    sets = [parse_rule_set(r, f"rule_sets[{i}]") for i, r in enumerate(raw["rule_sets"])]
    seen: set[date] = set()
    for i, s in enumerate(sets):
        if s.effective_from in seen:
            raise DisciplineRulesError(f"rule_sets[{i}].effective_from",
                                       f"another rule set also starts on {s.effective_from}")
        seen.add(s.effective_from)
    return sorted(sets, key=lambda s: s.effective_from)


# --- rules -----------------------------------------------------------------------------------

def rule_set_for(rule_sets: list[DisciplineRuleSet], on: date) -> DisciplineRuleSet:
    """The newest rule set in force on `on` (the sanction's start date)."""
    eligible = [r for r in rule_sets if r.effective_from <= on]
    if not eligible:
        raise InvalidField("start_date", f"no discipline rule set in force on {on.isoformat()}")
    return max(eligible, key=lambda r: r.effective_from)


def add_months(start: date, months: int) -> date:
    """`start` plus `months` calendar months, the day clamped to the end of the target month."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def effective_until(start: date, months: int) -> date:
    """The last day a sanction of `months` starting on `start` covers (see the module's range rule)."""
    if months < 1:
        raise InvalidField("months", "must be at least 1")
    try:
        return add_months(start, months) - timedelta(days=1)
    except (ValueError, OverflowError):
        raise InvalidField("start_date", "the sanction would end after the year 9999") from None


def sanction_terms(rule_sets: list[DisciplineRuleSet], *, level: str, months: int, start_date: date) -> SanctionTerms:
    """The cut, range and regulation of a sanction, or InvalidField naming `level`, `months` or
    `start_date`."""
    rules = rule_set_for(rule_sets, start_date)
    found = rules.levels.get(level)
    if found is None:
        raise InvalidField("level", f"unknown level {level!r}; {rules.regulation} knows "
                                    + ", ".join(sorted(rules.levels)))
    cut = found.cut_for(months)
    return SanctionTerms(level=level, months=months, cut_percent=cut, effective_from=start_date,
                         effective_until=effective_until(start_date, months), regulation=rules.regulation)


@dataclass(frozen=True)
class Sanction:
    """A recorded hukuman disiplin: the decree (SK) and the terms the region's rules gave it."""
    sanction_id: str
    nip: str
    sk_number: str
    level: str
    months: int
    cut_percent: Decimal
    effective_from: date
    effective_until: date
    regulation: str
    created_at: datetime

    @classmethod
    def decree(cls, rule_sets: list[DisciplineRuleSet], *, sanction_id: str, nip: str, sk_number: str, level: str,
               months: int, start_date: date, now: datetime) -> "Sanction":
        """A new sanction from its decree, or InvalidField naming `sk_number`, `level`, `months`
        or `start_date`. The cut is the rule set's, never the caller's."""
        sk = sk_number.strip()
        if not sk or len(sk) > MAX_SK_NUMBER:
            raise InvalidField("sk_number", f"the decree number is required (1 to {MAX_SK_NUMBER} characters)")
        t = sanction_terms(rule_sets, level=level, months=months, start_date=start_date)
        return cls(sanction_id=sanction_id, nip=nip, sk_number=sk, level=t.level, months=t.months,
                   cut_percent=t.cut_percent, effective_from=t.effective_from, effective_until=t.effective_until,
                   regulation=t.regulation, created_at=now)
