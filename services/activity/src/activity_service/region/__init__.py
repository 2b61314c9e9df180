"""The region's discipline rule sets (hukuman disiplin → TPP cut): KINERJA_REGION_CONFIG_DIR/
discipline.json, else the packaged default beside this file (sample figures; a warning says so
when a region folder is set but has no discipline.json, so a region that kept its folder for
catalog.json / rules.json still starts). JSON numbers are read as exact Decimals; a binary float,
NaN or a malformed level refuses the file, naming the value's place."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from pathlib import Path

from activity_service.domain.discipline import DisciplineRuleSet, parse_rule_sets

FILE = "discipline.json"
PACKAGED = Path(__file__).parent / FILE
log = logging.getLogger(__name__)


def discipline_path(config_dir: str | None) -> Path:
    """The region's file when there is one, else the packaged default."""
    if config_dir:
        own = Path(config_dir) / FILE
        if own.exists():
            return own
        log.warning("no %s in KINERJA_REGION_CONFIG_DIR (%s): using the packaged sample discipline rules", FILE,
                    config_dir)
    return PACKAGED


def load_discipline_rules(config_dir: str | None) -> list[DisciplineRuleSet]:
    return parse_rule_sets(json.loads(discipline_path(config_dir).read_text(encoding="utf-8"), parse_float=Decimal))
