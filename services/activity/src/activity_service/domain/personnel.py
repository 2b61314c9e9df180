"""Personnel history: dated postings (mutasi, promotion, a new atasan) and acting (Plt/Plh)
assignments. Rule: an import row describes the employee from its `effective_from` on — the posting
in force that day ends the day before, postings scheduled on or after it are replaced, and a row
equal to the posting in force then changes nothing. Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from kinerja_contracts.org.v1 import EmployeeV1
from kinerja_kit.errors import InvalidField

POST_FIELDS = ("unit_code", "unit_name", "position", "position_kind", "eselon", "kelas_jabatan",
               "supervisor_nip", "employee_type", "active")


@dataclass(frozen=True)
class Posting:
    valid_from: date
    unit_code: str
    unit_name: str
    position: str
    position_kind: str
    eselon: str | None
    kelas_jabatan: int
    supervisor_nip: str | None
    employee_type: str
    active: bool = True
    valid_until: date | None = None

    def same_post(self, other: Posting) -> bool:
        return all(getattr(self, f) == getattr(other, f) for f in POST_FIELDS)


@dataclass(frozen=True)
class ImportRow:
    """One valid row of an organisation import: the employee as the row states them, from when."""
    line: int
    employee: EmployeeV1
    effective_from: date | None  # None: not given
    acting: Acting | None = None


@dataclass(frozen=True)
class Acting:
    kind: str  # Plt | Plh
    for_nip: str
    valid_from: date
    valid_until: date

    def covers(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until


def posting_on(history: list[Posting], day: date) -> Posting | None:
    """The posting in force on `day`; before the first one, the first (the earliest we know)."""
    if not history:
        return None
    for p in reversed(history):
        if p.valid_from <= day:
            return p
    return history[0]


def apply_posting(history: list[Posting], new: Posting) -> list[Posting]:
    """`history` (oldest first) with `new` in force from its valid_from on."""
    in_force = posting_on(history, new.valid_from)
    if in_force is not None and in_force.valid_from <= new.valid_from and in_force.same_post(new):
        return history
    kept = [p for p in history if p.valid_from < new.valid_from]
    if kept:
        kept[-1] = replace(kept[-1], valid_until=new.valid_from - timedelta(days=1))
    return [*kept, replace(new, valid_until=None)]


def apply_acting(current: list[Acting], new: Acting) -> list[Acting]:
    """The assignment for the same official and start replaces the stored one (e.g. ended earlier)."""
    if new.valid_until < new.valid_from:
        raise InvalidField("acting_until", "must not be before acting_from")
    kept = [a for a in current if (a.for_nip, a.valid_from, a.kind) != (new.for_nip, new.valid_from, new.kind)]
    return sorted([*kept, new], key=lambda a: (a.valid_from, a.for_nip))
