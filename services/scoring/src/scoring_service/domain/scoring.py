"""Pricing activities and monthly productivity (DOMAIN.md, Activities and scoring). Pure."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from kinerja_contracts.calendar.v1 import WorkCalendar

K_PLACES = Decimal("0.00001")  # K is kept to 5 decimals, half-up


@dataclass(frozen=True)
class CatalogType:
    code: str
    unit: str
    standard_minutes: int | None
    points: Decimal | None
    effective_from: date


@dataclass(frozen=True)
class Price:
    minutes: int
    points: Decimal


def price(t: CatalogType, quantity: int, position_weight: Decimal = Decimal(1)) -> Price:
    """Minutes mode: standard minutes x volume. Points mode: points x volume x the weight of the
    employee's position kind. The daily cap applies when work is approved (credit_within_cap)."""
    if t.unit == "minutes":
        return Price(minutes=(t.standard_minutes or 0) * quantity, points=Decimal(0))
    return Price(minutes=0, points=(t.points or Decimal(0)) * quantity * position_weight)


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


def workdays(period: str, work_calendar: WorkCalendar) -> int:
    """Working days of the month in the region calendar."""
    year, month = map(int, period.split("-"))
    return work_calendar.working_days(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def productivity_minutes(approved_minutes: int, target_minutes: int) -> Decimal:
    """K = min(achievement, T) / T, to 5 decimals half-up (absence caps are applied by tpp)."""
    if target_minutes <= 0:
        return Decimal(0)
    return (Decimal(min(approved_minutes, target_minutes)) / Decimal(target_minutes)).quantize(K_PLACES, ROUND_HALF_UP)


def productivity_points(approved_points: Decimal, target_points: Decimal) -> Decimal:
    if target_points <= 0:
        return Decimal(0)
    return min(approved_points / target_points, Decimal(1)).quantize(K_PLACES, ROUND_HALF_UP)


@dataclass(frozen=True)
class MonthFigures:
    workdays: int
    target_minutes: int
    productivity: Decimal


def month_figures(period: str, work_calendar: WorkCalendar, minutes_per_workday: int, scoring_mode: str,
                  approved_minutes: int, approved_points: Decimal, target_points: Decimal) -> MonthFigures:
    """Workdays, target and K of one employee's month, for either scoring mode."""
    days = workdays(period, work_calendar)
    target = days * minutes_per_workday
    k = (productivity_minutes(approved_minutes, target) if scoring_mode == "minutes"
         else productivity_points(approved_points, target_points))
    return MonthFigures(days, target, k)
