"""Pure rules of the leaders' dashboards: the unit tree derived from org data, who may see which
unit, ranking, the K distribution, achievement, who has not logged, the backlog's age.

The org contract carries no unit hierarchy, so the tree is derived: the *head* of a unit is an
active employee of it whose supervisor is outside it (or who has none); a unit's *sub-units* are
the units whose head's supervisor works in it. When a unit has heads under different units, the
parent with most heads wins (then the smaller code); a cycle is cut where it closes."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from kinerja_contracts.calendar.v1 import WorkCalendar

READ_EVERYTHING = ("pimpinan", "admin", "inspektorat")


@dataclass(frozen=True)
class OrgEmployee:
    nip: str
    unit_code: str
    supervisor_nip: str | None
    active: bool = True


@dataclass
class UnitTree:
    parent: dict[str, str | None]
    children: dict[str, list[str]]
    heads: dict[str, list[str]]  # unit -> its heads' NIPs

    @property
    def units(self) -> list[str]:
        return sorted(self.parent)

    def subtree(self, unit: str) -> list[str]:
        """`unit` and every unit below it (unit first)."""
        out, stack, seen = [], [unit], set()
        while stack:
            u = stack.pop()
            if u in seen:
                continue
            seen.add(u)
            out.append(u)
            stack.extend(sorted(self.children.get(u, []), reverse=True))
        return out

    def ancestors(self, unit: str) -> list[str]:
        out, u, seen = [], self.parent.get(unit), {unit}
        while u is not None and u not in seen:
            out.append(u)
            seen.add(u)
            u = self.parent.get(u)
        return out

    def roots(self) -> list[str]:
        return sorted(u for u, p in self.parent.items() if p is None)


def unit_tree(employees: Iterable[OrgEmployee]) -> UnitTree:
    staff = [e for e in employees if e.active]
    unit_of = {e.nip: e.unit_code for e in staff}
    heads: dict[str, list[str]] = defaultdict(list)
    votes: dict[str, Counter] = defaultdict(Counter)
    for e in staff:
        boss_unit = unit_of.get(e.supervisor_nip) if e.supervisor_nip else None
        if boss_unit != e.unit_code:
            heads[e.unit_code].append(e.nip)
            if boss_unit is not None:
                votes[e.unit_code][boss_unit] += 1
    parent: dict[str, str | None] = {u: None for u in unit_of.values()}
    for unit, c in votes.items():
        parent[unit] = sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    for unit in sorted(parent):  # cut cycles where they close
        seen, u = [unit], parent[unit]
        while u is not None:
            if u in seen:
                parent[seen[-1]] = None
                break
            seen.append(u)
            u = parent[u]
    children: dict[str, list[str]] = defaultdict(list)
    for u, p in parent.items():
        if p is not None:
            children[p].append(u)
    return UnitTree(parent=parent, children={k: sorted(v) for k, v in children.items()},
                    heads={k: sorted(v) for k, v in heads.items()})


def headed_units(nip: str, employees: Iterable[OrgEmployee], tree: UnitTree) -> list[str]:
    """The units `nip` heads: they are a head of the unit and have an active subordinate in it or
    in a unit below it (a Kepala Dinas whose unit holds only the Kepala and the bidang)."""
    mine = [u for u, hs in tree.heads.items() if nip in hs]
    if not mine:
        return []
    theirs = {e.unit_code for e in employees if e.active and e.supervisor_nip == nip and e.nip != nip}
    return sorted(u for u in mine if theirs & set(tree.subtree(u)))


def visible_units(nip: str, roles: Iterable[str], headed: Iterable[str], tree: UnitTree) -> set[str] | None:
    """Units the caller may read: None = every unit (pimpinan, admin, inspektorat); a head of unit
    their units and below; anyone else none (a plain pegawai sees only themself, elsewhere)."""
    if set(roles) & set(READ_EVERYTHING):
        return None
    out: set[str] = set()
    for u in headed:
        out.update(tree.subtree(u))
    return out


def may_view(unit: str, visible: set[str] | None) -> bool:
    return visible is None or unit in visible


@dataclass(frozen=True)
class Ranked:
    rank: int
    key: str
    k: Decimal
    achievement: Decimal


def rank(rows: Iterable[tuple[str, Decimal, Decimal]]) -> list[Ranked]:
    """Standard competition ranking (1, 2, 2, 4) by K, then achievement, descending; ties keep
    the same rank and are listed by key."""
    ordered = sorted(rows, key=lambda r: (-r[1], -r[2], r[0]))
    out: list[Ranked] = []
    for i, (key, k, ach) in enumerate(ordered):
        same = out and out[-1].k == k and out[-1].achievement == ach
        out.append(Ranked(out[-1].rank if same else i + 1, key, k, ach))
    return out


@dataclass(frozen=True)
class Band:
    lower: Decimal
    upper: Decimal
    count: int

    @property
    def label(self) -> str:
        return f"{self.lower}–{self.upper}"


def distribution(values: Iterable[Decimal], edges: Sequence[Decimal]) -> list[Band]:
    """Counts per band [e_i, e_i+1); the last band includes its upper edge; values outside the
    edges go to the nearest band."""
    counts = [0] * (len(edges) - 1)
    for v in values:
        i = 0
        while i < len(counts) - 1 and v >= edges[i + 1]:
            i += 1
        counts[i] += 1
    return [Band(edges[i], edges[i + 1], n) for i, n in enumerate(counts)]


def mean(values: Sequence[Decimal], places: str = "0.00001") -> Decimal:
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal(places)) if values else Decimal(0)


def achievement(*, scoring_mode: str, approved_minutes: int, approved_points: Decimal, workdays: int,
                minutes_per_workday: int, target_points: Decimal) -> Decimal:
    """Approved work against the month's target (as performance.monthly.v1 computes it)."""
    if scoring_mode == "minutes":
        target = workdays * minutes_per_workday
        return (Decimal(approved_minutes) / target).quantize(Decimal("0.00001")) if target else Decimal(0)
    return (Decimal(approved_points) / target_points).quantize(Decimal("0.00001")) if target_points > 0 else Decimal(0)


def not_logged(last_logged: dict[str, date | None], today: date, days: int, calendar: WorkCalendar,
               since: date) -> dict[str, int]:
    """NIP -> working days without logged work, for those at `days` or more. Never logged counts
    from `since` (the period's first day)."""
    out = {}
    for nip, last in last_logged.items():
        gap = calendar.working_days_between(last, today) if last else calendar.working_days(since, today)
        if gap >= days:
            out[nip] = gap
    return out


def age(requested_at: datetime, now: datetime, calendar: WorkCalendar, tz) -> tuple[float, int]:
    """Hours and working days a task has waited."""
    hours = max((now - requested_at).total_seconds() / 3600, 0.0)
    return round(hours, 1), calendar.working_days_between(requested_at.astimezone(tz).date(), now.astimezone(tz).date())


def period_days(period: str) -> list[date]:
    y, m = map(int, period.split("-"))
    d, out = date(y, m, 1), []
    while d.month == m:
        out.append(d)
        d += timedelta(days=1)
    return out


@dataclass
class Totals:
    employees: int = 0
    logged: int = 0
    approved: int = 0
    pending: int = 0
    rejected: int = 0
    returned: int = 0
    approved_minutes: int = 0
    approved_points: Decimal = Decimal(0)
    ks: list[Decimal] = field(default_factory=list)
    achievements: list[Decimal] = field(default_factory=list)

    def add(self, other: "Totals") -> None:
        for f in ("employees", "logged", "approved", "pending", "rejected", "returned", "approved_minutes",
                  "approved_points"):
            setattr(self, f, getattr(self, f) + getattr(other, f))
        self.ks += other.ks
        self.achievements += other.achievements
