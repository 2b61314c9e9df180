"""SKP, appraisal and the predikat distribution (DOMAIN.md, Performance appraisal). Pure: no I/O.

    SKP:       proposed --agree (the atasan)--> agreed --> appraisals (periodic / annual)
    appraisal: issued --accept (the employee)------------------------------> accepted
               issued --object (the employee, within the window)--> objected
               objected --decide (the appraiser's atasan, or admin)--> decided
               accepted | decided | issued with the window passed = ready
               ready --the unit's set finalised (distribution rule kept)--> final
Counts of a distribution rule: `max_share` allows floor(share x n), `min_share` needs ceil(share x n)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from kinerja_contracts.appraisal.v1 import AppraisalKind, Predikat, Rating
from kinerja_kit.errors import Conflict, InvalidField, NotPermitted, TransitionRefused

BERAKHLAK = ("berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal", "adaptif", "kolaboratif")
LABELS = {Predikat.sangat_baik: "Sangat Baik", Predikat.baik: "Baik", Predikat.butuh_perbaikan: "Butuh Perbaikan",
          Predikat.kurang: "Kurang/Misconduct", Predikat.sangat_kurang: "Sangat Kurang"}
ORDER = [Rating.di_bawah, Rating.sesuai, Rating.di_atas]
Matrix = dict[Rating, dict[Rating, Predikat]]  # results -> behaviour -> predikat


def predikat(results: Rating, behaviour: Rating, matrix: Matrix) -> Predikat:
    """The predikat of one appraisal: the matrix cell of (results, behaviour)."""
    return matrix[Rating(results)][Rating(behaviour)]


# --- periods ---------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(?P<y>[0-9]{4})(?:-(?:(?P<m>0[1-9]|1[0-2])|Q(?P<q>[1-4])))?$")


def period_months(period: str) -> tuple[int, int, int]:
    """(year, first month, last month) of YYYY, YYYY-MM or YYYY-Qn; ValueError otherwise."""
    m = _PERIOD.match(period or "")
    if not m:
        raise ValueError("a period is YYYY, YYYY-MM or YYYY-Qn")
    year = int(m["y"])
    if m["m"]:
        return year, int(m["m"]), int(m["m"])
    if m["q"]:
        q = int(m["q"])
        return year, 3 * q - 2, 3 * q
    return year, 1, 12


def check_period(kind: AppraisalKind, period: str, skp_year: int) -> tuple[int, int]:
    """An annual appraisal covers the SKP's year; a periodic one a month or quarter of it."""
    try:
        year, first, last = period_months(period)
    except ValueError as exc:
        raise InvalidField("period", str(exc)) from None
    if year != skp_year:
        raise InvalidField("period", f"outside the SKP's year {skp_year}")
    if (kind == AppraisalKind.annual) != (period == str(year)):
        raise InvalidField("period", "an annual appraisal takes YYYY; a periodic one YYYY-MM or YYYY-Qn")
    return first, last


# --- SKP -------------------------------------------------------------------------------------

class SkpStatus(StrEnum):
    PROPOSED = "proposed"
    AGREED = "agreed"


@dataclass(frozen=True)
class RhkPlan:
    kind: str  # main | additional
    title: str
    indicators: list[dict]
    parent_rhk_id: str | None = None


def check_plan(rhk: list[RhkPlan], superior_rhk_ids: set[str] | None) -> None:
    """At least one main RHK; a cascaded RHK names an RHK of the superior's SKP of that year."""
    if not any(r.kind == "main" for r in rhk):
        raise InvalidField("rhk", "at least one main (utama) RHK")
    for i, r in enumerate(rhk):
        if r.parent_rhk_id is None:
            continue
        if superior_rhk_ids is None:
            raise InvalidField(f"rhk[{i}].parent_rhk_id", "the atasan has no SKP for that year to cascade from")
        if r.parent_rhk_id not in superior_rhk_ids:
            raise InvalidField(f"rhk[{i}].parent_rhk_id", "not an RHK of the atasan's SKP of that year")


def check_agree(status: str, employee_nip: str, supervisor_nip: str | None, caller: str) -> None:
    """Only the employee's atasan langsung agrees, once."""
    if caller == employee_nip or caller != supervisor_nip:
        raise NotPermitted("only the employee's atasan langsung agrees the SKP")
    if status != SkpStatus.PROPOSED:
        raise TransitionRefused("SKP", status, "agree")


# --- appraisal -------------------------------------------------------------------------------

class AppraisalStatus(StrEnum):
    ISSUED = "issued"
    ACCEPTED = "accepted"
    OBJECTED = "objected"
    DECIDED = "decided"
    FINAL = "final"


def check_ratings(rhk_ids: list[str], rated: list[str], behaviour: dict[str, Rating]) -> None:
    """Every RHK of the SKP rated exactly once; the seven BerAKHLAK aspects all rated."""
    seen: set[str] = set()
    for i, rid in enumerate(rated):
        if rid not in rhk_ids:
            raise InvalidField(f"rhk_ratings[{i}].rhk_id", "not an RHK of this SKP")
        if rid in seen:
            raise InvalidField(f"rhk_ratings[{i}].rhk_id", "rated twice")
        seen.add(rid)
    if missing := [r for r in rhk_ids if r not in seen]:
        raise InvalidField("rhk_ratings", f"every RHK is rated; missing {', '.join(missing)}")
    if missing := [a for a in BERAKHLAK if a not in behaviour]:
        raise InvalidField("behaviour", f"every BerAKHLAK aspect is rated; missing {', '.join(missing)}")


def objection_deadline(issued_at: datetime, window_days: int) -> datetime:
    return issued_at + timedelta(days=window_days)


@dataclass
class Appraisal:
    id: str
    skp_id: str
    nip: str
    kind: AppraisalKind
    period: str
    unit_code: str
    appraiser_nip: str
    results_rating: Rating
    behaviour_rating: Rating
    predikat: Predikat
    status: AppraisalStatus
    issued_at: datetime
    objection_deadline: datetime
    objection_reason: str | None = None
    objected_at: datetime | None = None
    objection_outcome: str | None = None  # upheld | rejected
    objection_note: str | None = None
    decided_by: str | None = None
    finalized_at: datetime | None = None

    def accept(self, caller: str, now: datetime) -> None:
        """The employee accepts: no objection, ready to be final."""
        if caller != self.nip:
            raise NotPermitted("only the appraised employee accepts the appraisal")
        if self.status != AppraisalStatus.ISSUED:
            raise TransitionRefused("appraisal", self.status, "accept")
        self.status = AppraisalStatus.ACCEPTED

    def object(self, caller: str, reason: str, now: datetime) -> None:
        """The employee objects (keberatan) within the window."""
        if caller != self.nip:
            raise NotPermitted("only the appraised employee objects")
        if self.status != AppraisalStatus.ISSUED:
            raise TransitionRefused("appraisal", self.status, "object")
        if now > self.objection_deadline:
            raise Conflict(f"the objection window closed at {self.objection_deadline.isoformat()}",
                           field="objection_deadline")
        self.status, self.objection_reason, self.objected_at = AppraisalStatus.OBJECTED, reason, now

    def decide_objection(self, caller: str, *, may_decide: bool, upheld: bool, note: str,
                         results: Rating | None, behaviour: Rating | None, matrix: Matrix) -> None:
        """The appraiser's atasan (or BKPSDMD) decides: upheld may change the ratings (and so the
        predikat); rejected keeps them."""
        if caller in (self.nip, self.appraiser_nip) or not may_decide:
            raise NotPermitted("the appraiser's atasan or BKPSDMD (admin) decides an objection")
        if self.status != AppraisalStatus.OBJECTED:
            raise TransitionRefused("appraisal", self.status, "decide an objection")
        if upheld:
            if results is None and behaviour is None:
                raise InvalidField("results_rating", "an upheld objection gives the new results or behaviour rating")
            self.results_rating = Rating(results or self.results_rating)
            self.behaviour_rating = Rating(behaviour or self.behaviour_rating)
            self.predikat = predikat(self.results_rating, self.behaviour_rating, matrix)
        elif results is not None or behaviour is not None:
            raise InvalidField("outcome", "a rejected objection keeps the ratings")
        self.status, self.objection_outcome = AppraisalStatus.DECIDED, "upheld" if upheld else "rejected"
        self.objection_note, self.decided_by = note, caller

    def ready(self, now: datetime) -> bool:
        """May become final: accepted, objection decided, or the window passed without one."""
        return self.status in (AppraisalStatus.ACCEPTED, AppraisalStatus.DECIDED) or (
            self.status == AppraisalStatus.ISSUED and now > self.objection_deadline)

    def finalize(self, now: datetime) -> None:
        if not self.ready(now):
            raise TransitionRefused("appraisal", self.status, "become final")
        self.status, self.finalized_at = AppraisalStatus.FINAL, now


# --- distribution ----------------------------------------------------------------------------

@dataclass(frozen=True)
class DistributionRule:
    predikat: tuple[Predikat, ...]
    max_share: Decimal | None = None
    min_share: Decimal | None = None
    min_count: int | None = None

    def describe(self) -> str:
        names = " + ".join(LABELS[p] for p in self.predikat)
        parts = []
        if self.max_share is not None:
            parts.append(f"at most {self.max_share * 100:g}%")
        if self.min_share is not None:
            parts.append(f"at least {self.min_share * 100:g}%")
        if self.min_count is not None:
            parts.append(f"at least {self.min_count}")
        return f"{names}: {' and '.join(parts)}"


@dataclass(frozen=True)
class Violation:
    predikat: tuple[Predikat, ...]
    rule: str
    count: int
    allowed_max: int | None
    required_min: int | None

    def as_dict(self) -> dict:
        return {"predikat": [p.value for p in self.predikat], "rule": self.rule, "count": self.count,
                "allowed_max": self.allowed_max, "required_min": self.required_min}


def count_by_predikat(values: list[Predikat]) -> dict[Predikat, int]:
    return {p: sum(1 for v in values if v == p) for p in Predikat}


def check_distribution(counts: dict[Predikat, int], rules: list[DistributionRule]) -> list[Violation]:
    """The rules a unit's set of predikat breaks (none: the set may become final)."""
    n = sum(counts.values())
    out = []
    for r in rules:
        c = sum(counts.get(p, 0) for p in r.predikat)
        most = math.floor(r.max_share * n) if r.max_share is not None else None
        least = max(math.ceil(r.min_share * n) if r.min_share is not None else 0, r.min_count or 0) \
            if (r.min_share is not None or r.min_count is not None) else None
        if (most is not None and c > most) or (least is not None and c < least):
            out.append(Violation(r.predikat, r.describe(), c, most, least))
    return out


def angka_kredit_percent(p: Predikat, position_kind: str, table: dict[Predikat, Decimal]) -> Decimal | None:
    """The angka kredit factor of a predikat, for functional officials only."""
    return table[p] if position_kind == "fungsional" else None
