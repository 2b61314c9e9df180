"""Use cases of the dashboard read model and the Inspektorat's desk.

Consumer side (in the caller's unit of work, after scoring's own handling): keep the facts the
dashboards and detectors need (spans, evidence, approval tasks), append to the per-unit change
log the live streams follow, and re-run the detectors whose subject the event touched.
Read side: a unit's (or the organisation's) dashboard from the tables, aggregated in SQL."""

from __future__ import annotations

import time as _time
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_contracts.activity.v1 import ActivitySubmittedV1
from kinerja_contracts.approval.v1 import ApprovalDecidedV1, ApprovalEscalatedV1, ApprovalRequestedV1
from kinerja_contracts.attendance.v1 import AttendanceRecordedV1
from kinerja_contracts.calendar.v1 import WorkCalendar
from kinerja_contracts.org.v1 import EmployeeV1
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.outbox import UnitOfWork
from scoring_service.domain import anomaly as an
from scoring_service.domain import dashboard as dd
from scoring_service.domain.scoring import period_bounds, workdays
from scoring_service.live import wake_after_commit
from scoring_service.persistence import dashboard as q
from scoring_service.persistence import repository as repo
from scoring_service.region import RegionConfig
from scoring_service.region.dashboard import Thresholds, parse_thresholds


class ThresholdsStore:
    """The region's thresholds, or an admin's replacement stored in the database (re-read every
    `ttl` seconds, and at once in the process that changed it)."""

    def __init__(self, packaged: Thresholds, ttl: float = 5.0) -> None:
        self.packaged, self.ttl = packaged, ttl
        self._current, self._loaded_at = packaged, float("-inf")

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    async def get(self, session: AsyncSession) -> Thresholds:
        if _time.monotonic() - self._loaded_at >= self.ttl:
            row = await q.thresholds_override(session)
            self._current = self.packaged if row is None else parse_thresholds(row.body, "anomaly_thresholds")
            self._loaded_at = _time.monotonic()
        return self._current


class TreeCache:
    """The unit tree derived from org data, rebuilt at most every `ttl` seconds (and at once after
    an org event in this process)."""

    def __init__(self, ttl: float = 10.0) -> None:
        self.ttl, self._at = ttl, float("-inf")
        self.tree: dd.UnitTree | None = None
        self.org: list[dd.OrgEmployee] = []
        self.names: dict[str, str] = {}

    def invalidate(self) -> None:
        self._at = float("-inf")

    async def get(self, session: AsyncSession) -> dd.UnitTree:
        if self.tree is None or _time.monotonic() - self._at >= self.ttl:
            self.org = await q.org(session)
            self.names = await q.unit_names(session)
            self.tree, self._at = dd.unit_tree(self.org), _time.monotonic()
        return self.tree


class Desk:
    """What the consumers need besides the unit of work."""

    def __init__(self, thresholds: ThresholdsStore, calendar: CalendarCache, tz: ZoneInfo, trees: TreeCache) -> None:
        self.thresholds, self.calendar, self.tz, self.trees = thresholds, calendar, tz, trees


def _minute(t: time) -> int:
    return t.hour * 60 + t.minute


async def _unit_of(session: AsyncSession, nip: str | None) -> str | None:
    if not nip:
        return None
    e = await repo.get_employee(session, nip)
    return e.unit_code if e else None


async def _changed(uow: UnitOfWork, nip: str, kind: str, ref: str | None) -> None:
    unit = await _unit_of(uow.session, nip)
    if unit:
        await q.log_change(uow.session, unit, kind, nip, ref, datetime.now(timezone.utc))
        wake_after_commit(uow.session, {unit})


async def _raise(uow: UnitOfWork, c: an.Candidate | None) -> None:
    if c is not None:
        await q.save_flag(uow.session, c, await _unit_of(uow.session, c.nip) or "", datetime.now(timezone.utc))


async def _day_checks(uow: UnitOfWork, desk: Desk, t: Thresholds, nip: str, day: date) -> None:
    entries = await q.entries_on(uow.session, nip, day)
    await _raise(uow, an.time_span(nip, day, entries, t))
    await _raise(uow, an.work_while_absent(nip, day, await q.attendance_status(uow.session, nip, day), entries, t))


async def on_employee(uow: UnitOfWork, event: EmployeeV1, desk: Desk) -> None:
    await q.upsert_unit(uow.session, event.unit_code, event.unit_name)
    desk.trees.invalidate()


async def on_activity(uow: UnitOfWork, event: ActivitySubmittedV1, revision: int, desk: Desk) -> None:
    activity_id = str(event.activity_id)
    if not await q.record_activity(uow.session, activity_id=activity_id, nip=event.nip, work_date=event.work_date,
                                   start_minute=_minute(event.start_time), end_minute=_minute(event.end_time),
                                   revision=revision, submitted_at=event.submitted_at,
                                   evidence=list(event.evidence_sha256)):
        return
    await _changed(uow, event.nip, "revised" if revision else "submitted", activity_id)
    t = await desk.thresholds.get(uow.session)
    await _day_checks(uow, desk, t, event.nip, event.work_date)
    for sha in sorted(set(event.evidence_sha256)):
        await _raise(uow, an.duplicate_evidence(sha, await q.evidence_uses(uow.session, sha), event.nip))
    if revision == 0 and event.work_date < event.submitted_at.astimezone(desk.tz).date():
        window = timedelta(minutes=t.backdate_burst_minutes)
        entries = await q.entries_submitted_between(uow.session, event.nip, event.submitted_at - window,
                                                    event.submitted_at + window)
        cal = await desk.calendar.get(uow.session)
        for c in an.backdate_burst(event.nip, entries, t, cal, desk.tz):
            await _raise(uow, c)


async def on_withdrawn(uow: UnitOfWork, activity_id: str, nip: str) -> None:
    await q.withdraw_activity(uow.session, activity_id)
    await _changed(uow, nip, "withdrawn", activity_id)


async def on_requested(uow: UnitOfWork, event: ApprovalRequestedV1) -> None:
    await q.task_requested(uow.session, task_id=str(event.task_id), activity_id=str(event.activity_id), nip=event.nip,
                           approver_nip=event.approver_nip, requested_at=event.requested_at)
    row = await uow.session.get(q.DashActivity, str(event.activity_id))
    if row is not None and row.withdrawn:
        await q.withdraw_activity(uow.session, row.activity_id)
    await _changed(uow, event.nip, "requested", str(event.activity_id))


async def on_escalated(uow: UnitOfWork, event: ApprovalEscalatedV1) -> None:
    await q.task_escalated(uow.session, str(event.task_id), event.to_approver_nip)
    await _changed(uow, event.nip, "escalated", str(event.activity_id))


async def on_decided(uow: UnitOfWork, event: ApprovalDecidedV1, desk: Desk) -> None:
    await q.task_decided(uow.session, task_id=str(event.task_id), activity_id=str(event.activity_id), nip=event.nip,
                         approver_nip=event.approver_nip, decided_at=event.decided_at, decision=event.decision.value)
    await _changed(uow, event.nip, "decided", str(event.activity_id))
    if event.decision.value != "approve":
        return
    t = await desk.thresholds.get(uow.session)
    approver, at = event.approver_nip, event.decided_at
    window = timedelta(minutes=t.mass_approval_minutes)
    if await q.count_approvals_between(uow.session, approver, at - window, at + window) >= t.mass_approval_count:
        local = at.astimezone(desk.tz)
        start = datetime.combine(local.date(), time(0), desk.tz)
        decisions = await q.approvals_between(uow.session, approver, start, start + timedelta(days=1))
        await _raise(uow, an.mass_approval(approver, local.date(), decisions, t))
    cal = await desk.calendar.get(uow.session)
    if an.outside_working_hours(at, t, cal, desk.tz):
        local = at.astimezone(desk.tz)
        period = f"{local.year:04d}-{local.month:02d}"
        first, last = period_bounds(period)
        decisions = await q.approvals_between(uow.session, approver, datetime.combine(first, time(0), desk.tz),
                                              datetime.combine(last + timedelta(days=1), time(0), desk.tz))
        await _raise(uow, an.out_of_hours_approvals(approver, period, decisions, t, cal, desk.tz))


async def on_attendance(uow: UnitOfWork, event: AttendanceRecordedV1, desk: Desk) -> None:
    await _changed(uow, event.nip, "attendance", None)
    t = await desk.thresholds.get(uow.session)
    entries = await q.entries_on(uow.session, event.nip, event.work_date)
    await _raise(uow, an.work_while_absent(event.nip, event.work_date, event.status.value, entries, t))


# --- read side --------------------------------------------------------------------------------

def _achievement(region: RegionConfig, kelas: int, minutes: int, points: Decimal, days: int) -> Decimal:
    return dd.achievement(scoring_mode=region.scoring_mode, approved_minutes=int(minutes),
                          approved_points=Decimal(points), workdays=days,
                          minutes_per_workday=region.minutes_per_workday,
                          target_points=region.target_points_by_kelas.get(kelas, region.target_points))


async def build(session: AsyncSession, *, unit: str | None, tree: dd.UnitTree, names: dict[str, str],
                period: str, region: RegionConfig, cal: WorkCalendar, t: Thresholds, tz: ZoneInfo,
                limit: int = 50, light: bool = False, not_logged_days: int | None = None) -> dict:
    """The dashboard of `unit` and its sub-units (None: the whole organisation) as plain data."""
    units = tree.subtree(unit) if unit else None
    first, last = period_bounds(period)
    now = datetime.now(timezone.utc)
    today = now.astimezone(tz).date()
    upto = min(today, last)
    days = workdays(period, cal)
    rows = await q.employee_rows(session, units, period)
    per: dict[str, dict] = {}
    for nip, name, unit_code, kelas, minutes, points, k in rows:
        per[nip] = dict(nip=nip, name=name, unit_code=unit_code, logged=0, approved=0, pending=0, rejected=0,
                        returned=0, approved_minutes=int(minutes), approved_points=Decimal(points),
                        k=Decimal(k), achievement=_achievement(region, kelas, minutes, points, days))
    for nip, status, n in await q.status_counts(session, units, first, last):
        e = per.get(nip)
        if e is None:
            continue
        if status != "withdrawn":
            e["logged"] += n
        key = {"approved": "approved", "scored": "pending", "rejected": "rejected", "returned": "returned"}.get(status)
        if key:
            e[key] += n
    # totals per unit, then per subtree
    own: dict[str, dd.Totals] = {}
    for e in per.values():
        tt = own.setdefault(e["unit_code"], dd.Totals())
        tt.employees += 1
        for f in ("logged", "approved", "pending", "rejected", "returned", "approved_minutes"):
            setattr(tt, f, getattr(tt, f) + e[f])
        tt.approved_points += e["approved_points"]
        tt.ks.append(e["k"])
        tt.achievements.append(e["achievement"])

    def subtotal(u: str) -> dd.Totals:
        out = dd.Totals()
        for x in tree.subtree(u):
            if x in own:
                out.add(own[x])
        return out

    def summary(tt: dd.Totals) -> dict:
        return {"employees": tt.employees,
                "activities": {"logged": tt.logged, "approved": tt.approved, "pending": tt.pending,
                               "rejected": tt.rejected, "returned": tt.returned},
                "approved_minutes": tt.approved_minutes, "approved_points": str(tt.approved_points),
                "achievement_mean": str(dd.mean(tt.achievements)), "k_mean": str(dd.mean(tt.ks)),
                "k_distribution": [{"band": b.label, "lower": str(b.lower), "upper": str(b.upper), "count": b.count}
                                   for b in dd.distribution(tt.ks, t.k_bands)]}

    total = dd.Totals()
    for tt in own.values():
        total.add(tt)
    children = tree.children.get(unit, []) if unit else tree.roots()
    subs = {c: subtotal(c) for c in children}
    sub_rank = {r.key: r.rank for r in dd.rank((c, dd.mean(s.ks), dd.mean(s.achievements)) for c, s in subs.items())}
    backlog = []
    for approver, name, n, oldest in await q.backlog(session, units):
        oldest = q.utc(oldest)
        hours, wdays = dd.age(oldest, now, cal, tz)
        backlog.append({"approver_nip": approver, "approver_name": name, "pending": n,
                        "oldest_requested_at": oldest.isoformat(), "oldest_age_hours": hours,
                        "oldest_age_working_days": wdays})
    head = tree.heads.get(unit, []) if unit else []
    out = {
        "period": period, "generated_at": now.isoformat(),
        "unit": {"unit_code": unit or "*", "unit_name": names.get(unit, unit) if unit else "Seluruh organisasi",
                 "parent_unit_code": tree.parent.get(unit) if unit else None, "head_nips": head,
                 "units_in_tree": len(units) if units is not None else len(tree.parent)},
        "summary": summary(total),
        "sub_units": sorted(({"unit_code": c, "unit_name": names.get(c, c), "rank": sub_rank[c], **summary(s)}
                             for c, s in subs.items()), key=lambda s: (s["rank"], s["unit_code"])),
        "backlog": backlog,
    }
    if light:
        return out
    ranking = dd.rank((n, e["k"], e["achievement"]) for n, e in per.items())
    out["employee_ranking"] = [{"rank": r.rank, **{k: (str(v) if isinstance(v, Decimal) else v)
                                                    for k, v in per[r.key].items()}} for r in ranking[:limit]]
    gap_days = not_logged_days or t.not_logged_working_days
    last_dates = await q.last_logged(session, units, upto, first - timedelta(days=62))
    idle = dd.not_logged({n: last_dates.get(n) for n in per}, upto, gap_days, cal, first)
    out["not_logged"] = {"working_days": gap_days, "as_of": upto.isoformat(), "count": len(idle),
                         "employees": [{"nip": n, "name": per[n]["name"], "unit_code": per[n]["unit_code"],
                                        "last_logged": last_dates[n].isoformat() if n in last_dates else None,
                                        "working_days_without_work": g}
                                       for n, g in sorted(idle.items(), key=lambda kv: (-kv[1], kv[0]))[:max(limit, 500)]]}
    by_day: dict[date, dict] = {d: {"date": d.isoformat(), "working_day": cal.is_working_day(d), "logged": 0,
                                    "approved": 0, "pending": 0, "rejected": 0, "approved_minutes": 0}
                                for d in dd.period_days(period)}
    for d, status, n, minutes in await q.trend(session, units, first, last):
        x = by_day[d]
        if status != "withdrawn":
            x["logged"] += n
        if status == "approved":
            x["approved"] += n
            x["approved_minutes"] += int(minutes)
        elif status == "scored":
            x["pending"] += n
        elif status == "rejected":
            x["rejected"] += n
    out["trend"] = list(by_day.values())
    return out
