"""The region's scoring configuration: the packaged default beside this file, or
KINERJA_REGION_CONFIG_DIR/catalog.json. Numbers are read as exact Decimals."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from kinerja_contracts.calendar.v1 import WorkCalendar
from kinerja_contracts.catalog.v1 import ActivityTypeV1
from scoring_service.domain.scoring import MonthFigures, month_figures


@dataclass(frozen=True)
class RegionConfig:
    scoring_mode: str
    daily_cap_minutes: int
    minutes_per_workday: int
    types: list[ActivityTypeV1]
    target_points: Decimal = Decimal(100)

    def month(self, period: str, approved_minutes: int, approved_points: Decimal,
              work_calendar: WorkCalendar) -> MonthFigures:
        """Workdays, target and K of a month under the region calendar and this region's mode."""
        return month_figures(period, work_calendar, self.minutes_per_workday, self.scoring_mode,
                             approved_minutes, approved_points, self.target_points)


def load_region(config_dir: str | None) -> RegionConfig:
    path = Path(config_dir) / "catalog.json" if config_dir else Path(__file__).parent / "catalog.json"
    raw = json.loads(path.read_text(), parse_float=Decimal)
    effective = raw["effective_from"]
    types = [ActivityTypeV1.model_validate({"effective_from": effective, **t}) for t in raw["types"]]
    return RegionConfig(
        scoring_mode=raw["scoring_mode"],
        daily_cap_minutes=int(raw["daily_cap_minutes"]),
        minutes_per_workday=int(raw["minutes_per_workday"]),
        types=types,
        target_points=Decimal(raw.get("target_points", 100)),
    )
