"""Export the JSON Schemas of all contracts and check them against the committed snapshots.

    kinerja-schemas export   # rewrite contracts/src/kinerja_contracts/schemas/*.json
    kinerja-schemas check    # exit 1 when a model changed incompatibly or a snapshot is stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kinerja_contracts.topics import TOPICS

SCHEMA_DIR = Path(__file__).parent / "schemas"


def current_schemas() -> dict[str, dict]:
    return {name: spec.model.model_json_schema(mode="serialization") for name, spec in TOPICS.items()}


def committed_schemas() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(SCHEMA_DIR.glob("*.json"))}


def _resolve(schema: dict, root: dict) -> dict:
    ref = schema.get("$ref")
    if ref:
        return root["$defs"][ref.rsplit("/", 1)[1]]
    return schema


def _types(schema: dict, root: dict) -> set[str]:
    s = _resolve(schema, root)
    if "anyOf" in s:
        out: set[str] = set()
        for sub in s["anyOf"]:
            out |= _types(sub, root)
        return out
    if "enum" in s:
        return {f"enum:{v}" for v in s["enum"]}
    t = s.get("type")
    if isinstance(t, list):
        return set(t)
    return {t or "any"}


def incompatibilities(old: dict, new: dict, path: str = "") -> list[str]:
    """Backward-compatibility problems of `new` against `old` for readers of old messages and
    writers of new ones: removed fields, newly required fields, changed or narrowed types."""
    problems: list[str] = []

    def walk(o: dict, n: dict, where: str) -> None:
        o, n = _resolve(o, old), _resolve(n, new)
        o_props, n_props = o.get("properties", {}), n.get("properties", {})
        for name in o_props:
            if name not in n_props:
                problems.append(f"{where}{name}: field removed")
        for name in set(n.get("required", [])) - set(o.get("required", [])):
            problems.append(f"{where}{name}: field became required")
        for name, o_field in o_props.items():
            if name not in n_props:
                continue
            n_field = n_props[name]
            o_types, n_types = _types(o_field, old), _types(n_field, new)
            if not o_types <= n_types:
                problems.append(f"{where}{name}: type changed {sorted(o_types)} -> {sorted(n_types)}")
            o_res, n_res = _resolve(o_field, old), _resolve(n_field, new)
            if "properties" in o_res and "properties" in n_res:
                walk(o_res, n_res, f"{where}{name}.")
            o_items, n_items = o_res.get("items"), n_res.get("items")
            if isinstance(o_items, dict) and isinstance(n_items, dict):
                walk(o_items, n_items, f"{where}{name}[].")

    walk(old, new, path)
    return problems


def check() -> list[str]:
    problems: list[str] = []
    committed, current = committed_schemas(), current_schemas()
    for name, old in committed.items():
        if name not in current:
            problems.append(f"{name}: topic removed from the registry (make a new version instead)")
            continue
        problems += [f"{name}: {p}" for p in incompatibilities(old, current[name])]
    for name, new in current.items():
        if committed.get(name) != new:
            problems.append(f"{name}: committed schema is stale; run `kinerja-schemas export`")
    return problems


def export() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, schema in current_schemas().items():
        (SCHEMA_DIR / f"{name}.json").write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")


def main() -> None:
    cmd = sys.argv[1] if len(sys.argv) > 1 else "check"
    if cmd == "export":
        export()
        return
    problems = check()
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
