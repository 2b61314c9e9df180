"""The region's appraisal and talent rules (`appraisal.json`, or KINERJA_REGION_CONFIG_DIR/appraisal.json):
the predikat matrix, the distribution rule per unit predikat, the angka kredit factor per
predikat, the performance level of the 9-box from a predikat or from K, and the objection
window. Validated at start; an error names the file and the field. Numbers are exact Decimals."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kinerja_contracts.appraisal.v1 import Predikat, Rating
from scoring_service.domain.appraisal import DistributionRule, Matrix
from scoring_service.region import ProfileError

FILE = "appraisal.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleIn(_Strict):
    predikat: list[Predikat] = Field(min_length=1)
    max_share: Decimal | None = Field(default=None, ge=0, le=1)
    min_share: Decimal | None = Field(default=None, ge=0, le=1)
    min_count: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _some_limit(self):
        if self.max_share is None and self.min_share is None and self.min_count is None:
            raise ValueError("a rule needs max_share, min_share or min_count")
        return self


class DistributionIn(_Strict):
    note: str = ""
    default_unit_predikat: Predikat
    by_unit_predikat: dict[Predikat, list[RuleIn]]

    @model_validator(mode="after")
    def _every_unit_predikat(self):
        if missing := [p.value for p in Predikat if p not in self.by_unit_predikat]:
            raise ValueError(f"rules for every unit predikat; missing {', '.join(missing)}")
        return self


class ThresholdIn(_Strict):
    at_least: Decimal = Field(ge=0, le=1)
    performance: Rating


class ProductivityIn(_Strict):
    note: str = ""
    thresholds: list[ThresholdIn] = Field(min_length=1)

    @model_validator(mode="after")
    def _descending_to_zero(self):
        values = [t.at_least for t in self.thresholds]
        if values != sorted(values, reverse=True) or len(set(values)) != len(values):
            raise ValueError("thresholds from the highest at_least down, each once")
        if values[-1] != 0:
            raise ValueError("the last threshold is at_least 0, so every K has a level")
        return self


class AppraisalFileIn(_Strict):
    version: str = Field(min_length=1)
    regulation: str = ""
    predikat_matrix: dict[Rating, dict[Rating, Predikat]]
    distribution: DistributionIn
    angka_kredit_percent: dict[Literal["note", "sangat_baik", "baik", "butuh_perbaikan", "kurang", "sangat_kurang"], str]
    performance_from_predikat: dict[Predikat, Rating]
    performance_from_productivity: ProductivityIn
    objection_window_days: int = Field(ge=0, le=365)

    @model_validator(mode="after")
    def _complete(self):
        for results in Rating:
            row = self.predikat_matrix.get(results)
            if row is None or set(row) != set(Rating):
                raise ValueError(f"predikat_matrix.{results.value}: one cell for each behaviour rating")
        if missing := [p.value for p in Predikat if p.value not in self.angka_kredit_percent]:
            raise ValueError(f"angka_kredit_percent: missing {', '.join(missing)}")
        for p in Predikat:
            try:
                if Decimal(self.angka_kredit_percent[p.value]) < 0:
                    raise ValueError
            except Exception:
                raise ValueError(f"angka_kredit_percent.{p.value}: not a non-negative number") from None
        if missing := [p.value for p in Predikat if p not in self.performance_from_predikat]:
            raise ValueError(f"performance_from_predikat: missing {', '.join(missing)}")
        return self


@dataclass(frozen=True)
class AppraisalRules:
    version: str
    matrix: Matrix
    distribution: dict[Predikat, list[DistributionRule]]
    default_unit_predikat: Predikat
    angka_kredit: dict[Predikat, Decimal]
    performance_from_predikat: dict[Predikat, Rating]
    productivity_thresholds: list[tuple[Decimal, Rating]]
    objection_window_days: int


def parse_rules(raw: dict, source: str = FILE) -> AppraisalRules:
    try:
        f = AppraisalFileIn.model_validate(raw)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(map(str, e["loc"]))
        raise ProfileError(f"{source}: {where + ': ' if where else ''}{e['msg']}") from None
    return AppraisalRules(
        version=f.version, matrix=f.predikat_matrix,
        distribution={u: [DistributionRule(tuple(r.predikat), r.max_share, r.min_share, r.min_count) for r in rules]
                      for u, rules in f.distribution.by_unit_predikat.items()},
        default_unit_predikat=f.distribution.default_unit_predikat,
        angka_kredit={p: Decimal(f.angka_kredit_percent[p.value]) for p in Predikat},
        performance_from_predikat=f.performance_from_predikat,
        productivity_thresholds=[(t.at_least, t.performance) for t in f.performance_from_productivity.thresholds],
        objection_window_days=f.objection_window_days,
    )


def load_rules(config_dir: str | None) -> AppraisalRules:
    path = Path(config_dir) / FILE if config_dir and (Path(config_dir) / FILE).exists() else Path(__file__).parent / FILE
    return parse_rules(json.loads(path.read_text(), parse_float=Decimal), path.name)
