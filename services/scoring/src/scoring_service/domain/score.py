"""A priced activity and the month it counts into (DOMAIN.md, Activities and scoring). Pure.

    price ──▶ scored ──decision──▶ approved (counted once) | rejected | returned
                ▲                                                   │
                └──────────── rescore (a revision) ─────────────────┘
    scored | rejected | returned ──withdraw──▶ withdrawn     (approved work stays counted)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from kinerja_contracts.approval.v1 import Decision
from kinerja_kit.errors import TransitionRefused
from scoring_service.domain.scoring import Price, credit_within_cap, period_of


class ScoreStatus(StrEnum):
    SCORED = "scored"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"



# The superior's decision, in the approval service's own words (its contract).
OUTCOME = {Decision.approve: ScoreStatus.APPROVED, Decision.reject: ScoreStatus.REJECTED,
           Decision.return_: ScoreStatus.RETURNED}


@dataclass
class Score:
    activity_id: str
    nip: str
    work_date: date
    type_code: str
    quantity: int
    minutes: int
    points: Decimal
    status: ScoreStatus
    scored_at: datetime
    decided_at: datetime | None = None  # the superior's last decision (its decided_at)

    @classmethod
    def priced(cls, *, activity_id: str, nip: str, work_date: date, type_code: str, quantity: int, price: Price,
               now: datetime) -> "Score":
        return cls(activity_id=activity_id, nip=nip, work_date=work_date, type_code=type_code, quantity=quantity,
                   minutes=price.minutes, points=price.points, status=ScoreStatus.SCORED, scored_at=now)

    @property
    def period(self) -> str:
        return period_of(self.work_date)

    def is_stale(self, revised_at: datetime) -> bool:
        """A revision made before the decision already recorded (events of two topics crossed):
        the superior decided with it in view, so it changes nothing."""
        return self.decided_at is not None and revised_at < self.decided_at

    def take_stale_revision(self, *, work_date: date, type_code: str, quantity: int, price: Price) -> None:
        """A revision that crossed the decision on the way: its data is taken (the superior had
        it in view), the decision stands; approved work keeps the minutes and points approved."""
        self.work_date, self.type_code, self.quantity = work_date, type_code, quantity
        if self.status != ScoreStatus.APPROVED:
            self.minutes, self.points = price.minutes, price.points

    def rescore(self, *, work_date: date, type_code: str, quantity: int, price: Price, now: datetime) -> None:
        """A revision priced again; approved work is counted already and cannot change."""
        if self.status == ScoreStatus.APPROVED:
            raise TransitionRefused("score", self.status, "rescore")
        self.work_date, self.type_code, self.quantity = work_date, type_code, quantity
        self.minutes, self.points, self.status, self.scored_at = price.minutes, price.points, ScoreStatus.SCORED, now

    def decide(self, decision: Decision, at: datetime | None = None, *, minutes: int | None = None,
               points: Decimal | None = None) -> bool:
        """Apply the superior's decision; True when it is an approval to count now (an activity is
        counted once, however often its approval arrives). An approval counts the minutes and points
        the superior approved (the decision's own figures), whatever revision reached scoring first."""
        if self.status == ScoreStatus.APPROVED:
            return False
        self.decided_at = at or self.decided_at
        if decision == Decision.approve and minutes is not None:
            self.minutes, self.points = minutes, Decimal(points if points is not None else self.points)
        self.status = OUTCOME[decision]
        return self.status == ScoreStatus.APPROVED

    def withdraw(self) -> bool:
        """False when the work was approved: it stays counted."""
        if self.status == ScoreStatus.APPROVED:
            return False
        self.status = ScoreStatus.WITHDRAWN
        return True


@dataclass
class Month:
    """One employee's approved work in one month; `version` grows with every published change."""
    nip: str
    period: str
    approved_minutes: int = 0
    approved_points: Decimal = Decimal(0)
    approved_activities: int = 0
    version: int = 0

    def count(self, score: Score, *, approved_before_that_day: int, daily_cap_minutes: int) -> None:
        """Count an approved activity: its minutes within the day's cap, all its points."""
        if score.status != ScoreStatus.APPROVED or score.period != self.period or score.nip != self.nip:
            raise TransitionRefused("score", score.status, f"count into {self.nip} {self.period}")
        self.approved_minutes += credit_within_cap(approved_before_that_day, score.minutes, daily_cap_minutes)
        self.approved_points = Decimal(self.approved_points) + Decimal(score.points)
        self.approved_activities += 1

    def touch(self) -> None:
        """A change to publish: the next version of this (nip, period)."""
        self.version += 1
