"""The region's TPP rule sets: the packaged default beside this file, or
KINERJA_REGION_CONFIG_DIR/rules.json. JSON numbers are read as exact Decimals."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from tpp_service.domain.rules import RuleSet, parse_rule_sets


def load_rule_sets(config_dir: str | None) -> list[RuleSet]:
    path = Path(config_dir) / "rules.json" if config_dir else Path(__file__).parent / "rules.json"
    return parse_rule_sets(json.loads(path.read_text(), parse_float=Decimal))
