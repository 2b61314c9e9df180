"""The region's scoring profile: a packaged one chosen by KINERJA_SCORING_PROFILE (`minutes`:
catalog.json, the DKI/Surabaya family; `points`: catalog-points.json, Jambi's weighting), or
KINERJA_REGION_CONFIG_DIR/catalog.json. Numbers are read as exact Decimals."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pydantic import ValidationError

from kinerja_contracts.calendar.v1 import WorkCalendar
from kinerja_contracts.catalog.v1 import ActivityTypeV1
from scoring_service.domain.scoring import MonthFigures, MonthInputs, month_figures

PROFILES = {"minutes": "catalog.json", "points": "catalog-points.json"}
POSITION_KINDS = ("struktural", "fungsional", "pelaksana")


class ProfileError(ValueError):
    """A region profile that cannot be used, naming the file and the field."""


@dataclass(frozen=True)
class RegionConfig:
    scoring_mode: str
    daily_cap_minutes: int
    minutes_per_workday: int
    types: list[ActivityTypeV1]
    target_points: Decimal = Decimal(100)
    profile: str = "minutes"
    version: str = ""
    position_weights: dict[str, Decimal] = field(default_factory=dict)
    target_points_by_kelas: dict[int, Decimal] = field(default_factory=dict)
    blend_enabled: bool = False
    blend_weight: Decimal = Decimal("0.5")
    absence_lowers_cap: bool = True

    def weight(self, position_kind: str) -> Decimal:
        """Points mode: the weight of a position kind (1 when the profile has none)."""
        return self.position_weights.get(position_kind, Decimal(1)) if self.scoring_mode == "points" else Decimal(1)

    def month(self, inp: MonthInputs, work_calendar: WorkCalendar) -> MonthFigures:
        """Workdays, target, achievement and K of a month under the region calendar and this profile."""
        return month_figures(inp, work_calendar, scoring_mode=self.scoring_mode,
                             minutes_per_workday=self.minutes_per_workday, target_points=self.target_points,
                             target_points_by_kelas=self.target_points_by_kelas,
                             absence_lowers_cap=self.absence_lowers_cap, blend_weight=self.blend_weight,
                             daily_cap_minutes=self.daily_cap_minutes)

    def blends(self, position_kind: str) -> bool:
        return self.blend_enabled and position_kind == "struktural"


def _decimal(raw: dict, key: str, where: str, default: str | None = None) -> Decimal:
    value = raw.get(key, default)
    try:
        d = Decimal(str(value))
    except Exception:
        raise ProfileError(f"{where}.{key}: {value!r} is not a number") from None
    if d < 0:
        raise ProfileError(f"{where}.{key}: must not be negative")
    return d


def parse_profile(raw: dict, source: str = "profile") -> RegionConfig:
    mode = raw.get("scoring_mode")
    if mode not in ("minutes", "points"):
        raise ProfileError(f"{source}: scoring_mode must be 'minutes' or 'points', not {mode!r}")
    effective = raw.get("effective_from")
    types = []
    for i, t in enumerate(raw.get("types", [])):
        try:
            at = ActivityTypeV1.model_validate({"effective_from": effective, **t})
        except ValidationError as exc:
            e = exc.errors()[0]
            raise ProfileError(f"{source}: types[{i}].{'.'.join(map(str, e['loc']))}: {e['msg']}") from None
        if at.unit.value != mode:
            raise ProfileError(f"{source}: types[{i}].unit: {at.unit.value} in a {mode} profile")
        if mode == "minutes" and not at.standard_minutes:
            raise ProfileError(f"{source}: types[{i}].standard_minutes: required in a minutes profile")
        if mode == "points" and at.points is None:
            raise ProfileError(f"{source}: types[{i}].points: required in a points profile")
        types.append(at)
    codes = [t.code for t in types]
    if len(codes) != len(set(codes)):
        raise ProfileError(f"{source}: types: duplicate code {next(c for c in codes if codes.count(c) > 1)}")
    weights = {k: _decimal(raw["position_weights"], k, f"{source}.position_weights")
               for k in raw.get("position_weights", {})}
    if unknown := set(weights) - set(POSITION_KINDS):
        raise ProfileError(f"{source}.position_weights: unknown position kind {sorted(unknown)}")
    by_kelas = {}
    for k in raw.get("target_points_by_kelas", {}):
        if not str(k).isdigit() or not 1 <= int(k) <= 17:
            raise ProfileError(f"{source}.target_points_by_kelas: {k!r} is not a kelas jabatan 1-17")
        by_kelas[int(k)] = _decimal(raw["target_points_by_kelas"], k, f"{source}.target_points_by_kelas")
    blend_raw = raw.get("structural_blend") or {}
    weight = _decimal(blend_raw, "weight", f"{source}.structural_blend", "0.5")
    if weight > 1:
        raise ProfileError(f"{source}.structural_blend.weight: must be between 0 and 1")
    try:
        return RegionConfig(
            scoring_mode=mode, daily_cap_minutes=int(raw["daily_cap_minutes"]),
            minutes_per_workday=int(raw["minutes_per_workday"]), types=types,
            target_points=_decimal(raw, "target_points", source, "100"),
            profile=str(raw.get("profile", mode)), version=str(raw.get("version", "")),
            position_weights=weights, target_points_by_kelas=by_kelas,
            blend_enabled=bool(blend_raw.get("enabled", False)), blend_weight=weight,
            absence_lowers_cap=bool(raw.get("absence_lowers_cap", True)),
        )
    except KeyError as exc:
        raise ProfileError(f"{source}: {exc.args[0]} is required") from None


def load_region(config_dir: str | None, profile: str = "minutes") -> RegionConfig:
    if config_dir:
        path = Path(config_dir) / "catalog.json"
    elif profile in PROFILES:
        path = Path(__file__).parent / PROFILES[profile]
    else:
        raise ProfileError(f"KINERJA_SCORING_PROFILE: unknown profile {profile!r} (one of {', '.join(PROFILES)})")
    return parse_profile(json.loads(path.read_text(), parse_float=Decimal), path.name)
