"""Parsing the organisation CSV into employee rows with per-row errors. Pure.

The foundation's ten columns are required; optional columns add personnel history and acting
assignments: `effective_from` (YYYY-MM-DD; default: today for a stored employee, for a new one since before
our records), `active` (true/false; false = left the
post, which is then vacant), and together `acting_kind` (Plt|Plh), `acting_for_nip`, `acting_from`,
`acting_until` (this employee acts for that official in the range). One NIP may appear once per
`effective_from` (several rows = a history)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from pydantic import ValidationError

from activity_service.domain.personnel import Acting, ImportRow
from kinerja_contracts.org.v1 import EmployeeV1

COLUMNS = ["nip", "name", "unit_code", "unit_name", "position", "position_kind", "eselon",
           "kelas_jabatan", "supervisor_nip", "employee_type"]
OPTIONAL = ["effective_from", "active", "acting_kind", "acting_for_nip", "acting_from", "acting_until"]
ACTING = OPTIONAL[2:]
MAX_AHEAD = timedelta(days=366)  # a transfer decree may be dated up to a year ahead


@dataclass
class ImportResult:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    @property
    def employees(self) -> list[EmployeeV1]:
        return [r.employee for r in self.rows]


class HeaderError(ValueError):
    pass


def _date(values: dict, column: str, errors: list, line: int) -> date | None:
    try:
        return date.fromisoformat(values[column])
    except ValueError:
        errors.append({"row": line, "field": column, "message": "must be a date YYYY-MM-DD"})
        return None


def _optional(values: dict, line: int, today: date) -> tuple[date | None, bool, dict | None, list[dict]]:
    errors: list[dict] = []
    effective = None  # not given: today for a stored employee, "since before our records" for a new one
    if values.get("effective_from"):
        effective = _date(values, "effective_from", errors, line) or today
        if effective > today + MAX_AHEAD:
            errors.append({"row": line, "field": "effective_from", "message": "more than a year ahead"})
    active = True
    if raw := values.get("active"):
        if raw.lower() not in ("true", "false", "1", "0"):
            errors.append({"row": line, "field": "active", "message": "true or false"})
        active = raw.lower() in ("true", "1")
    acting = None
    if any(values.get(c) for c in ACTING):
        missing = [c for c in ACTING if not values.get(c)]
        for c in missing:
            errors.append({"row": line, "field": c, "message": "required with the other acting_ columns"})
        if not missing:
            kind = values["acting_kind"]
            if kind not in ("Plt", "Plh"):
                errors.append({"row": line, "field": "acting_kind", "message": "Plt or Plh"})
            start, until = _date(values, "acting_from", errors, line), _date(values, "acting_until", errors, line)
            if start and until and until < start:
                errors.append({"row": line, "field": "acting_until", "message": "must not be before acting_from"})
            if values["acting_for_nip"] == values.get("nip"):
                errors.append({"row": line, "field": "acting_for_nip", "message": "cannot act for oneself"})
            acting = {"kind": kind, "for_nip": values["acting_for_nip"], "valid_from": start, "valid_until": until}
    return effective, active, acting, errors


def parse_org_csv(text: str, known_nips: set[str], today: date | None = None) -> ImportResult:
    """Validate every row and report each error with its line number (the caller stores nothing
    when there is any). `known_nips`: employees already stored, so a supervisor or an acting
    official may be in the database or in the file."""
    today = today or date.today()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise HeaderError(f"missing columns: {', '.join(missing)}")
    result = ImportResult()
    seen: dict[tuple[str, date], int] = {}
    candidates: list[tuple[int, EmployeeV1, date, dict | None]] = []
    for line, row in enumerate(reader, start=2):
        values = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        effective, active, acting, errors = _optional(values, line, today)
        data = {c: values.get(c) or None for c in COLUMNS}
        try:
            emp = EmployeeV1.model_validate({**data, "active": active, "effective_from": effective})
        except ValidationError as exc:
            result.errors += [{"row": line, "field": str(e["loc"][0]) if e["loc"] else "row", "message": e["msg"]}
                              for e in exc.errors()]
            result.errors += errors
            continue
        if (emp.nip, effective) in seen:
            errors.append({"row": line, "field": "nip", "message": f"duplicate of row {seen[emp.nip, effective]}"})
        if emp.supervisor_nip == emp.nip:
            errors.append({"row": line, "field": "supervisor_nip", "message": "cannot supervise oneself"})
        if errors:
            result.errors += errors
            continue
        seen[emp.nip, effective] = line
        candidates.append((line, emp, effective, acting))
    valid = {emp.nip for _, emp, _, _ in candidates} | known_nips
    for line, emp, effective, acting in candidates:
        if emp.supervisor_nip and emp.supervisor_nip not in valid:
            result.errors.append({"row": line, "field": "supervisor_nip", "message": f"unknown employee {emp.supervisor_nip}"})
        elif acting and acting["for_nip"] not in valid:
            result.errors.append({"row": line, "field": "acting_for_nip", "message": f"unknown employee {acting['for_nip']}"})
        else:
            result.rows.append(ImportRow(line, emp, effective, Acting(**acting) if acting else None))
    result.errors.sort(key=lambda e: e["row"])
    return result
