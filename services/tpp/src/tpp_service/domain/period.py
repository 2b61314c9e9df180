"""A TPP period (one month) and its lifecycle (DOMAIN.md, TPP). Pure.

    open ──cutoff──▶ cutoff ──close──▶ closed (revision 1) ──revise──▶ closed (revision 2, 3, …)
      └────────────close (its own cutoff first)───┘

The cutoff fixes the instant the close's records carry (`computed_at`), so a close re-run after a
crash publishes the same bytes. A month may be closed once it has ended, or earlier when the
admin says so (e.g. December)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from kinerja_kit.errors import InvalidField, TransitionRefused


class PeriodStatus(StrEnum):
    OPEN = "open"
    CUTOFF = "cutoff"
    CLOSED = "closed"


def month_bounds(period: str) -> tuple[date, date]:
    year, month = map(int, period.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


@dataclass
class Period:
    period: str  # YYYY-MM
    status: PeriodStatus = PeriodStatus.OPEN
    revision: int = 0
    employee_count: int = 0
    total_amount: int = 0
    closed_at: datetime | None = None
    closed_by: str | None = None
    cutoff_at: datetime | None = None

    @property
    def first_day(self) -> date:
        return month_bounds(self.period)[0]

    @property
    def last_day(self) -> date:
        return month_bounds(self.period)[1]

    def check_closable(self, *, today: date, allow_early: bool) -> None:
        """Refuse a close of a month not begun, not ended (unless early), or closed already."""
        if self.first_day > today:
            raise InvalidField("period", "the month has not started")
        if self.last_day >= today and not allow_early:
            raise InvalidField("period", "the month has not ended; pass allow_early=true to close it now")
        if self.status == PeriodStatus.CLOSED:
            raise TransitionRefused(f"period {self.period}", self.status, "close")

    def cutoff(self, *, today: date, allow_early: bool, now: datetime) -> bool:
        """Freeze the close's instant (once; True when this call did it)."""
        self.check_closable(today=today, allow_early=allow_early)
        if self.status == PeriodStatus.CUTOFF:
            return False
        self.status, self.cutoff_at = PeriodStatus.CUTOFF, now
        return True

    def close(self, *, employee_count: int, total_amount: int, closed_by: str, now: datetime) -> None:
        if self.status == PeriodStatus.CLOSED:
            raise TransitionRefused(f"period {self.period}", self.status, "close")
        self.status, self.revision = PeriodStatus.CLOSED, 1
        self.cutoff_at = self.cutoff_at or now
        self.employee_count, self.total_amount, self.closed_at, self.closed_by = employee_count, total_amount, now, closed_by

    def revise(self, *, employee_count: int, total_amount: int) -> int:
        """A correction after the close: the next revision number."""
        if self.status != PeriodStatus.CLOSED:
            raise TransitionRefused(f"period {self.period}", self.status, "revise")
        self.revision += 1
        self.employee_count, self.total_amount = employee_count, total_amount
        return self.revision
