"""The region's dashboard and anomaly thresholds (`anomaly.json`, or KINERJA_REGION_CONFIG_DIR/anomaly.json),
validated at start; an error names the file and the field. An admin may replace them at run time
(`PUT /v1/inspektorat/thresholds`, validated by the same model)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from scoring_service.domain.thresholds import Thresholds, WorkingHours
from scoring_service.region import ProfileError

FILE = "anomaly.json"
__all__ = ["Thresholds", "WorkingHours", "parse_thresholds", "load_thresholds"]


def parse_thresholds(raw: dict, source: str = FILE) -> Thresholds:
    try:
        return Thresholds.model_validate(raw)
    except ValidationError as exc:
        e = exc.errors()[0]
        raise ProfileError(f"{source}: {'.'.join(map(str, e['loc']))}: {e['msg']}") from None


def load_thresholds(config_dir: str | None) -> Thresholds:
    path = Path(config_dir) / FILE if config_dir and (Path(config_dir) / FILE).exists() else Path(__file__).parent / FILE
    return parse_thresholds(json.loads(path.read_text()), path.name)
