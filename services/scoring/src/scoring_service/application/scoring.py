"""Use cases of scoring: price an activity, count a decision, follow attendance — each change
publishes the employee's month (performance.monthly.v1), in the caller's unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_contracts.activity.v1 import ActivityScoredV1, ActivitySubmittedV1, ScoreExplanation
from kinerja_contracts.approval.v1 import ApprovalDecidedV1
from kinerja_contracts.attendance.v1 import AttendanceRecordedV1
from kinerja_contracts.performance.v1 import PerformanceMonthlyV1
from kinerja_contracts.topics import ACTIVITY_SCORED, PERFORMANCE_MONTHLY
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.consumer import NotYetAvailable
from kinerja_kit.errors import InvalidField
from kinerja_kit.outbox import UnitOfWork
from scoring_service.domain import scoring
from scoring_service.domain.score import Month, Score, ScoreStatus
from scoring_service.persistence import repository as repo
from scoring_service.region import RegionConfig


def explanation_of(p: scoring.Price) -> ScoreExplanation | None:
    e = p.explanation
    return None if e is None else ScoreExplanation(
        rule_version=e.rule_version, scoring_mode=e.scoring_mode, standard_value=e.standard_value, volume=e.volume,
        weight=e.weight, caps=list(e.caps), formula=e.formula)


@dataclass(frozen=True)
class MonthView:
    month: Month
    inputs: scoring.MonthInputs
    figures: scoring.MonthFigures
    counts: dict[str, int]


async def month_view(session: AsyncSession, month: Month, region: RegionConfig, work_calendar) -> MonthView:
    """Everything the month's K depends on, computed: counts, absences, the subordinates' K."""
    employee = await repo.get_employee(session, month.nip)
    first, last = scoring.period_bounds(month.period)
    kind = employee.position_kind if employee else ""
    counts, absences = await repo.month_counts(session, month.nip, first, last)
    inputs = scoring.MonthInputs(
        period=month.period, approved_minutes=month.approved_minutes, approved_points=Decimal(month.approved_points),
        unexcused_absences=absences,
        kelas_jabatan=employee.kelas_jabatan if employee else None, position_kind=kind,
        subordinates_k=await repo.subordinates_k(session, month.nip, month.period) if region.blends(kind) else None)
    return MonthView(month, inputs, region.month(inputs, work_calendar), counts)


def monthly_event(v: MonthView, region: RegionConfig, now: datetime) -> PerformanceMonthlyV1:
    month, m, counts = v.month, v.figures, v.counts
    return PerformanceMonthlyV1(
        nip=month.nip, period=month.period, scoring_mode=region.scoring_mode,
        approved_minutes=month.approved_minutes, approved_points=scoring.plain(month.approved_points),
        approved_activities=month.approved_activities, workdays=m.workdays, target_minutes=m.target_minutes,
        productivity=m.productivity, version=max(month.version, 1), computed_at=now,
        submitted_activities=sum(n for s, n in counts.items() if s != ScoreStatus.WITHDRAWN.value),
        rejected_activities=counts.get(ScoreStatus.REJECTED.value, 0),
        returned_activities=counts.get(ScoreStatus.RETURNED.value, 0),
        pending_activities=counts.get(ScoreStatus.SCORED.value, 0),
        unexcused_absences=v.inputs.unexcused_absences, cap_minutes=m.cap_minutes, target_points=m.target_points,
        achievement=m.achievement, blended_productivity=m.blended, explanation=m.explanation,
    )


async def publish_month(uow: UnitOfWork, nip: str, period: str, region: RegionConfig, calendar: CalendarCache,
                        now: datetime, *, month: Month | None = None, follow_supervisor: bool = True) -> None:
    """Recompute one employee's month (counts, absences, K, blend) and publish it as its next
    version; then the supervisor's, whose blended K moves with it."""
    month = month or await repo.month_for_update(uow.session, nip, period)
    month.touch()
    v = await month_view(uow.session, month, region, await calendar.get(uow.session))
    await repo.save_month(uow.session, month, now, productivity=v.figures.k, blended=v.figures.blended)
    await uow.emit(PERFORMANCE_MONTHLY, monthly_event(v, region, now))
    employee = await repo.get_employee(uow.session, nip)
    if follow_supervisor and employee is not None and employee.supervisor_nip and region.blend_enabled:
        boss = await repo.get_employee(uow.session, employee.supervisor_nip)
        if boss is not None and region.blends(boss.position_kind):
            await publish_month(uow, boss.nip, period, region, calendar, now, follow_supervisor=False)


async def price(uow: UnitOfWork, event: ActivitySubmittedV1, revision: int, region: RegionConfig,
                calendar: CalendarCache) -> None:
    """Price a submitted or revised activity from the catalog version in force on its date."""
    employee = await repo.get_employee(uow.session, event.nip)
    if employee is None:
        raise NotYetAvailable(f"employee {event.nip} not known yet")  # org event still on its way
    t = scoring.applicable(await repo.catalog_versions(uow.session, event.type_code), event.work_date)
    if t is None:
        raise InvalidField("type_code", f"{event.type_code} has no catalog version on {event.work_date}")
    activity_id = str(event.activity_id)
    before = 0 if t.max_daily_volume is None else await repo.volume_on(  # only a daily maximum needs it
        uow.session, event.nip, event.work_date, event.type_code, activity_id)
    p = scoring.price(t, event.quantity, region.weight(employee.position_kind), volume_before_that_day=before,
                      profile_version=f"{region.profile} {region.version}".strip(),
                      position_kind=employee.position_kind)
    now = datetime.now(timezone.utc)
    score = await repo.get_score(uow.session, activity_id, lock=True)
    old_period = score.period if score else None
    if score is None:
        score = Score.priced(activity_id=activity_id, nip=event.nip, work_date=event.work_date,
                             type_code=event.type_code, quantity=event.quantity, price=p, now=now)
    elif revision and score.is_stale(event.submitted_at):  # decided after this revision was made
        score.take_stale_revision(work_date=event.work_date, type_code=event.type_code, quantity=event.quantity,
                                  price=p)
    else:
        score.rescore(work_date=event.work_date, type_code=event.type_code, quantity=event.quantity, price=p, now=now)
    explanation = explanation_of(p)
    await repo.save_score(uow.session, score, credited_volume=p.explanation.volume,
                          explanation=explanation.model_dump(mode="json"))
    await uow.emit(ACTIVITY_SCORED, ActivityScoredV1(
        activity_id=event.activity_id, nip=event.nip, type_code=event.type_code, work_date=event.work_date,
        quantity=event.quantity, minutes=p.minutes, points=p.points, catalog_effective_from=t.effective_from,
        revision=revision, scored_at=now, explanation=explanation,
    ))
    await publish_month(uow, score.nip, score.period, region, calendar, now)
    if old_period and old_period != score.period:  # a revision moved it to another month
        await publish_month(uow, score.nip, old_period, region, calendar, now)


async def withdraw(uow: UnitOfWork, activity_id: str, region: RegionConfig, calendar: CalendarCache) -> None:
    score = await repo.get_score(uow.session, activity_id, lock=True)
    if score is not None and score.withdraw():
        await repo.save_score(uow.session, score)
        await publish_month(uow, score.nip, score.period, region, calendar, datetime.now(timezone.utc))


async def count_decision(uow: UnitOfWork, event: ApprovalDecidedV1, region: RegionConfig,
                         calendar: CalendarCache) -> None:
    """Record the decision; an approval counts the activity into its month. Either way the month
    (its counts) is published again."""
    score = await repo.get_score(uow.session, str(event.activity_id), lock=True)
    if score is None:
        raise NotYetAvailable(f"score of activity {event.activity_id} not stored yet")
    status_before = score.status
    counts = score.decide(event.decision, event.decided_at, minutes=event.minutes, points=event.points)
    if score.status == status_before and not counts:
        return  # redelivered or late: nothing changed
    await repo.save_score(uow.session, score)
    now = datetime.now(timezone.utc)
    month = await repo.month_for_update(uow.session, score.nip, score.period)
    if counts:
        before = await repo.approved_minutes_on(uow.session, score.nip, score.work_date, score.activity_id)
        month.count(score, approved_before_that_day=before, daily_cap_minutes=region.daily_cap_minutes)
    await publish_month(uow, score.nip, score.period, region, calendar, now, month=month)


async def record_attendance(uow: UnitOfWork, event: AttendanceRecordedV1, region: RegionConfig,
                            calendar: CalendarCache) -> None:
    """An unexcused absence (or its correction) moves the month's cap: publish the month."""
    if await repo.record_attendance(uow.session, event.nip, event.work_date, event.status.value):
        await publish_month(uow, event.nip, scoring.period_of(event.work_date), region, calendar,
                            datetime.now(timezone.utc))


