"""Closing a period: load every active employee's inputs in bulk, compute with the pure rules,
store the computations and publish the payroll events in one transaction."""

from __future__ import annotations

import asyncio
import gc
import json
import uuid
from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_contracts.calendar.v1 import WorkCalendar
from kinerja_contracts.topics import TPP_COMPUTED, TPP_PERIOD_CLOSED
from kinerja_contracts.tpp.v1 import ComponentChange, OpdTotal, TppComputedV1, TppPeriodClosedV1
from kinerja_kit.errors import InvalidField
from kinerja_kit.outbox import UnitOfWork
from tpp_service.domain.compute import TppInputs, TppResult, compute_tpp, counts_plain_days
from tpp_service.domain.period import Period, PeriodStatus, month_bounds
from tpp_service.domain.proration import month_posts
from tpp_service.domain.rules import RuleSet, rule_set_for
from tpp_service.persistence import repository as repo
from tpp_service.persistence.bulk import OUTBOX_COLUMNS, copy_rows, outbox_records
from tpp_service.persistence.tables import Computation, Employee


CHUNK = 2000  # employees loaded, computed and written at a time by the close (memory stays flat)


async def compute_all(session: AsyncSession, period: str, rule_sets: list[RuleSet], work_calendar: WorkCalendar,
                      only_nip: str | None = None) -> tuple[RuleSet, list[tuple[Employee, TppResult]]]:
    """One employee's result (a preview, a revision), or every employee's (tests, small tools)."""
    rules = rule_set_for(rule_sets, month_bounds(period)[0])
    employees = await repo.active_employees(session, only_nip)
    return rules, await compute_for(session, period, rules, work_calendar, employees, only_nip)


async def compute_for(session: AsyncSession, period: str, rules: RuleSet, work_calendar: WorkCalendar,
                      employees: list[Employee], only_nip: str | None = None) -> list[tuple[Employee, TppResult]]:
    """The results of `employees` (sorted by NIP): their inputs with a few bulk queries over their
    NIP range, then the pure computation off the event loop."""
    batch = await inputs_for(session, period, rules, work_calendar, employees, only_nip)
    return await asyncio.to_thread(compute_batch, rules, batch)


def compute_batch(rules: RuleSet, batch: list[tuple[Employee, TppInputs]]) -> list[tuple[Employee, TppResult]]:
    return [(e, compute_tpp(rules, i)) for e, i in batch]


async def inputs_for(session: AsyncSession, period: str, rules: RuleSet, work_calendar: WorkCalendar,
                     employees: list[Employee], only_nip: str | None = None) -> list[tuple[Employee, TppInputs]]:
    """The computation inputs of `employees` in post this month (a few bulk queries)."""
    if not employees:
        return []
    first, last = month_bounds(period)
    scope = only_nip or (employees[0].nip, employees[-1].nip)
    perf = await repo.performance_by_nip(session, period, scope)
    attendance = await repo.attendance_by_nip(session, first, last, scope, counting_only=not counts_plain_days(rules))
    sanctions = await repo.sanctions_by_nip(session, first, last, scope)
    escalated = await repo.escalations_by_nip(session, period, scope)
    absent_in_year = await repo.unexcused_in_year(session, first.replace(month=1), last, scope)
    default_workdays = work_calendar.working_days(first, last)  # no approved work: scoring sent no month
    batch: list[tuple[Employee, TppInputs]] = []
    for e in employees:
        p = perf.get(e.nip)
        days = attendance.get(e.nip, [])
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
            unexcused_absences_in_year=absent_in_year.get(e.nip, 0), escalated_tasks=escalated.get(e.nip, 0),
        )
        batch.append((e, inputs))
    return batch


def to_event(e: Employee, r: TppResult, period: str, revision: int, rules: RuleSet, now: datetime) -> TppComputedV1:
    """The payroll record of one employee's result (validated once, its lines with it)."""
    return TppComputedV1(
        nip=e.nip, period=period, revision=revision, name=e.name, unit_code=e.unit_code,
        employee_type=e.employee_type, kelas_jabatan=e.kelas_jabatan, base_amount=r.base_amount,
        kinerja_amount=r.kinerja_amount, disiplin_amount=r.disiplin_amount, deductions=r.deductions,
        total_amount=r.total_amount, productivity=r.productivity, discipline_factor=r.discipline_factor,
        rule_set=rules.label, computed_at=now,
        breakdown=[{"code": b.code, "label": b.label, "value": b.value, "rule": b.rule} for b in r.breakdown],
        disiplin_full_amount=r.disiplin_full_amount,
        deduction_items=[{"kind": kind, "code": d.code, "label": d.label, "count": d.count, "percent": d.percent,
                          "amount": d.amount, "rule": d.rule}
                         for kind, items in (("attendance", r.attendance_deductions), ("cut", r.cuts)) for d in items],
        gross_amount=r.gross_amount, bpjs_amount=r.bpjs_amount, pph21_amount=r.pph21_amount,
        pph21_borne_amount=r.pph21_borne_amount, pph21_mode=r.pph21_mode, ter_category=r.ter_category,
        ter_percent=r.ter_percent, net_amount=r.net_amount, payment_note=r.reason,
    )


COMPUTATION_COLUMNS = tuple(c.name for c in Computation.__table__.columns)
JSON_COLUMNS = frozenset(c.name for c in Computation.__table__.columns if isinstance(c.type, sa.JSON))


def to_row(ev: TppComputedV1) -> dict:
    """The computations-table row of one event: its fields (a model's __dict__: the values as
    validated), the JSON columns as lists of plain dicts, a deduction's percent as text."""
    data = dict(ev.__dict__)
    data["breakdown"] = [b.__dict__ for b in ev.breakdown]
    data["deduction_items"] = [d.__dict__ if d.percent is None else {**d.__dict__, "percent": str(d.percent)}
                               for d in ev.deduction_items]
    data["changes"] = [c.__dict__ for c in ev.changes]
    return data


def to_record(ev: TppComputedV1) -> tuple:
    """The row of `to_row` for COPY: COMPUTATION_COLUMNS in order, the JSON columns as the text
    SQLAlchemy's JSON type would bind."""
    row = to_row(ev)
    return tuple([json.dumps(row[c]) if c in JSON_COLUMNS else row[c] for c in COMPUTATION_COLUMNS])


async def write_records(uow: UnitOfWork, period: str, events: list[TppComputedV1], at: datetime) -> None:
    """A chunk's computations (revision 1) and their tpp.computed.v1 outbox rows, in the caller's
    transaction: by COPY on PostgreSQL (the same rows as the insert path, the relay sends them
    after the commit like any other), multi-row inserts elsewhere."""
    ids = [record_id(period, ev.nip, 1) for ev in events]
    if uow.db.is_postgres:
        await copy_rows(uow.session, Computation.__table__, COMPUTATION_COLUMNS, [to_record(ev) for ev in events])
        await uow.flush_events()  # rows emitted before (if buffered) keep their place in id order
        await copy_rows(uow.session, uow.db.outbox, OUTBOX_COLUMNS, outbox_records(uow, TPP_COMPUTED, events, ids, at))
    elif events:
        await uow.session.execute(sa.insert(Computation.__table__), [to_row(ev) for ev in events])
        await uow.emit_many(TPP_COMPUTED, events, event_ids=ids, occurred_at=at)


async def _computed_while_written(uow: UnitOfWork, period: str, events: list[TppComputedV1], at: datetime,
                                  rules: RuleSet, batch: list[tuple[Employee, TppInputs]]
                                  ) -> list[tuple[Employee, TppResult]]:
    """This chunk's results, computed (worker thread) while the previous chunk's records go to the
    database on the transaction's connection, in chunk order: the two overlap."""
    write = asyncio.create_task(write_records(uow, period, events, at)) if events else None
    try:
        return await asyncio.to_thread(compute_batch, rules, batch)
    finally:
        if write is not None:
            await write  # before anything else uses the connection; raises a failed write


_gc_pauses = 0


@contextmanager
def gc_paused():
    """The close allocates millions of short-lived objects that reference counting frees: no
    automatic cyclic collection meanwhile (what lived before is frozen out of it); the close
    collects now and then itself."""
    global _gc_pauses
    if _gc_pauses == 0:
        gc.collect()
        gc.freeze()
        gc.disable()
    _gc_pauses += 1
    try:
        yield
    finally:
        _gc_pauses -= 1
        if _gc_pauses == 0:
            gc.unfreeze()
            gc.enable()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


NAMESPACE = uuid.UUID("6b1f7c5e-2d4a-4c1e-9a57-5f0b7e1d2c3a")


def record_id(period: str, nip: str, revision: int) -> str:
    """The event id of one employee's slip revision: the same on every re-run of the close."""
    return str(uuid.uuid5(NAMESPACE, f"tpp.computed/{period}/{nip}/{revision}"))


def close_lock(period: str):
    return sa.func.hashtext("tpp-close:" + period)


async def hold_inputs(uow: UnitOfWork, period: str) -> None:
    """An input for `period` waits while its close runs (PostgreSQL), so it is either in the
    close's snapshot or sees the period closed and becomes a pending revision: never lost."""
    if uow.db.is_postgres:
        await uow.session.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(close_lock(period))))


async def cutoff(uow: UnitOfWork, period: str, *, today: date, allow_early: bool = False) -> Period:
    """open -> cutoff: fix the instant the close's records carry (committed on its own, so a close
    re-run after a crash publishes the same bytes)."""
    state = await repo.get_period(uow.session, period, lock=True)
    if state.cutoff(today=today, allow_early=allow_early, now=utcnow()):
        await repo.save_period(uow.session, state)
    return state


async def close(uow: UnitOfWork, period: str, rule_sets: list[RuleSet], work_calendar: WorkCalendar, closed_by: str, *,
                today: date, allow_early: bool = False, fault_hold_seconds: float = 0.0) -> Period:
    """Close `period` (after its cutoff): store every employee's computation (revision 1) and queue
    tpp.computed.v1 for each, then the manifest tpp.period.closed.v1 (counts and control totals
    per OPD) last, all in the caller's transaction: a crash publishes nothing, a re-run the same
    records (ids from (period, nip, revision), `computed_at` = the cutoff instant)."""
    if uow.db.is_postgres:  # two admins closing at once: the second waits, then sees it closed
        await uow.session.execute(sa.select(sa.func.pg_advisory_xact_lock(close_lock(period))))
    state = await repo.get_period(uow.session, period, lock=True)
    state.check_closable(today=today, allow_early=allow_early)
    at = state.cutoff_at or utcnow()
    rules = rule_set_for(rule_sets, month_bounds(period)[0])
    totals = Totals()
    after: str | None = None
    events: list[TppComputedV1] = []  # the previous chunk's, written while this one computes
    chunks = 0
    with gc_paused():  # a chunk or two in memory: plain rows in, COPY out
        while employees := await repo.employee_rows(uow.session, after=after, limit=CHUNK):
            after = employees[-1].nip
            batch = await inputs_for(uow.session, period, rules, work_calendar, employees)
            del employees
            results = await _computed_while_written(uow, period, events, at, rules, batch)
            del batch
            events = [to_event(employee, result, period, 1, rules, at) for employee, result in results]
            del results
            totals.add(events)
            chunks += 1
            if chunks % 10 == 0:  # the close makes no cyclic garbage: a safety net, not a cost
                gc.collect()
        await write_records(uow, period, events, at)
        del events
    if fault_hold_seconds:  # test-only fault hook: a kill here must publish nothing
        await asyncio.sleep(fault_hold_seconds)
    state.close(employee_count=totals.count, total_amount=totals.total, closed_by=closed_by, now=utcnow())
    await repo.save_period(uow.session, state)
    await repo.clear_pending(uow.session, period)  # all in this revision
    await emit_manifest(uow, state, totals.per_opd())
    return state


class Totals:
    """Control totals per OPD, summed chunk by chunk."""

    def __init__(self) -> None:
        self.by_unit: dict[str, dict[str, int]] = {}

    def add(self, events: list[TppComputedV1]) -> None:
        for ev in events:
            t = self.by_unit.setdefault(ev.unit_code, dict.fromkeys(("employee_count", *TOTALS), 0))
            t["employee_count"] += 1
            for f in TOTALS:
                t[f] += getattr(ev, f) or 0

    @property
    def count(self) -> int:
        return sum(t["employee_count"] for t in self.by_unit.values())

    @property
    def total(self) -> int:
        return sum(t["total_amount"] for t in self.by_unit.values())

    def per_opd(self) -> list[OpdTotal]:
        return [OpdTotal(unit_code=u, **t) for u, t in sorted(self.by_unit.items())]


def opd_totals(events: list[TppComputedV1]) -> list[OpdTotal]:
    totals = Totals()
    totals.add(events)
    return totals.per_opd()


TOTALS = ("base_amount", "kinerja_amount", "disiplin_amount", "deductions", "total_amount", "bpjs_amount",
          "pph21_amount", "net_amount")


async def emit_manifest(uow: UnitOfWork, state: Period, totals: list[OpdTotal]) -> None:
    """tpp.period.closed.v1 of the period's current revision, written after its records."""
    await uow.emit(TPP_PERIOD_CLOSED, TppPeriodClosedV1(
        period=state.period, revision=state.revision, employee_count=state.employee_count,
        total_amount=state.total_amount, closed_by=state.closed_by, closed_at=state.closed_at,
        cutoff_at=state.cutoff_at, opd_totals=totals))


def changes_between(before: Computation | None, after: TppComputedV1) -> list[ComponentChange]:
    if before is None:
        return [ComponentChange(component=f, before="0", after=str(getattr(after, f)),
                                difference=str(getattr(after, f))) for f in AMOUNTS]
    return [ComponentChange(component=f, before=str(getattr(before, f)), after=str(getattr(after, f)),
                            difference=str(getattr(after, f) - getattr(before, f)))
            for f in AMOUNTS if getattr(before, f) != getattr(after, f)]


async def revise_employee(uow: UnitOfWork, period: str, nip: str, rule_sets: list[RuleSet],
                          work_calendar: WorkCalendar, *, reason: str = "koreksi kehadiran (e-Absen)",
                          publish_totals: bool = True) -> TppComputedV1 | None:
    """A correction to a closed period's input: compute the employee again; when an amount changed,
    store and publish revision n + 1 of the slip with the difference per component and the reason,
    and the period's new totals (tpp.period.closed.v1, next revision). None when nothing changed."""
    state = await repo.get_period(uow.session, period, lock=True)
    if state.status != PeriodStatus.CLOSED:
        return None
    await repo.clear_pending(uow.session, period, nip)
    latest = await repo.latest_computation(uow.session, period, nip)
    rules, results = await compute_all(uow.session, period, rule_sets, work_calendar, only_nip=nip)
    if not results:
        return None
    employee, result = results[0]
    revision = (latest.revision if latest else 0) + 1
    ev = to_event(employee, result, period, revision, rules, utcnow())
    changes = changes_between(latest, ev)
    if latest is not None and not changes:
        return None
    ev = ev.model_copy(update={"reason": reason, "changes": changes})
    await uow.session.execute(sa.insert(Computation.__table__), [to_row(ev)])
    await uow.emit_many(TPP_COMPUTED, [ev], event_ids=[record_id(period, nip, revision)])
    state.revise(employee_count=state.employee_count + (latest is None),
                 total_amount=state.total_amount - (latest.total_amount if latest else 0) + ev.total_amount)
    await repo.save_period(uow.session, state)
    if publish_totals:
        await emit_manifest(uow, state, await repo.opd_totals(uow.session, period))
    return ev


async def recompute(uow: UnitOfWork, period: str, rule_sets: list[RuleSet], work_calendar: WorkCalendar
                    ) -> tuple[list[TppComputedV1], list[str]]:
    """Publish the pending revisions of a closed period (inputs that arrived after its close):
    the revised slips, then one manifest. Returns (revised, unchanged NIPs)."""
    if uow.db.is_postgres:
        await uow.session.execute(sa.select(sa.func.pg_advisory_xact_lock(close_lock(period))))
    state = await repo.get_period(uow.session, period, lock=True)
    if state.status != PeriodStatus.CLOSED:
        raise InvalidField("period", f"{period} is not closed: nothing to recompute")
    revised, unchanged = [], []
    for pending in await repo.pending(uow.session, period):
        ev = await revise_employee(uow, period, pending.nip, rule_sets, work_calendar, reason=pending.reason,
                                   publish_totals=False)
        (revised.append(ev) if ev else unchanged.append(pending.nip))
    if revised:
        state = await repo.get_period(uow.session, period)
        await emit_manifest(uow, state, await repo.opd_totals(uow.session, period))
    return revised, unchanged


AMOUNTS = ("base_amount", "kinerja_amount", "disiplin_amount", "deductions", "total_amount", "bpjs_amount",
           "pph21_amount", "net_amount", "productivity", "discipline_factor")
