"""Catalog management rules (DOMAIN.md: versioned with effective dates; a change never rescores
a closed month). Pure: entries in, (field, message) errors out."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from kinerja_contracts.catalog.v1 import ActivityTypeV1

POSITION_KINDS = frozenset({"struktural", "fungsional", "pelaksana"})
CSV_COLUMNS = ("code", "name", "output_unit", "unit", "standard_minutes", "points", "evidence_required",
               "allowed_position_kinds", "max_daily_volume", "effective_from", "active")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


def first_open_day(today: date) -> date:
    """The earliest effective date a new version may take: the current month's first day (earlier
    months may be closed, and their pay never moves because of a catalog change)."""
    return today.replace(day=1)


def first_day_for(code_in_use: bool, today: date) -> date:
    """A new type may start in this month (no work uses it yet); a new version of a type in use
    starts tomorrow at the earliest, so no work already priced could have been priced otherwise
    (and a replay of the topics prices every activity as it was priced live)."""
    return today + timedelta(days=1) if code_in_use else first_open_day(today)


def check_entry(t: ActivityTypeV1, scoring_mode: str, today: date, *, code_in_use: bool = False) -> list[tuple[str, str]]:
    """What is wrong with one version for this region, as (field, message) pairs."""
    errors = []
    if t.unit.value != scoring_mode:
        errors.append(("unit", f"this region scores in {scoring_mode}, not {t.unit.value}"))
    if scoring_mode == "minutes" and not t.standard_minutes:
        errors.append(("standard_minutes", "required in a minutes region"))
    if scoring_mode == "points" and t.points is None:
        errors.append(("points", "required in a points region"))
    if scoring_mode == "minutes" and t.points is not None:
        errors.append(("points", "a minutes region prices in standard_minutes only"))
    if scoring_mode == "points" and t.standard_minutes is not None:
        errors.append(("standard_minutes", "a points region prices in points only"))
    if unknown := set(t.allowed_position_kinds) - POSITION_KINDS:
        errors.append(("allowed_position_kinds", f"unknown position kind(s) {sorted(unknown)}"))
    earliest = first_day_for(code_in_use, today)
    if t.effective_from < earliest:
        errors.append(("effective_from", f"before {earliest}: " + (
            "a new version of a type in use starts tomorrow at the earliest (work already priced keeps its price)"
            if code_in_use else "a month that may be closed is never re-priced; start from this month")))
    return errors


def same_version(a: ActivityTypeV1, b: ActivityTypeV1) -> bool:
    return a.model_dump() == b.model_dump()


def _bool(text: str, field: str) -> bool:
    v = text.strip().lower()
    if v in ("", "false", "0", "tidak", "no"):
        return False
    if v in ("true", "1", "ya", "yes"):
        return True
    raise ValueError(f"{field}: {text!r} is not true/false")


def rows_from_csv(text: str) -> list[dict]:
    """CSV rows as entry dicts (header: CSV_COLUMNS; allowed_position_kinds separated by `|` or `;`)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"code", "name", "unit", "effective_from"} - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"header: missing column(s) {sorted(missing)}")
    out = []
    for raw in reader:
        row: dict = {k: (v or "").strip() for k, v in raw.items() if k}
        entry: dict = {k: row[k] for k in ("code", "name", "unit", "effective_from") if k in row}
        entry["output_unit"] = row.get("output_unit") or None
        for k in ("standard_minutes", "max_daily_volume"):
            if row.get(k):
                entry[k] = row[k]
        if row.get("points"):
            entry["points"] = row["points"]
        entry["allowed_position_kinds"] = [p.strip() for p in row.get("allowed_position_kinds", "").replace(";", "|").split("|")
                                           if p.strip()]
        entry["_bools"] = {k: row.get(k, "") for k in ("evidence_required", "active")}
        out.append(entry)
    return out


def rows_from_json(text: str) -> list[dict]:
    data = json.loads(text, parse_float=Decimal)
    rows = data.get("types") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise ValueError("body: a JSON list of entries or {\"types\": [...]} is expected")
    return rows


def parse_rows(rows: list[dict], scoring_mode: str, today: date,
               stored: frozenset[tuple[str, date]] = frozenset()) -> tuple[list[ActivityTypeV1], list[RowError]]:
    """Validate every row (row numbers from 1); entries only when there is no error at all.
    `stored`: the (code, effective_from) versions that exist (the same again is unchanged, other
    values a conflict; neither is held to the start-date rule)."""
    codes_in_use = {code for code, _ in stored}
    entries, errors = [], []
    seen: set[tuple[str, date]] = set()
    for n, raw in enumerate(rows, start=1):
        if not isinstance(raw, dict):
            errors.append(RowError(n, "row", "must be an object"))
            continue
        raw = dict(raw)
        bools = raw.pop("_bools", {})
        if unknown := sorted(set(raw) - set(ActivityTypeV1.model_fields)):  # server-owned or misspelt
            errors += [RowError(n, k, "not a field of an activity type") for k in unknown]
            continue
        try:
            for k, v in bools.items():
                if v != "":
                    raw[k] = _bool(v, k)
                elif k == "active":
                    raw[k] = True
        except ValueError as exc:
            field, msg = str(exc).split(": ", 1)
            errors.append(RowError(n, field, msg))
            continue
        try:
            t = ActivityTypeV1.model_validate(raw)
        except ValidationError as exc:
            errors += [RowError(n, ".".join(map(str, e["loc"])) or "row", e["msg"]) for e in exc.errors()]
            continue
        except (InvalidOperation, ValueError) as exc:
            errors.append(RowError(n, "row", str(exc)))
            continue
        if (t.code, t.effective_from) not in stored:
            errors += [RowError(n, f, m) for f, m in check_entry(t, scoring_mode, today,
                                                                 code_in_use=t.code in codes_in_use)]
        if (t.code, t.effective_from) in seen:
            errors.append(RowError(n, "code", f"{t.code} from {t.effective_from} appears twice in the file"))
        seen.add((t.code, t.effective_from))
        entries.append(t)
    return (entries if not errors else []), errors
