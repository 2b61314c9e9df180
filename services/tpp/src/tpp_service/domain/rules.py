"""TPP rule sets as versioned data (regulation, effective date). Pure parsing and selection."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path


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

    @property
    def label(self) -> str:
        return f"{self.regulation} (berlaku {self.effective_from.isoformat()})"


def parse_rule_set(raw: dict) -> RuleSet:
    d = raw["deductions_percent"]
    return RuleSet(
        regulation=raw["regulation"],
        effective_from=date.fromisoformat(raw["effective_from"]),
        kinerja_share=Decimal(raw["kinerja_share"]),
        disiplin_share=Decimal(raw["disiplin_share"]),
        minutes_per_workday=int(raw["minutes_per_workday"]),
        absence_hits_productivity=bool(raw["absence_hits_productivity"]),
        absence_hits_discipline=bool(raw["absence_hits_discipline"]),
        status_factor={k: Decimal(v) for k, v in raw["status_factor"].items()},
        base_by_kelas={int(k): int(v) for k, v in raw["base_by_kelas"].items()},
        late_bands=tuple(LateBand(lo, hi, Decimal(p)) for lo, hi, p in d["late_or_early"]),
        missing_check_percent=Decimal(d["missing_check"]),
        absent_day_percent=Decimal(d["tanpa_keterangan_per_day"]),
        apel_missed_percent=Decimal(d["apel_missed"]),
        leave_percent={k: Decimal(v) for k, v in d["leave"].items()},
    )


def load_rule_sets(config_dir: str | None) -> list[RuleSet]:
    path = Path(config_dir) / "rules.json" if config_dir else Path(__file__).parent.parent / "region" / "rules.json"
    return [parse_rule_set(r) for r in json.loads(path.read_text())["rule_sets"]]


def rule_set_for(rule_sets: list[RuleSet], period_first_day: date) -> RuleSet:
    """The newest rule set in force on the first day of the period."""
    eligible = [r for r in rule_sets if r.effective_from <= period_first_day]
    if not eligible:
        raise LookupError(f"no TPP rule set in force on {period_first_day}")
    return max(eligible, key=lambda r: r.effective_from)
