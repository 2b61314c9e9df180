"""The region's approval chain: the packaged default beside this file, or
KINERJA_REGION_CONFIG_DIR/approval_chain.json."""

from __future__ import annotations

import json
from pathlib import Path

from approval_service.domain.routing import ChainLevel


class ChainError(ValueError):
    pass


def load_chain(config_dir: str | None) -> list[ChainLevel]:
    path = Path(config_dir) / "approval_chain.json" if config_dir else None
    if path is None or not path.exists():
        path = Path(__file__).parent / "chain.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    levels = []
    for i, entry in enumerate(raw.get("chain", [])):
        if not entry.get("level") or bool(entry.get("eselon")) == bool(entry.get("position")):
            raise ChainError(f"{path}: chain[{i}] needs a level and exactly one of eselon, position")
        levels.append(ChainLevel(entry["level"], eselon=entry.get("eselon"), position=entry.get("position")))
    if not levels:
        raise ChainError(f"{path}: the chain is empty")
    return levels
