"""Use cases of SKP and appraisal: propose and agree an SKP, follow the activities that serve its
RHK, appraise, accept or object, decide an objection, check a unit's predikat distribution and
make its set final (appraisal.finalized.v1, and talent.box-assigned.v1 where a potential is known)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_contracts.activity.v1 import ActivityRevisedV1, ActivitySubmittedV1
from kinerja_contracts.appraisal.v1 import AppraisalFinalizedV1, AppraisalKind, Predikat, Rating, RhkRated
from kinerja_contracts.topics import APPRAISAL_FINALIZED
from kinerja_kit.errors import Conflict, NotFound, NotPermitted, TransitionRefused
from kinerja_kit.outbox import UnitOfWork
from scoring_service.domain import appraisal as rules_
from scoring_service.domain.appraisal import Appraisal, AppraisalStatus, RhkPlan, SkpStatus
from scoring_service.persistence import appraisal as store
from scoring_service.persistence import repository as repo
from scoring_service.persistence.tables import AppraisalRow, RhkRow, SkpRow
from scoring_service.region.appraisal import AppraisalRules


# --- SKP -------------------------------------------------------------------------------------

async def propose_skp(uow: UnitOfWork, *, nip: str, year: int, rhk: list[RhkPlan], now: datetime) -> SkpRow:
    employee = await repo.get_employee(uow.session, nip)
    if employee is None or not employee.active:
        raise NotPermitted("caller is not an active employee in the organisation data")
    if await store.skp_of(uow.session, nip, year) is not None:
        raise Conflict(f"an SKP for {year} exists already", field="year")
    superior = await store.skp_of(uow.session, employee.supervisor_nip, year) if employee.supervisor_nip else None
    superior_ids = {r.id for r in await store.rhk_of(uow.session, superior.id)} if superior else None
    rules_.check_plan(rhk, superior_ids)
    skp = SkpRow(id=str(uuid.uuid4()), nip=nip, year=year, unit_code=employee.unit_code,
                 status=SkpStatus.PROPOSED.value, created_at=now)
    await store.add_skp(uow.session, skp, [
        RhkRow(id=str(uuid.uuid4()), skp_id=skp.id, position=i, kind=r.kind, title=r.title,
               parent_rhk_id=r.parent_rhk_id, indicators=r.indicators) for i, r in enumerate(rhk)])
    return skp


async def agree_skp(uow: UnitOfWork, *, skp_id: str, caller: str, now: datetime) -> SkpRow:
    skp = await store.get_skp(uow.session, skp_id, lock=True)
    if skp is None:
        raise NotFound("SKP not found")
    employee = await repo.get_employee(uow.session, skp.nip)
    rules_.check_agree(skp.status, skp.nip, employee.supervisor_nip if employee else None, caller)
    skp.status, skp.appraiser_nip, skp.agreed_at = SkpStatus.AGREED.value, caller, now
    return skp


async def link_activity(uow: UnitOfWork, event: ActivitySubmittedV1) -> None:
    """An activity (or its revision) names the RHK it serves, or no longer does."""
    if event.rhk_id is None and not isinstance(event, ActivityRevisedV1):
        return  # a first submission without an RHK: no link to forget
    await store.link_activity(uow.session, str(event.activity_id), event.rhk_id)


async def may_read(session: AsyncSession, nip: str, caller: str, read_all: bool, appraiser: str | None = None) -> bool:
    """Self, the atasan, the appraiser, the appraiser's atasan, and read-all roles."""
    if read_all or caller == nip or caller == appraiser:
        return True
    employee = await repo.get_employee(session, nip)
    boss = employee.supervisor_nip if employee else None
    if boss is None:
        return False
    if caller == boss:
        return True
    boss_row = await repo.get_employee(session, appraiser or boss)
    return boss_row is not None and boss_row.supervisor_nip == caller


def progress(work: list[tuple[str, object, int, Decimal]]) -> dict[str, list[dict]]:
    """Approved linked work per RHK and month."""
    out: dict[str, dict[str, dict]] = {}
    for rhk_id, day, minutes, points in work:
        period = f"{day.year:04d}-{day.month:02d}"
        p = out.setdefault(rhk_id, {}).setdefault(period, {"period": period, "approved_activities": 0,
                                                           "approved_minutes": 0, "approved_points": Decimal(0)})
        p["approved_activities"] += 1
        p["approved_minutes"] += int(minutes)
        p["approved_points"] += Decimal(points)
    return {rid: [periods[k] for k in sorted(periods)] for rid, periods in out.items()}


# --- appraisal -------------------------------------------------------------------------------

@dataclass(frozen=True)
class AppraisalInput:
    kind: AppraisalKind
    period: str
    results_rating: Rating
    behaviour_rating: Rating
    rhk_ratings: list[dict]  # {rhk_id, rating, note}
    behaviour: dict[str, Rating]
    behaviour_note: str | None = None


async def issue(uow: UnitOfWork, rules: AppraisalRules, *, skp_id: str, caller: str, body: AppraisalInput,
                now: datetime) -> AppraisalRow:
    skp = await store.get_skp(uow.session, skp_id, lock=True)
    if skp is None:
        raise NotFound("SKP not found")
    employee = await repo.get_employee(uow.session, skp.nip)
    if caller == skp.nip or caller not in {skp.appraiser_nip, employee.supervisor_nip if employee else None}:
        raise NotPermitted("only the employee's atasan (the appraiser) appraises")
    if skp.status != SkpStatus.AGREED.value:
        raise TransitionRefused("SKP", skp.status, "be appraised before it is agreed")
    rules_.check_period(body.kind, body.period, skp.year)
    if await store.appraisal_for(uow.session, skp.id, body.period) is not None:
        raise Conflict(f"the SKP is appraised for {body.period} already", field="period")
    rhk = await store.rhk_of(uow.session, skp.id)
    rules_.check_ratings([r.id for r in rhk], [x["rhk_id"] for x in body.rhk_ratings], body.behaviour)
    p = rules_.predikat(body.results_rating, body.behaviour_rating, rules.matrix)
    kind = employee.position_kind if employee else ""
    row = AppraisalRow(
        id=str(uuid.uuid4()), skp_id=skp.id, nip=skp.nip, kind=body.kind.value, period=body.period,
        unit_code=employee.unit_code if employee else skp.unit_code, position_kind=kind, appraiser_nip=caller,
        results_rating=body.results_rating.value, behaviour_rating=body.behaviour_rating.value, predikat=p.value,
        status=AppraisalStatus.ISSUED.value,
        rhk_ratings=[{"rhk_id": x["rhk_id"], "rating": Rating(x["rating"]).value, "note": x.get("note")}
                     for x in body.rhk_ratings],
        behaviour={**{a: Rating(r).value for a, r in body.behaviour.items()}, "note": body.behaviour_note},
        angka_kredit_percent=rules_.angka_kredit_percent(p, kind, rules.angka_kredit),
        rule_version=rules.version, issued_at=now,
        objection_deadline=rules_.objection_deadline(now, rules.objection_window_days))
    uow.session.add(row)
    await uow.session.flush()
    return row


async def _appraisal(uow: UnitOfWork, skp_id: str, appraisal_id: str) -> tuple[AppraisalRow, Appraisal]:
    row = await store.get_appraisal(uow.session, appraisal_id, lock=True)
    if row is None or row.skp_id != skp_id:
        raise NotFound("appraisal not found")
    return row, store.to_appraisal(row)


async def accept(uow: UnitOfWork, *, skp_id: str, appraisal_id: str, caller: str, now: datetime) -> AppraisalRow:
    row, a = await _appraisal(uow, skp_id, appraisal_id)
    if caller != a.nip and not await may_read(uow.session, a.nip, caller, False, a.appraiser_nip):
        raise NotFound("appraisal not found")
    a.accept(caller, now)
    store.apply(row, a)
    return row


async def object_(uow: UnitOfWork, *, skp_id: str, appraisal_id: str, caller: str, reason: str,
                  now: datetime) -> AppraisalRow:
    row, a = await _appraisal(uow, skp_id, appraisal_id)
    if caller != a.nip and not await may_read(uow.session, a.nip, caller, False, a.appraiser_nip):
        raise NotFound("appraisal not found")
    a.object(caller, reason, now)
    store.apply(row, a)
    return row


async def decide_objection(uow: UnitOfWork, rules: AppraisalRules, *, skp_id: str, appraisal_id: str, caller: str,
                           is_admin: bool, upheld: bool, note: str, results: Rating | None,
                           behaviour: Rating | None) -> AppraisalRow:
    row, a = await _appraisal(uow, skp_id, appraisal_id)
    appraiser = await repo.get_employee(uow.session, a.appraiser_nip)
    may = is_admin or (appraiser is not None and appraiser.supervisor_nip == caller)
    a.decide_objection(caller, may_decide=may, upheld=upheld, note=note, results=results, behaviour=behaviour,
                       matrix=rules.matrix)
    store.apply(row, a)
    row.angka_kredit_percent = rules_.angka_kredit_percent(a.predikat, row.position_kind, rules.angka_kredit)
    return row


# --- distribution and finalisation -----------------------------------------------------------

@dataclass
class DistributionView:
    unit_code: str
    period: str
    unit_predikat: Predikat
    unit_predikat_source: str  # set | default
    total: int
    counts: dict[str, int]
    final: int
    pending: list[dict]  # appraisals not ready to become final
    rules: list[str]
    violations: list[dict]
    ok: bool
    finalized: int = 0
    rows: list[AppraisalRow] = field(default_factory=list, repr=False)


async def distribution(session: AsyncSession, rules: AppraisalRules, unit_code: str, period: str, now: datetime, *,
                       lock: bool = False) -> DistributionView:
    rows = await store.unit_set(session, unit_code, period, lock=lock)
    set_ = await store.unit_predikat(session, unit_code, period)
    up = Predikat(set_.predikat) if set_ else rules.default_unit_predikat
    counts = rules_.count_by_predikat([Predikat(r.predikat) for r in rows])
    unit_rules = rules.distribution[up]
    violations = rules_.check_distribution(counts, unit_rules) if rows else []
    pending = []
    for r in rows:
        a = store.to_appraisal(r)
        if a.status != AppraisalStatus.FINAL and not a.ready(now):
            pending.append({"appraisal_id": r.id, "nip": r.nip, "status": r.status,
                            "objection_deadline": r.objection_deadline.isoformat()})
    return DistributionView(
        unit_code=unit_code, period=period, unit_predikat=up, unit_predikat_source="set" if set_ else "default",
        total=len(rows), counts={p.value: n for p, n in counts.items()},
        final=sum(1 for r in rows if r.status == AppraisalStatus.FINAL.value), pending=pending,
        rules=[r.describe() for r in unit_rules], violations=[v.as_dict() for v in violations],
        ok=not violations, rows=rows)


class SetNotReady(Conflict):
    def __init__(self, view: DistributionView) -> None:
        super().__init__(f"{len(view.pending)} appraisal(s) still open: an objection to decide, or the employee's "
                         "window still open", field="pending")
        self.view = view


class DistributionBroken(Conflict):
    status = 422

    def __init__(self, view: DistributionView) -> None:
        super().__init__(f"the unit's predikat break the rule for a unit rated {view.unit_predikat.value}",
                         field="distribution")
        self.view = view


async def finalize_unit(uow: UnitOfWork, rules: AppraisalRules, *, unit_code: str, period: str,
                        now: datetime) -> DistributionView:
    """All or nothing: every open appraisal ready, and the whole set within the rule, else refused."""
    from scoring_service.application import talent  # the talent grid follows a final predikat

    view = await distribution(uow.session, rules, unit_code, period, now, lock=True)
    if not view.rows:
        raise NotFound(f"no appraisals of unit {unit_code} for {period}")
    if view.pending:
        raise SetNotReady(view)
    if not view.ok:
        raise DistributionBroken(view)
    fresh = [r for r in view.rows if r.status != AppraisalStatus.FINAL.value]
    rhk_titles = {}
    for r in fresh:
        a = store.to_appraisal(r)
        a.finalize(now)
        store.apply(r, a)
        rhk_titles[r.skp_id] = {x.id: x for x in await store.rhk_of(uow.session, r.skp_id)}
        year, first, last = rules_.period_months(r.period)
        await uow.emit(APPRAISAL_FINALIZED, AppraisalFinalizedV1(
            appraisal_id=uuid.UUID(r.id), skp_id=uuid.UUID(r.skp_id), nip=r.nip, year=year, kind=r.kind,
            period=r.period, month_from=first, month_until=last, unit_code=r.unit_code,
            position_kind=r.position_kind, results_rating=r.results_rating, behaviour_rating=r.behaviour_rating,
            predikat=r.predikat, angka_kredit_percent=r.angka_kredit_percent,
            rhk=[RhkRated(rhk_id=x["rhk_id"], kind=rhk_titles[r.skp_id][x["rhk_id"]].kind,
                          title=rhk_titles[r.skp_id][x["rhk_id"]].title, rating=x["rating"], note=x.get("note"))
                 for x in r.rhk_ratings if x["rhk_id"] in rhk_titles[r.skp_id]],
            appraiser_nip=r.appraiser_nip, objection=r.objection_outcome, rule_version=r.rule_version,
            finalized_at=now))
    await uow.session.flush()
    await talent.assign(uow, rules, [r.nip for r in fresh], period, now)
    view.finalized, view.final = len(fresh), view.total
    return view
