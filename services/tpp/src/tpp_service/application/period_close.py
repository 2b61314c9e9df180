"""Closing a period: load every active employee's inputs in bulk, compute with the pure rules,
store the computations and publish the payroll events in one transaction."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_contracts.calendar.v1 import WorkCalendar
from kinerja_contracts.topics import TPP_COMPUTED, TPP_PERIOD_CLOSED
from kinerja_contracts.tpp.v1 import BreakdownLine, TppComputedV1, TppPeriodClosedV1
from kinerja_kit.outbox import UnitOfWork
from tpp_service.domain.compute import AttendanceDay, TppInputs, TppResult, compute_tpp
from tpp_service.domain.period import Period, PeriodStatus, month_bounds
from tpp_service.domain.proration import month_posts
from tpp_service.domain.rules import RuleSet, rule_set_for
from tpp_service.persistence import repository as repo
from tpp_service.persistence.tables import Computation, Employee


async def compute_all(session: AsyncSession, period: str, rule_sets: list[RuleSet], work_calendar: WorkCalendar,
                      only_nip: str | None = None) -> tuple[RuleSet, list[tuple[Employee, TppResult]]]:
    """Load every input with a few bulk queries, then compute off the event loop."""
    first, last = month_bounds(period)
    rules = rule_set_for(rule_sets, first)
    employees = await repo.active_employees(session, only_nip)
    perf = await repo.performance_by_nip(session, period, only_nip)
    attendance = await repo.attendance_by_nip(session, first, last, only_nip)
    sanctions = await repo.sanctions_by_nip(session, first, last, only_nip)
    default_workdays = work_calendar.working_days(first, last)  # no approved work: scoring sent no month
    batch: list[tuple[Employee, TppInputs]] = []
    for e in employees:
        p = perf.get(e.nip)
        days = [AttendanceDay(a.status, a.late_minutes, a.early_leave_minutes, a.missing_check_in,
                              a.missing_check_out, a.apel_missed) for a in attendance.get(e.nip, [])]
        cut = max((Decimal(s.cut_percent) for s in sanctions.get(e.nip, [])), default=Decimal(0))
        posts = month_posts(e.history, kelas_jabatan=e.kelas_jabatan, employee_type=e.employee_type,
                            active=e.active, first=first, last=last)
        if not posts:
            continue  # not in post this month (left before it, or joins after it)
        inputs = TppInputs(
            kelas_jabatan=posts[-1].kelas_jabatan, employee_type=posts[-1].employee_type,
            days_in_post=sum(p.days for p in posts), days_in_month=last.day, posts=posts,
            workdays=p.workdays if p else default_workdays, approved_minutes=p.approved_minutes if p else 0,
            approved_points=Decimal(p.approved_points) if p else Decimal(0),
            points_productivity=Decimal(p.productivity) if p and p.productivity is not None else None,
            attendance=days, sanction_cut_percent=cut,
        )
        batch.append((e, inputs))
    results = await asyncio.to_thread(lambda: [(e, compute_tpp(rules, i)) for e, i in batch])
    return rules, results


def to_event(e: Employee, r: TppResult, period: str, revision: int, rules: RuleSet, now: datetime) -> TppComputedV1:
    """The payroll record of one employee's result."""
    return TppComputedV1(
        nip=e.nip, period=period, revision=revision, name=e.name, unit_code=e.unit_code,
        employee_type=e.employee_type, kelas_jabatan=e.kelas_jabatan, base_amount=r.base_amount,
        kinerja_amount=r.kinerja_amount, disiplin_amount=r.disiplin_amount, deductions=r.deductions,
        total_amount=r.total_amount, productivity=r.productivity, discipline_factor=r.discipline_factor,
        rule_set=rules.label, computed_at=now,
        breakdown=[BreakdownLine(code=b.code, label=b.label, value=b.value, rule=b.rule) for b in r.breakdown],
    )


def to_row(ev: TppComputedV1) -> dict:
    """The computations-table row of one event (a plain dict: bulk inserts of 20k rows stay fast)."""
    data = ev.model_dump(mode="python")
    data["breakdown"] = [dict(b) for b in data["breakdown"]]
    return data


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


async def close(uow: UnitOfWork, period: str, rule_sets: list[RuleSet], work_calendar: WorkCalendar, closed_by: str, *,
                today: date, allow_early: bool = False) -> Period:
    """Close `period`: store every active employee's computation (revision 1) and queue
    tpp.computed.v1 for each and tpp.period.closed.v1, all in the caller's transaction."""
    if uow.db.is_postgres:  # two admins closing at once: the second waits, then sees it closed
        await uow.session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("tpp-close:" + period))))
    state = await repo.get_period(uow.session, period, lock=True)
    state.check_closable(today=today, allow_early=allow_early)
    rules, results = await compute_all(uow.session, period, rule_sets, work_calendar)
    now = utcnow()
    events = [to_event(employee, result, period, 1, rules, now) for employee, result in results]
    if events:
        await uow.session.execute(sa.insert(Computation.__table__), [to_row(ev) for ev in events])
    await uow.emit_many(TPP_COMPUTED, events)
    state.close(employee_count=len(events), total_amount=sum(ev.total_amount for ev in events),
                closed_by=closed_by, now=now)
    await repo.save_period(uow.session, state)
    await uow.emit(TPP_PERIOD_CLOSED, TppPeriodClosedV1(
        period=period, revision=state.revision, employee_count=state.employee_count,
        total_amount=state.total_amount, closed_by=closed_by, closed_at=now))
    return state


async def revise_employee(uow: UnitOfWork, period: str, nip: str, rule_sets: list[RuleSet],
                          work_calendar: WorkCalendar) -> TppComputedV1 | None:
    """A correction to a closed period's input (e.g. e-Absen sent with ?correction=true): compute
    the employee again; when an amount changed, store and publish revision n + 1 of the slip and
    the period's new totals (tpp.period.closed.v1, next revision). None when nothing changed."""
    state = await repo.get_period(uow.session, period, lock=True)
    if state.status != PeriodStatus.CLOSED:
        return None
    latest = await repo.latest_computation(uow.session, period, nip)
    rules, results = await compute_all(uow.session, period, rule_sets, work_calendar, only_nip=nip)
    if not results:
        return None
    employee, result = results[0]
    now = utcnow()
    ev = to_event(employee, result, period, (latest.revision if latest else 0) + 1, rules, now)
    if latest is not None and all(getattr(latest, f) == getattr(ev, f) for f in AMOUNTS):
        return None
    await uow.session.execute(sa.insert(Computation.__table__), [to_row(ev)])
    await uow.emit(TPP_COMPUTED, ev)
    state.revise(employee_count=state.employee_count + (latest is None),
                 total_amount=state.total_amount - (latest.total_amount if latest else 0) + ev.total_amount)
    await repo.save_period(uow.session, state)
    await uow.emit(TPP_PERIOD_CLOSED, TppPeriodClosedV1(
        period=period, revision=state.revision, employee_count=state.employee_count,
        total_amount=state.total_amount, closed_by=state.closed_by, closed_at=state.closed_at))
    return ev


AMOUNTS = ("base_amount", "kinerja_amount", "disiplin_amount", "deductions", "total_amount", "productivity",
           "discipline_factor")
