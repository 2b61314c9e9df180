"""Results of the scenarios: JSON in .run/faults/results.json and a table at the end of the run."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from support import ROOT

RESULTS: dict[str, dict] = {}
RESULTS_FILE = Path(os.environ.get("KINERJA_FAULTS_RESULTS", ROOT / ".run" / "faults" / "results.json"))
FULL = os.environ.get("KINERJA_FAULTS_SCENARIOS", "quick") in ("full", "all")


@dataclass
class Rig:
    broker: object
    pg: object
    proxy: object
    platform: object
    urls: dict[str, str]


def record(name: str, result: dict) -> None:
    RESULTS[name] = result
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(RESULTS_FILE.read_text()) if RESULTS_FILE.exists() else {}
    RESULTS_FILE.write_text(json.dumps({**previous, **RESULTS}, indent=2, default=str))


def summary(w) -> None:
    if not RESULTS:
        return
    w.section("fault scenarios")
    w.write_line(f"{'scenario':34} {'sent':>5} {'ack':>5} {'lost':>4} {'dup':>4} {'orph':>4} {'redeliv':>7} "
                 f"{'heal s':>7}  invariants")
    for name, r in RESULTS.items():
        c = r.get("counts", {})
        heal = r.get("heal_seconds")
        verdict = "all held" if r.get("ok") else "; ".join(r.get("violations", [])) or "FAILED"
        w.write_line(f"{name:34} {c.get('sent', '-'):>5} {c.get('acknowledged', '-'):>5} {c.get('lost', '-'):>4} "
                     f"{c.get('duplicated', '-'):>4} {c.get('orphans', '-'):>4} {c.get('redelivered_records', '-'):>7} "
                     f"{(f'{heal:.1f}' if heal is not None else 'NO'):>7}  {verdict}")
    w.write_line(f"details: {RESULTS_FILE}")
