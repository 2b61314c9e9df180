"""Use cases of scoring: price an activity, count a decision into the month — in the caller's
unit of work."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from kinerja_contracts.activity.v1 import ActivityScoredV1, ActivitySubmittedV1
from kinerja_contracts.approval.v1 import ApprovalDecidedV1
from kinerja_contracts.calendar.v1 import WorkCalendar
from kinerja_contracts.performance.v1 import PerformanceMonthlyV1
from kinerja_contracts.topics import ACTIVITY_SCORED, PERFORMANCE_MONTHLY
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.consumer import NotYetAvailable
from kinerja_kit.errors import InvalidField
from kinerja_kit.outbox import UnitOfWork
from scoring_service.domain import scoring
from scoring_service.domain.score import Month, Score
from scoring_service.persistence import repository as repo
from scoring_service.region import RegionConfig


def monthly_event(month: Month, region: RegionConfig, work_calendar: WorkCalendar, now: datetime) -> PerformanceMonthlyV1:
    m = region.month(month.period, month.approved_minutes, Decimal(month.approved_points), work_calendar)
    return PerformanceMonthlyV1(
        nip=month.nip, period=month.period, scoring_mode=region.scoring_mode,
        approved_minutes=month.approved_minutes, approved_points=month.approved_points,
        approved_activities=month.approved_activities, workdays=m.workdays, target_minutes=m.target_minutes,
        productivity=m.productivity, version=month.version, computed_at=now,
    )


async def price(uow: UnitOfWork, event: ActivitySubmittedV1, revision: int) -> None:
    """Price a submitted or revised activity from the catalog version in force on its date."""
    if await repo.get_employee(uow.session, event.nip) is None:
        raise NotYetAvailable(f"employee {event.nip} not known yet")  # org event still on its way
    t = scoring.applicable(await repo.catalog_versions(uow.session, event.type_code), event.work_date)
    if t is None:
        raise InvalidField("type_code", f"{event.type_code} has no catalog version on {event.work_date}")
    p = scoring.price(t, event.quantity)
    now = datetime.now(timezone.utc)
    activity_id = str(event.activity_id)
    score = await repo.get_score(uow.session, activity_id, lock=True)
    if score is None:
        score = Score.priced(activity_id=activity_id, nip=event.nip, work_date=event.work_date,
                             type_code=event.type_code, quantity=event.quantity, price=p, now=now)
    else:
        score.rescore(work_date=event.work_date, type_code=event.type_code, quantity=event.quantity, price=p, now=now)
    await repo.save_score(uow.session, score)
    await uow.emit(ACTIVITY_SCORED, ActivityScoredV1(
        activity_id=event.activity_id, nip=event.nip, type_code=event.type_code, work_date=event.work_date,
        quantity=event.quantity, minutes=p.minutes, points=p.points, catalog_effective_from=t.effective_from,
        revision=revision, scored_at=now,
    ))


async def withdraw(uow: UnitOfWork, activity_id: str) -> None:
    score = await repo.get_score(uow.session, activity_id, lock=True)
    if score is not None and score.withdraw():
        await repo.save_score(uow.session, score)


async def count_decision(uow: UnitOfWork, event: ApprovalDecidedV1, region: RegionConfig,
                         calendar: CalendarCache) -> None:
    """Record the decision; an approval counts the activity into its month and publishes the month."""
    score = await repo.get_score(uow.session, str(event.activity_id), lock=True)
    if score is None:
        raise NotYetAvailable(f"score of activity {event.activity_id} not stored yet")
    counts = score.decide(event.decision)
    await repo.save_score(uow.session, score)
    if not counts:
        return
    now = datetime.now(timezone.utc)
    month = await repo.month_for_update(uow.session, score.nip, score.period)
    before = await repo.approved_minutes_on(uow.session, score.nip, score.work_date, score.activity_id)
    month.count(score, approved_before_that_day=before, daily_cap_minutes=region.daily_cap_minutes)
    await repo.save_month(uow.session, month, now)
    await uow.emit(PERFORMANCE_MONTHLY, monthly_event(month, region, await calendar.get(uow.session), now))
