"""Parsing the organisation CSV into employee records with per-row errors. Pure."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from pydantic import ValidationError

from kinerja_contracts.org.v1 import EmployeeV1

COLUMNS = ["nip", "name", "unit_code", "unit_name", "position", "position_kind", "eselon",
           "kelas_jabatan", "supervisor_nip", "employee_type"]


@dataclass
class ImportResult:
    employees: list[EmployeeV1] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


class HeaderError(ValueError):
    pass


def parse_org_csv(text: str, known_nips: set[str]) -> ImportResult:
    """Validate every row; a row with any error is left out and reported with its line number.

    `known_nips`: employees already stored, so a supervisor may be in the database or the file."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise HeaderError(f"missing columns: {', '.join(missing)}")
    result = ImportResult()
    seen: dict[str, int] = {}
    candidates: list[tuple[int, EmployeeV1]] = []
    for line, row in enumerate(reader, start=2):
        values = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        data = {c: values.get(c) or None for c in COLUMNS}
        try:
            emp = EmployeeV1.model_validate(data)
        except ValidationError as exc:
            for e in exc.errors():
                result.errors.append({"row": line, "field": str(e["loc"][0]) if e["loc"] else "row",
                                      "message": e["msg"]})
            continue
        if emp.nip in seen:
            result.errors.append({"row": line, "field": "nip", "message": f"duplicate of row {seen[emp.nip]}"})
            continue
        if emp.supervisor_nip == emp.nip:
            result.errors.append({"row": line, "field": "supervisor_nip", "message": "cannot supervise oneself"})
            continue
        seen[emp.nip] = line
        candidates.append((line, emp))
    # Drop rows whose supervisor is neither stored nor imported, until nothing changes
    # (dropping one row can orphan the rows it supervises).
    while True:
        valid = {emp.nip for _, emp in candidates} | known_nips
        orphans = [(line, emp) for line, emp in candidates if emp.supervisor_nip and emp.supervisor_nip not in valid]
        if not orphans:
            break
        for line, emp in orphans:
            result.errors.append({"row": line, "field": "supervisor_nip",
                                  "message": f"unknown employee {emp.supervisor_nip}"})
        candidates = [c for c in candidates if c not in orphans]
    result.employees = [emp for _, emp in candidates]
    result.errors.sort(key=lambda e: e["row"])
    return result
