"""The region's TPP rule sets, as packaged data beside this file:

    rules.json                 the default loaded file (the DOMAIN.md defaults; kept for existing callers)
    profiles/<name>.json       profiles side by side: default, permentan, jambi-points, surabaya
    ter_pmk168_2023.json       the PPh 21 TER tables (PP 58/2023 Lampiran, PMK 168/2023)

A region replaces them with KINERJA_REGION_CONFIG_DIR: its rules.json, or its profiles/<name>.json when a
profile is named (and its own ter_pmk168_2023.json, if it has one). JSON numbers are read as exact
Decimals; a rule set that breaks a rule is refused whole with a RuleSetError naming profile, rule set and
the offending field."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

from tpp_service.domain.netpay import TerTableError, TerTables, parse_ter_tables
from tpp_service.domain.rules import RuleSet, RuleSetError, parse_rule_sets

PACKAGED = Path(__file__).parent
TER_FILE = "ter_pmk168_2023.json"
PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _read(path: Path, profile: str) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except FileNotFoundError:
        raise RuleSetError(str(path), "no such file", profile=profile) from None
    except json.JSONDecodeError as e:
        raise RuleSetError(f"{path}:{e.lineno}:{e.colno}", f"not JSON: {e.msg}", profile=profile) from None


def load_ter_tables(config_dir: str | None = None) -> TerTables:
    path = Path(config_dir) / TER_FILE if config_dir and (Path(config_dir) / TER_FILE).exists() else PACKAGED / TER_FILE
    try:
        return parse_ter_tables(_read(path, "ter"), where=path.name)
    except TerTableError as e:
        raise RuleSetError(e.field or path.name, e.message, profile="ter") from None


def profile_names(config_dir: str | None = None) -> list[str]:
    root = Path(config_dir) if config_dir else PACKAGED
    return sorted(p.stem for p in (root / "profiles").glob("*.json"))


def load_rule_sets(config_dir: str | None, profile: str | None = None) -> list[RuleSet]:
    """The rule sets (all versions) of `profile`, or of rules.json when no profile is named."""
    root = Path(config_dir) if config_dir else PACKAGED
    if profile is None:
        path = root / "rules.json"
    else:
        if not PROFILE_NAME.match(profile):
            raise RuleSetError("profile", f"{profile!r} is not a profile name (lower-case letters, digits, - and _)",
                               profile=profile)
        path = root / "profiles" / f"{profile}.json"
        if not path.exists():
            raise RuleSetError("profile", f"no profile {profile!r} (there are: {', '.join(profile_names(config_dir))})",
                               profile=profile)
    raw = _read(path, profile or "rules.json")
    name = profile or (raw.get("profile") if isinstance(raw, dict) and isinstance(raw.get("profile"), str) else None) \
        or ("default" if config_dir is None else str(path))
    return parse_rule_sets(raw, profile=name, ter=load_ter_tables(config_dir))
