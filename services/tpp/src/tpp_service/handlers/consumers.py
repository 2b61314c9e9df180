"""Consumed topics: the month's inputs (org, performance, attendance, sanctions)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timezone

from prometheus_client import Counter

from kinerja_contracts.attendance.v1 import AttendanceRecordedV1
from kinerja_contracts.discipline.v1 import DisciplineSanctionedV1
from kinerja_contracts.org.v1 import EmployeeV1
from kinerja_contracts.performance.v1 import PerformanceMonthlyV1
from kinerja_contracts.appraisal.v1 import AppraisalFinalizedV1
from kinerja_contracts.approval.v1 import ApprovalSlaMonthlyV1
from kinerja_contracts.topics import (
    APPRAISAL_FINALIZED, APPROVAL_SLA_MONTHLY, ATTENDANCE_RECORDED, DISCIPLINE_SANCTIONED, ORG_EMPLOYEE, PERFORMANCE_MONTHLY,
)
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.consumer import ConsumerGroup, EventMeta
from kinerja_kit.outbox import UnitOfWork
from kinerja_kit.persistence import upsert
from tpp_service.application.period_close import hold_inputs, revise_employee
from tpp_service.domain.compute import missing_checks
from tpp_service.domain.period import PeriodStatus
from tpp_service.domain.rules import RuleSet
from tpp_service.persistence import repository as repo
from tpp_service.persistence.tables import AppraisalInput, AttendanceInput, Employee, PerformanceInput, SanctionInput, SlaInput

INPUTS_AFTER_CLOSE = Counter("kinerja_tpp_inputs_after_close_total", "Inputs received for an already closed period",
                             ["topic"])
log = logging.getLogger(__name__)


def register(group: ConsumerGroup, calendar: CalendarCache, rule_sets: list[RuleSet]) -> None:
    calendar.consume(group)

    @group.handler(ORG_EMPLOYEE)
    async def on_employee(uow: UnitOfWork, e: EmployeeV1, meta: EventMeta) -> None:
        await upsert(uow.session, Employee, dict(nip=e.nip, name=e.name, unit_code=e.unit_code,
                                                 kelas_jabatan=e.kelas_jabatan, employee_type=e.employee_type.value,
                                                 active=e.active,
                                                 history=[p.model_dump(mode="json") for p in e.history] or None))

    @group.handler(PERFORMANCE_MONTHLY)
    async def on_performance(uow: UnitOfWork, p: PerformanceMonthlyV1, meta: EventMeta) -> None:
        await hold_inputs(uow, p.period)
        if (await repo.get_period(uow.session, p.period)).status == PeriodStatus.CLOSED:
            await after_close(uow, "performance.monthly.v1", p.period, p.nip,
                              f"kinerja bulanan versi {p.version} diterima setelah penutupan")
        # An older version arriving late never overwrites a newer one.
        await upsert(uow.session, PerformanceInput,
                     dict(nip=p.nip, period=p.period, approved_minutes=p.approved_minutes,
                          approved_points=p.approved_points, workdays=p.workdays, target_minutes=p.target_minutes,
                          version=p.version,
                          # a points region pays scoring's K, blended for a structural official where the region blends
                          productivity=p.blended_productivity if p.blended_productivity is not None else p.productivity),
                     where=lambda table, new: table.c.version < new.version)

    @group.handler(ATTENDANCE_RECORDED)
    async def on_attendance(uow: UnitOfWork, a: AttendanceRecordedV1, meta: EventMeta) -> None:
        no_in, no_out = missing_checks(a.status.value, a.check_in is not None, a.check_out is not None)
        await upsert(uow.session, AttendanceInput,
                     dict(nip=a.nip, work_date=a.work_date, status=a.status.value, late_minutes=a.late_minutes,
                          early_leave_minutes=a.early_leave_minutes, missing_check_in=no_in,
                          missing_check_out=no_out, apel_missed=a.apel_missed))
        period = f"{a.work_date.year:04d}-{a.work_date.month:02d}"
        await hold_inputs(uow, period)
        if (await repo.get_period(uow.session, period)).status == PeriodStatus.CLOSED:
            # Only an admin's correction reaches a closed month: it becomes the slip's next revision.
            await revise_employee(uow, period, a.nip, rule_sets, await calendar.get(uow.session, fresh=True),
                                  reason=f"koreksi kehadiran {a.work_date.isoformat()} ({a.status.value})")

    @group.handler(APPROVAL_SLA_MONTHLY)
    async def on_sla(uow: UnitOfWork, m: ApprovalSlaMonthlyV1, meta: EventMeta) -> None:
        await hold_inputs(uow, m.period)
        if (await repo.get_period(uow.session, m.period)).status == PeriodStatus.CLOSED:
            await after_close(uow, "approval.sla-monthly.v1", m.period, m.nip,
                              f"{m.escalated_count} tugas tereskalasi (versi {m.version}) setelah penutupan")
        await upsert(uow.session, SlaInput, dict(nip=m.nip, period=m.period, escalated_count=m.escalated_count,
                                                 version=m.version),
                     where=lambda table, new: table.c.version < new.version)

    @group.handler(APPRAISAL_FINALIZED)
    async def on_appraisal(uow: UnitOfWork, a: AppraisalFinalizedV1, meta: EventMeta) -> None:
        await upsert(uow.session, AppraisalInput, dict(
            appraisal_id=str(a.appraisal_id), nip=a.nip, year=a.year, period=a.period, month_from=a.month_from,
            month_until=a.month_until, results_rating=a.results_rating.value,
            behaviour_rating=a.behaviour_rating.value, predikat=a.predikat.value, finalized_at=a.finalized_at))

    @group.handler(DISCIPLINE_SANCTIONED)
    async def on_sanction(uow: UnitOfWork, s: DisciplineSanctionedV1, meta: EventMeta) -> None:
        await upsert(uow.session, SanctionInput,
                     dict(sanction_id=str(s.sanction_id), nip=s.nip, cut_percent=s.cut_percent,
                          effective_from=s.effective_from, effective_until=s.effective_until,
                          regulation=s.regulation))
        for period in months_between(s.effective_from, s.effective_until):
            await hold_inputs(uow, period)
            if (await repo.get_period(uow.session, period)).status == PeriodStatus.CLOSED:
                await after_close(uow, "discipline.sanctioned.v1", period, s.nip,
                                  f"hukuman disiplin {s.level} mulai {s.effective_from.isoformat()}")


async def after_close(uow: UnitOfWork, topic: str, period: str, nip: str, reason: str) -> None:
    """An input for a closed period: stored, and the employee's next revision waits for
    POST /v1/periods/{period}/recompute (never a silent change)."""
    INPUTS_AFTER_CLOSE.labels(topic).inc()
    log.warning("%s of %s for closed period %s: revision pending", topic, nip, period)
    await repo.mark_pending(uow.session, period, nip, reason, datetime.now(timezone.utc))


def months_between(first: date, last: date) -> list[str]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
