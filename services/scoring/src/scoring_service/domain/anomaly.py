"""Pure anomaly detectors of the Inspektorat's desk, and the review of a flag.

Each detector takes the facts of one subject (an evidence file, an employee's day, an employee's
submissions, a superior's decisions) and the region's thresholds, and returns the flag it raises
(kind, subject key, evidence) or None. The application re-runs a detector whenever an event
touches its subject, so a flag's evidence grows with the facts; its review state is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from kinerja_contracts.calendar.v1 import WorkCalendar
from kinerja_kit.errors import InvalidField, TransitionRefused
from scoring_service.domain.thresholds import Thresholds


class Kind(str, Enum):
    duplicate_evidence = "duplicate_evidence"
    work_while_absent = "work_while_absent"
    time_span = "time_span"
    backdate_burst = "backdate_burst"
    mass_approval = "mass_approval"
    out_of_hours_approvals = "out_of_hours_approvals"


class State(str, Enum):
    new = "new"
    reviewed = "reviewed"
    dismissed = "dismissed"


@dataclass(frozen=True)
class Candidate:
    kind: Kind
    subject_key: str
    nip: str  # the employee (or superior) the flag is about
    period: str
    evidence: dict


@dataclass(frozen=True)
class Entry:
    """An employee's live activity as the desk sees it."""
    activity_id: str
    nip: str
    work_date: date
    start_minute: int
    end_minute: int
    first_submitted_at: datetime


@dataclass(frozen=True)
class DecisionFact:
    activity_id: str
    decided_at: datetime
    decision: str


def _hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def _period(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def duplicate_evidence(sha256: str, uses: list[tuple[str, str, date]], latest_nip: str) -> Candidate | None:
    """The same file (by SHA-256) attached by different employees: `uses` = (activity_id, nip,
    work_date) of the live activities carrying it."""
    nips = sorted({n for _, n, _ in uses})
    if len(nips) < 2:
        return None
    first = min(d for _, _, d in uses)
    return Candidate(Kind.duplicate_evidence, sha256, latest_nip, _period(first), {
        "sha256": sha256, "employees": nips,
        "activities": [{"activity_id": a, "nip": n, "work_date": d.isoformat()} for a, n, d in sorted(uses, key=lambda u: (u[2], u[0]))]})


def work_while_absent(nip: str, day: date, status: str | None, entries: list[Entry], t: Thresholds) -> Candidate | None:
    """Work logged on a day the attendance record marks absent or on leave."""
    if status is None or status not in t.absent_statuses or not entries:
        return None
    return Candidate(Kind.work_while_absent, f"{nip}:{day.isoformat()}", nip, _period(day), {
        "work_date": day.isoformat(), "attendance_status": status,
        "activities": [{"activity_id": e.activity_id, "span": f"{_hhmm(e.start_minute)}-{_hhmm(e.end_minute)}"}
                       for e in sorted(entries, key=lambda e: (e.start_minute, e.activity_id))]})


def time_span(nip: str, day: date, entries: list[Entry], t: Thresholds) -> Candidate | None:
    """Spans overlapping another activity's on the same day, or longer than a working day."""
    es = sorted(entries, key=lambda e: (e.start_minute, e.end_minute, e.activity_id))
    overlaps = []
    for i, a in enumerate(es):
        for b in es[i + 1:]:
            if b.start_minute >= a.end_minute:
                break
            overlaps.append({"activity_ids": [a.activity_id, b.activity_id],
                             "spans": [f"{_hhmm(a.start_minute)}-{_hhmm(a.end_minute)}",
                                       f"{_hhmm(b.start_minute)}-{_hhmm(b.end_minute)}"],
                             "overlap_minutes": min(a.end_minute, b.end_minute) - b.start_minute})
    long = [{"activity_id": e.activity_id, "span": f"{_hhmm(e.start_minute)}-{_hhmm(e.end_minute)}",
             "minutes": e.end_minute - e.start_minute}
            for e in es if e.end_minute - e.start_minute > t.max_span_minutes]
    if not overlaps and not long:
        return None
    return Candidate(Kind.time_span, f"{nip}:{day.isoformat()}", nip, _period(day), {
        "work_date": day.isoformat(), "overlaps": overlaps, "longer_than_working_day": long,
        "max_span_minutes": t.max_span_minutes})


def cutoff_of(work_date: date, t: Thresholds) -> date:
    """The day by which the work's month closes (month_cutoff_day of the next month)."""
    y, m = (work_date.year + 1, 1) if work_date.month == 12 else (work_date.year, work_date.month + 1)
    return date(y, m, t.month_cutoff_day)


def edge_reason(e: Entry, t: Thresholds, calendar: WorkCalendar, tz: ZoneInfo) -> str | None:
    """Why a back-dated entry is 'just before' a limit: 'backdate_window' (it would have been
    refused a working day or so later) or 'month_cutoff' (submitted just before its month
    closes); None when it is not back-dated or not near a limit."""
    submitted = e.first_submitted_at.astimezone(tz).date()
    if e.work_date >= submitted:
        return None
    lag = calendar.working_days_between(e.work_date, submitted)
    if lag > t.backdate_working_days - t.backdate_edge_working_days:
        return "backdate_window"
    cutoff = cutoff_of(e.work_date, t)
    if submitted.month != e.work_date.month and cutoff - timedelta(days=t.cutoff_margin_days) <= submitted <= cutoff:
        return "month_cutoff"
    return None


def backdate_burst(nip: str, entries: list[Entry], t: Thresholds, calendar: WorkCalendar,
                   tz: ZoneInfo) -> list[Candidate]:
    """Bursts of back-dated entries near a limit: `backdate_burst_count` or more such entries of
    one employee first submitted within `backdate_burst_minutes`. One flag per employee, limit
    and day of submission."""
    edge = sorted(((e, r) for e in entries if (r := edge_reason(e, t, calendar, tz))),
                  key=lambda er: er[0].first_submitted_at)
    window = timedelta(minutes=t.backdate_burst_minutes)
    out: dict[str, Candidate] = {}
    for reason in ("backdate_window", "month_cutoff"):
        xs = [e for e, r in edge if r == reason]
        best: list[Entry] = []
        lo = 0
        for hi in range(len(xs)):
            while xs[hi].first_submitted_at - xs[lo].first_submitted_at > window:
                lo += 1
            if hi - lo + 1 > len(best):
                best = xs[lo:hi + 1]
        if len(best) >= t.backdate_burst_count:
            day = best[0].first_submitted_at.astimezone(tz).date()
            key = f"{nip}:{reason}:{day.isoformat()}"
            out[key] = Candidate(Kind.backdate_burst, key, nip, _period(min(e.work_date for e in best)), {
                "reason": reason, "count": len(best), "within_minutes": t.backdate_burst_minutes,
                "first_submitted_at": best[0].first_submitted_at.isoformat(),
                "last_submitted_at": best[-1].first_submitted_at.isoformat(),
                "backdate_working_days": t.backdate_working_days,
                "activities": [{"activity_id": e.activity_id, "work_date": e.work_date.isoformat(),
                                "submitted_at": e.first_submitted_at.isoformat()} for e in best]})
    return list(out.values())


def _max_window(times: list[datetime], window: timedelta) -> tuple[int, int]:
    """(size, start index) of the largest group of sorted `times` within `window`."""
    best, at, lo = 0, 0, 0
    for hi in range(len(times)):
        while times[hi] - times[lo] > window:
            lo += 1
        if hi - lo + 1 > best:
            best, at = hi - lo + 1, lo
    return best, at


def mass_approval(approver: str, day: date, decisions: list[DecisionFact], t: Thresholds) -> Candidate | None:
    """A superior approving `mass_approval_count` or more activities within
    `mass_approval_minutes` (one flag per superior and day)."""
    approvals = sorted((d for d in decisions if d.decision == "approve"), key=lambda d: d.decided_at)
    times = [d.decided_at for d in approvals]
    size, at = _max_window(times, timedelta(minutes=t.mass_approval_minutes))
    if size < t.mass_approval_count:
        return None
    group = approvals[at:at + size]
    return Candidate(Kind.mass_approval, f"{approver}:{day.isoformat()}", approver, _period(day), {
        "approver_nip": approver, "count": size, "within_minutes": t.mass_approval_minutes,
        "first_decided_at": group[0].decided_at.isoformat(), "last_decided_at": group[-1].decided_at.isoformat(),
        "approvals_that_day": len(approvals), "activity_ids": [d.activity_id for d in group[:200]]})


def outside_working_hours(at: datetime, t: Thresholds, calendar: WorkCalendar, tz: ZoneInfo) -> bool:
    local = at.astimezone(tz)
    clock = time(local.hour, local.minute, local.second)
    return not calendar.is_working_day(local.date()) or not (t.working_hours.start <= clock < t.working_hours.end)


def out_of_hours_approvals(approver: str, period: str, decisions: list[DecisionFact], t: Thresholds,
                           calendar: WorkCalendar, tz: ZoneInfo) -> Candidate | None:
    """`out_of_hours_min_count` or more approvals in a month decided outside working hours (or on
    a day off) by one superior."""
    outside = sorted((d for d in decisions if d.decision == "approve"
                      and outside_working_hours(d.decided_at, t, calendar, tz)), key=lambda d: d.decided_at)
    if len(outside) < t.out_of_hours_min_count:
        return None
    return Candidate(Kind.out_of_hours_approvals, f"{approver}:{period}", approver, period, {
        "approver_nip": approver, "count": len(outside), "min_count": t.out_of_hours_min_count,
        "working_hours": f"{t.working_hours.start:%H:%M}-{t.working_hours.end:%H:%M}",
        "decisions": [{"activity_id": d.activity_id, "decided_at": d.decided_at.astimezone(tz).isoformat()}
                      for d in outside[:200]]})


def review(state: str, to: str, reason: str | None) -> State:
    """The Inspektorat's review: new -> reviewed | dismissed, reviewed -> dismissed; a dismissal
    needs a reason. Never back to new."""
    try:
        target = State(to)
    except ValueError:
        raise InvalidField("state", "must be reviewed or dismissed") from None
    if target is State.new:
        raise InvalidField("state", "must be reviewed or dismissed")
    if target is State.dismissed and not (reason and reason.strip()):
        raise InvalidField("reason", "required when a flag is dismissed")
    current = State(state)
    if current is State.dismissed or (current is State.reviewed and target is State.reviewed):
        raise TransitionRefused("flag", current.value, f"mark {target.value}")
    return target
