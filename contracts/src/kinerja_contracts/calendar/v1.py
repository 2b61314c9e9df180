"""calendar.year.v1: the region's calendar of one year (compacted, key = year) — national holidays,
cuti bersama and regional exceptions — and `WorkCalendar`, the one reading of it every service
uses to count working days. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kinerja_contracts.envelope import Event


class DayKind(str, Enum):
    libur_nasional = "libur_nasional"  # national holiday (SKB 3 Menteri)
    cuti_bersama = "cuti_bersama"  # collective leave: not a working day for ASN
    libur_daerah = "libur_daerah"  # a regional holiday or office closure
    hari_kerja = "hari_kerja"  # a Saturday or Sunday that is worked (regional exception)


OFF_KINDS = frozenset({DayKind.libur_nasional, DayKind.cuti_bersama, DayKind.libur_daerah})


class CalendarDay(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    date: date
    kind: DayKind
    name: str = Field(min_length=1, max_length=200)


class CalendarYearV1(Event):
    year: int = Field(ge=2000, le=2100)
    days: list[CalendarDay] = Field(default_factory=list, description="the exceptions to Mon–Fri working weeks")
    regulation: str | None = Field(default=None, max_length=300, description="e.g. the SKB 3 Menteri number")
    provisional: bool = Field(default=False, description="shipped estimate; an admin should confirm it")
    revision: int = Field(ge=1, description="increments with each change; consumers keep the highest")
    updated_at: datetime

    @model_validator(mode="after")
    def _days_belong_to_the_year(self) -> CalendarYearV1:
        if problems := day_problems(self.year, self.days):
            raise ValueError("; ".join(f"{where}: {message}" for where, message in problems))
        return self


def day_problems(year: int, days: list[CalendarDay]) -> list[tuple[str, str]]:
    """(field, message) for each day that does not fit the year: another year, twice, a
    hari_kerja on a weekday."""
    problems, seen = [], set()
    for i, d in enumerate(days):
        if d.date.year != year:
            problems.append((f"days[{i}].date", f"{d.date} is not in {year}"))
        elif d.date in seen:
            problems.append((f"days[{i}].date", f"{d.date} is listed twice"))
        elif d.kind is DayKind.hari_kerja and d.date.weekday() < 5:
            problems.append((f"days[{i}].date", f"{d.date}: hari_kerja is for a Saturday or Sunday"))
        seen.add(d.date)
    return problems


class WorkCalendar:
    """Mon–Fri, minus the calendar's off days, plus its worked weekend days. A year nobody has
    published yet counts plain Mon–Fri (`known_years` says which years are real)."""

    def __init__(self, years: Iterable[CalendarYearV1] = ()) -> None:
        self.off: set[date] = set()
        self.worked: set[date] = set()
        self.known_years: set[int] = set()
        for y in years:
            self.known_years.add(y.year)
            for d in y.days:
                (self.worked if d.kind is DayKind.hari_kerja else self.off).add(d.date)

    def is_working_day(self, d: date) -> bool:
        if d in self.worked:
            return True
        return d.weekday() < 5 and d not in self.off

    def working_days(self, first: date, last: date) -> int:
        """Working days in [first, last], both included."""
        n, d = 0, first
        while d <= last:
            n += self.is_working_day(d)
            d += timedelta(days=1)
        return n

    def working_days_between(self, earlier: date, later: date) -> int:
        """Working days after `earlier` up to and including `later` (0 when later <= earlier)."""
        return self.working_days(earlier + timedelta(days=1), later) if later > earlier else 0

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """`start` moved forward by `days` working days (same time of day)."""
        d = start
        while days > 0:
            d += timedelta(days=1)
            if self.is_working_day(d.date()):
                days -= 1
        return d
