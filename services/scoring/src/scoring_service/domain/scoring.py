"""Pricing activities and monthly productivity (DOMAIN.md, Activities and scoring). Pure."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

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


def price(t: CatalogType, quantity: int, minutes_used_today: int, daily_cap_minutes: int,
          position_weight: Decimal = Decimal(1)) -> Price:
    """Minutes mode: standard minutes x volume, credited only up to the day's cap.
    Points mode: points x volume x the weight of the employee's position kind."""
    if t.unit == "minutes":
        raw = (t.standard_minutes or 0) * quantity
        return Price(minutes=max(0, min(raw, daily_cap_minutes - minutes_used_today)), points=Decimal(0))
    return Price(minutes=0, points=(t.points or Decimal(0)) * quantity * position_weight)


def applicable(versions: list[CatalogType], work_date: date) -> CatalogType | None:
    """The catalog version in force on `work_date` (newest effective_from not after it)."""
    eligible = [v for v in versions if v.effective_from <= work_date]
    return max(eligible, key=lambda v: v.effective_from) if eligible else None


def period_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def workdays(period: str, holidays: set[date]) -> int:
    """Mon–Fri days of the month that are not holidays."""
    year, month = map(int, period.split("-"))
    return sum(
        1
        for day in range(1, calendar.monthrange(year, month)[1] + 1)
        if (d := date(year, month, day)).weekday() < 5 and d not in holidays
    )


def productivity_minutes(approved_minutes: int, target_minutes: int) -> Decimal:
    """K = min(achievement, T) / T, to 5 decimals half-up (absence caps are applied by tpp)."""
    if target_minutes <= 0:
        return Decimal(0)
    return (Decimal(min(approved_minutes, target_minutes)) / Decimal(target_minutes)).quantize(K_PLACES, ROUND_HALF_UP)


def productivity_points(approved_points: Decimal, target_points: Decimal) -> Decimal:
    if target_points <= 0:
        return Decimal(0)
    return min(approved_points / target_points, Decimal(1)).quantize(K_PLACES, ROUND_HALF_UP)
