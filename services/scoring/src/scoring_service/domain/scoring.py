"""Pricing activities and monthly performance (DOMAIN.md, Activities and scoring). Pure.

Rounding: prices are exact (minutes are integers, points exact Decimals); K, achievement and the
subordinates' mean are rounded once to 5 decimals, half-up."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from kinerja_contracts.calendar.v1 import WorkCalendar

K_PLACES = Decimal("0.00001")  # K is kept to 5 decimals, half-up


def q5(x: Decimal) -> Decimal:
    return x.quantize(K_PLACES, ROUND_HALF_UP)


def plain(x: Decimal) -> Decimal:
    """Without trailing zeros, never in exponent form: 2.5000 -> 2.5, 110.00 -> 110."""
    x = Decimal(x)
    return x.quantize(Decimal(1)) if x == x.to_integral_value() else x.normalize()


@dataclass(frozen=True)
class CatalogType:
    code: str
    unit: str
    standard_minutes: int | None
    points: Decimal | None
    effective_from: date
    max_daily_volume: int | None = None

    @property
    def version(self) -> str:
        return f"{self.code}@{self.effective_from.isoformat()}"


@dataclass(frozen=True)
class Explanation:
    rule_version: str
    scoring_mode: str
    standard_value: Decimal
    volume: int
    weight: Decimal
    caps: tuple[str, ...]
    formula: str


@dataclass(frozen=True)
class Price:
    minutes: int
    points: Decimal
    explanation: Explanation | None = None


def credited_volume(t: CatalogType, quantity: int, volume_before_that_day: int) -> tuple[int, tuple[str, ...]]:
    """The volume that counts: at most the type's daily maximum, less what the employee's other
    live entries of that type on that day already use."""
    if t.max_daily_volume is None:
        return quantity, ()
    left = max(0, t.max_daily_volume - volume_before_that_day)
    if quantity <= left:
        return quantity, ()
    return left, (f"volume maksimum harian {t.max_daily_volume}: {left} dari {quantity} dihitung"
                  + (f" ({volume_before_that_day} sudah tercatat hari itu)" if volume_before_that_day else ""),)


def price(t: CatalogType, quantity: int, position_weight: Decimal = Decimal(1), *, volume_before_that_day: int = 0,
          profile_version: str = "", position_kind: str = "") -> Price:
    """Minutes mode: standard minutes x volume. Points mode: points x volume x the weight of the
    employee's position kind. The daily minutes cap applies when work is approved (credit_within_cap)."""
    volume, caps = credited_volume(t, quantity, volume_before_that_day)
    rule = f"{t.unit} {profile_version} / {t.version}".replace("  ", " ")
    if t.unit == "minutes":
        std = t.standard_minutes or 0
        minutes = std * volume
        return Price(minutes=minutes, points=Decimal(0), explanation=Explanation(
            rule, "minutes", Decimal(std), volume, Decimal(1), caps, f"{std} menit x {volume} = {minutes} menit"))
    std_points = t.points or Decimal(0)
    points = std_points * volume * position_weight
    return Price(minutes=0, points=points, explanation=Explanation(
        rule, "points", std_points, volume, position_weight, caps,
        f"{plain(std_points)} poin x {volume} x bobot {position_kind or 'jabatan'} {position_weight} = {plain(points)} poin"))


def credit_within_cap(approved_before: int, minutes: int, daily_cap_minutes: int) -> int:
    """Minutes an approval adds to the month: only approved work counts towards the day's cap,
    so a rejected activity never uses up the cap of the ones approved after it."""
    return min(daily_cap_minutes, approved_before + minutes) - min(daily_cap_minutes, approved_before)


def applicable(versions: list[CatalogType], work_date: date) -> CatalogType | None:
    """The catalog version in force on `work_date` (newest effective_from not after it)."""
    eligible = [v for v in versions if v.effective_from <= work_date]
    return max(eligible, key=lambda v: v.effective_from) if eligible else None


def period_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def period_bounds(period: str) -> tuple[date, date]:
    year, month = map(int, period.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def workdays(period: str, work_calendar: WorkCalendar) -> int:
    """Working days of the month in the region calendar."""
    return work_calendar.working_days(*period_bounds(period))


def productivity_minutes(approved_minutes: int, target_minutes: int, cap_minutes: int | None = None) -> Decimal:
    """K = min(achievement, cap) / T (cap = T less the unexcused absences), 5 decimals half-up."""
    if target_minutes <= 0:
        return Decimal(0)
    cap = target_minutes if cap_minutes is None else max(0, cap_minutes)
    return q5(Decimal(min(approved_minutes, cap)) / Decimal(target_minutes))


def productivity_points(approved_points: Decimal, target_points: Decimal) -> Decimal:
    if target_points <= 0:
        return Decimal(0)
    return q5(min(approved_points / target_points, Decimal(1)))


def blend(own: Decimal, subordinates: list[Decimal], weight: Decimal) -> Decimal:
    """A structural official's K: (1 - w) x own + w x the mean of the direct subordinates' K."""
    if not subordinates:
        return own
    mean = sum(subordinates, Decimal(0)) / len(subordinates)
    return q5((1 - weight) * own + weight * mean)


@dataclass(frozen=True)
class MonthInputs:
    period: str
    approved_minutes: int = 0
    approved_points: Decimal = Decimal(0)
    unexcused_absences: int = 0
    kelas_jabatan: int | None = None
    position_kind: str = ""
    subordinates_k: list[Decimal] | None = None  # None: no blend (not structural, or the region does not blend)


@dataclass(frozen=True)
class MonthFigures:
    workdays: int
    target_minutes: int
    productivity: Decimal  # own work, before the absence cap
    cap_minutes: int | None = None
    target_points: Decimal | None = None
    achievement: Decimal = Decimal(0)
    k: Decimal = Decimal(0)  # after the absence cap
    blended: Decimal = Decimal(0)  # after the blend (= k without one)
    explanation: list[str] = field(default_factory=list)


def month_figures(inp: MonthInputs, work_calendar: WorkCalendar, *, scoring_mode: str, minutes_per_workday: int,
                  target_points: Decimal = Decimal(100), target_points_by_kelas: dict[int, Decimal] | None = None,
                  absence_lowers_cap: bool = True, blend_weight: Decimal = Decimal("0.5"),
                  daily_cap_minutes: int | None = None) -> MonthFigures:
    """Workdays, target, achievement and K of one employee's month, with the lines that explain it."""
    days = workdays(inp.period, work_calendar)
    target = days * minutes_per_workday
    lines = [f"{days} hari kerja pada kalender daerah {inp.period}"]
    if scoring_mode == "minutes":
        absent_minutes = inp.unexcused_absences * minutes_per_workday if absence_lowers_cap else 0
        cap = target - absent_minutes
        own = productivity_minutes(inp.approved_minutes, target)
        k = productivity_minutes(inp.approved_minutes, target, cap)
        achievement = q5(Decimal(inp.approved_minutes) / target) if target else Decimal(0)
        lines += [f"target T = {days} x {minutes_per_workday} = {target} menit",
                  f"capaian = {inp.approved_minutes} menit disetujui"
                  + (f" (batas harian {daily_cap_minutes} menit)" if daily_cap_minutes else ""),
                  f"batas = T - {inp.unexcused_absences} hari tanpa keterangan x {minutes_per_workday} = {cap} menit"
                  if absence_lowers_cap else "ketidakhadiran tidak mengurangi batas (aturan daerah)",
                  f"K = min({inp.approved_minutes}, {max(cap, 0)}) / {target} = {k}"]
        figures = dict(cap_minutes=cap)
    else:
        by_kelas = target_points_by_kelas or {}
        tp = by_kelas.get(inp.kelas_jabatan, target_points) if inp.kelas_jabatan is not None else target_points
        own = k = productivity_points(Decimal(inp.approved_points), tp)
        achievement = q5(Decimal(inp.approved_points) / tp) if tp > 0 else Decimal(0)
        lines += [f"target = {tp} poin" + (f" (kelas jabatan {inp.kelas_jabatan})" if inp.kelas_jabatan in by_kelas else ""),
                  f"capaian = {inp.approved_points} poin disetujui (poin x volume x bobot jabatan)",
                  f"K = min({inp.approved_points} / {tp}, 1) = {k}"]
        figures = dict(target_points=tp)
    blended = k
    if inp.subordinates_k is not None and inp.subordinates_k:
        blended = blend(k, inp.subordinates_k, blend_weight)
        lines.append(f"K gabungan = (1 - {blend_weight}) x {k} + {blend_weight} x rata-rata K "
                     f"{len(inp.subordinates_k)} bawahan langsung = {blended}")
    return MonthFigures(workdays=days, target_minutes=target, productivity=own, achievement=achievement, k=k,
                        blended=blended, explanation=lines, **figures)
