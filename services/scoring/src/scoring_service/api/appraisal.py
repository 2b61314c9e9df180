"""HTTP routes of SKP and appraisal (PermenPANRB 6/2022): the plan and its agreement, progress from
linked activities, the appraisal, the employee's acceptance or objection, the objection's
decision, the unit's predikat distribution and its finalisation."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from kinerja_contracts.appraisal.v1 import AppraisalKind, Predikat, Rating
from kinerja_kit.auth import CurrentPrincipal, Principal, require_roles
from scoring_service.application import appraisal as use
from scoring_service.domain.appraisal import BERAKHLAK, LABELS, RhkPlan
from scoring_service.persistence import appraisal as store
from scoring_service.persistence.tables import AppraisalRow, RhkRow, SkpRow

router = APIRouter(prefix="/v1")
READ_ALL_ROLES = ("admin", "pimpinan", "inspektorat")
PERIOD_QUERY = Query(pattern=r"^(19|20)[0-9]{2}(-(0[1-9]|1[0-2]|Q[1-4]))?$", description="YYYY, YYYY-MM or YYYY-Qn")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IndicatorIn(_In):
    name: str = Field(min_length=1, max_length=500, examples=["Jumlah laporan layanan TI yang selesai"])
    target: str = Field(min_length=1, max_length=100, examples=["12"])
    unit: str = Field(min_length=1, max_length=40, examples=["laporan"])
    aspect: Literal["kuantitas", "kualitas", "waktu", "biaya"] | None = None


class RhkIn(_In):
    kind: Literal["main", "additional"] = Field(description="main (utama) or additional (tambahan)")
    title: str = Field(min_length=3, max_length=500)
    indicators: list[IndicatorIn] = Field(min_length=1, max_length=20)
    parent_rhk_id: str | None = Field(default=None, max_length=36,
                                      description="the atasan's RHK (same year) this one cascades from")


class SkpIn(_In):
    """Body of POST /v1/skp: the caller's plan for a year."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"year": 2026, "rhk": [
        {"kind": "main", "title": "Layanan TI OPD berjalan tanpa gangguan",
         "indicators": [{"name": "Laporan layanan TI", "target": "12", "unit": "laporan", "aspect": "kuantitas"}]}]}]})
    year: int = Field(ge=2000, le=2100)
    rhk: list[RhkIn] = Field(min_length=1, max_length=50)


class ProgressOut(BaseModel):
    period: str
    approved_activities: int
    approved_minutes: int
    approved_points: Decimal


class RhkOut(BaseModel):
    id: str
    kind: str
    title: str
    parent_rhk_id: str | None
    indicators: list[dict]
    progress: list[ProgressOut] = Field(description="approved activities linked to this RHK, per month")


class RhkRatingOut(BaseModel):
    rhk_id: str
    kind: str | None
    title: str | None
    rating: Rating
    note: str | None


class ObjectionOut(BaseModel):
    reason: str | None
    objected_at: datetime | None
    outcome: str | None = Field(description="upheld or rejected, once decided")
    note: str | None
    decided_by: str | None


class AppraisalOut(BaseModel):
    id: str
    skp_id: str
    nip: str
    kind: AppraisalKind
    period: str
    unit_code: str
    appraiser_nip: str
    results_rating: Rating
    behaviour_rating: Rating
    predikat: Predikat
    predikat_label: str
    angka_kredit_percent: Decimal | None = Field(description="for functional officials (PermenPANRB 1/2023)")
    status: str = Field(description="issued, accepted, objected, decided, final")
    rhk_ratings: list[RhkRatingOut]
    behaviour: dict[str, str | None]
    issued_at: datetime
    objection_deadline: datetime
    objection: ObjectionOut | None
    finalized_at: datetime | None
    rule_version: str


class SkpOut(BaseModel):
    id: str
    nip: str
    year: int
    unit_code: str
    status: str = Field(description="proposed or agreed")
    appraiser_nip: str | None
    created_at: datetime
    agreed_at: datetime | None
    rhk: list[RhkOut]
    appraisals: list[AppraisalOut] = []


class RhkRatingIn(_In):
    rhk_id: str
    rating: Rating
    note: str = Field(min_length=1, max_length=2000, description="the appraiser's note on this RHK")


class BehaviourIn(_In):
    """The seven BerAKHLAK aspects, each rated."""
    berorientasi_pelayanan: Rating
    akuntabel: Rating
    kompeten: Rating
    harmonis: Rating
    loyal: Rating
    adaptif: Rating
    kolaboratif: Rating


class AppraisalIn(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "annual", "period": "2026", "results_rating": "sesuai", "behaviour_rating": "di_atas",
        "rhk_ratings": [{"rhk_id": "<id>", "rating": "sesuai", "note": "Target 12 laporan tercapai"}],
        "behaviour": {a: "sesuai" for a in BERAKHLAK}, "behaviour_note": "Kolaboratif dengan bidang lain"}]})
    kind: AppraisalKind
    period: str = Field(pattern=r"^(19|20)[0-9]{2}(-(0[1-9]|1[0-2]|Q[1-4]))?$", description="YYYY (annual), YYYY-MM or YYYY-Qn")
    results_rating: Rating = Field(description="hasil kerja overall")
    behaviour_rating: Rating = Field(description="perilaku kerja overall")
    rhk_ratings: list[RhkRatingIn] = Field(min_length=1, max_length=50)
    behaviour: BehaviourIn
    behaviour_note: str | None = Field(default=None, max_length=2000)


class ObjectionIn(_In):
    reason: str = Field(min_length=1, max_length=4000)


class ObjectionDecisionIn(_In):
    outcome: Literal["upheld", "rejected"]
    note: str = Field(min_length=1, max_length=4000)
    results_rating: Rating | None = Field(default=None, description="upheld: the new results rating")
    behaviour_rating: Rating | None = Field(default=None, description="upheld: the new behaviour rating")


class UnitPredikatIn(_In):
    predikat: Predikat
    basis: str | None = Field(default=None, max_length=500, description="e.g. the organisation's evaluation decree")


class DistributionOut(BaseModel):
    unit_code: str
    period: str
    unit_predikat: Predikat
    unit_predikat_source: str = Field(description="set (PUT …/predikat) or default (region data)")
    total: int
    counts: dict[str, int]
    final: int
    pending: list[dict] = Field(description="appraisals that cannot become final yet")
    rules: list[str]
    violations: list[dict] = Field(description="each broken rule with its count, allowed_max / required_min")
    ok: bool
    finalized: int = 0


def _now() -> datetime:
    return datetime.now(timezone.utc)


def appraisal_out(r: AppraisalRow, rhk: dict[str, RhkRow]) -> AppraisalOut:
    objection = None if r.objected_at is None else ObjectionOut(
        reason=r.objection_reason, objected_at=r.objected_at, outcome=r.objection_outcome, note=r.objection_note,
        decided_by=r.decided_by)
    return AppraisalOut(
        id=r.id, skp_id=r.skp_id, nip=r.nip, kind=r.kind, period=r.period, unit_code=r.unit_code,
        appraiser_nip=r.appraiser_nip, results_rating=r.results_rating, behaviour_rating=r.behaviour_rating,
        predikat=r.predikat, predikat_label=LABELS[Predikat(r.predikat)], angka_kredit_percent=r.angka_kredit_percent,
        status=r.status, rhk_ratings=[RhkRatingOut(rhk_id=x["rhk_id"], rating=x["rating"], note=x.get("note"),
                                                   kind=getattr(rhk.get(x["rhk_id"]), "kind", None),
                                                   title=getattr(rhk.get(x["rhk_id"]), "title", None))
                                      for x in r.rhk_ratings],
        behaviour=r.behaviour, issued_at=r.issued_at, objection_deadline=r.objection_deadline, objection=objection,
        finalized_at=r.finalized_at, rule_version=r.rule_version)


async def skp_out(session, skp: SkpRow, *, with_appraisals: bool = True) -> SkpOut:
    rhk = await store.rhk_of(session, skp.id)
    progress = use.progress(await store.approved_work_of(session, [r.id for r in rhk]))
    by_id = {r.id: r for r in rhk}
    appraisals = [appraisal_out(a, by_id) for a in await store.appraisals_of(session, skp.id)] if with_appraisals else []
    return SkpOut(id=skp.id, nip=skp.nip, year=skp.year, unit_code=skp.unit_code, status=skp.status,
                  appraiser_nip=skp.appraiser_nip, created_at=skp.created_at, agreed_at=skp.agreed_at,
                  rhk=[RhkOut(id=r.id, kind=r.kind, title=r.title, parent_rhk_id=r.parent_rhk_id,
                              indicators=r.indicators, progress=progress.get(r.id, [])) for r in rhk],
                  appraisals=appraisals)


@router.post("/skp", response_model=SkpOut, status_code=201,
             responses={409: {"description": "the caller has an SKP for that year"},
                        422: {"description": "no main RHK, or a parent_rhk_id that is not the atasan's"}})
async def propose_skp(body: SkpIn, request: Request, principal: CurrentPrincipal) -> SkpOut:
    """The caller proposes their SKP for a year (status `proposed`); RHK may cascade from the
    atasan's SKP of that year (`parent_rhk_id`)."""
    async with request.app.state.runtime.uow() as uow:
        skp = await use.propose_skp(uow, nip=principal.nip, year=body.year, now=_now(), rhk=[
            RhkPlan(r.kind, r.title, [i.model_dump(exclude_none=True) for i in r.indicators], r.parent_rhk_id)
            for r in body.rhk])
        return await skp_out(uow.session, skp)


@router.post("/skp/{skp_id}/agree", response_model=SkpOut,
             responses={403: {"description": "not the employee's atasan langsung"}, 409: {"description": "agreed already"}})
async def agree_skp(skp_id: str, request: Request, principal: CurrentPrincipal) -> SkpOut:
    """The employee's atasan langsung agrees the SKP and becomes its appraiser."""
    async with request.app.state.runtime.uow() as uow:
        skp = await use.agree_skp(uow, skp_id=skp_id, caller=principal.nip, now=_now())
        return await skp_out(uow.session, skp)


@router.get("/skp/{nip}/{year}", response_model=SkpOut)
async def get_skp(nip: str, year: Annotated[int, Path(ge=2000, le=2100)], request: Request,
                  principal: CurrentPrincipal) -> SkpOut:
    """An employee's SKP of a year with each RHK's progress (approved linked activities per month)
    and its appraisals: for the employee, the atasan, the appraiser and their atasan, admin,
    pimpinan, inspektorat; anyone else 404."""
    async with request.app.state.runtime.db.sessions() as session:
        skp = await store.skp_of(session, nip, year)
        if skp is None or not await use.may_read(session, nip, principal.nip, principal.has(*READ_ALL_ROLES),
                                                 skp.appraiser_nip):
            raise HTTPException(404, detail="SKP not found")
        return await skp_out(session, skp)


async def _appraisal_out(session, row: AppraisalRow) -> AppraisalOut:
    return appraisal_out(row, {r.id: r for r in await store.rhk_of(session, row.skp_id)})


@router.post("/skp/{skp_id}/appraisals", response_model=AppraisalOut, status_code=201,
             responses={403: {"description": "not the appraiser"}, 409: {"description": "SKP not agreed, or that period appraised"},
                        422: {"description": "a period outside the SKP's year, an RHK not rated or rated twice"}})
async def issue_appraisal(skp_id: str, body: AppraisalIn, request: Request, principal: CurrentPrincipal) -> AppraisalOut:
    """The appraiser (the atasan) rates each RHK with a note, the seven BerAKHLAK aspects, and the
    overall results and behaviour; the predikat comes from the region's matrix. The employee sees
    it at once and may object until `objection_deadline`."""
    async with request.app.state.runtime.uow() as uow:
        row = await use.issue(uow, request.app.state.appraisal_rules, skp_id=skp_id, caller=principal.nip, now=_now(),
                              body=use.AppraisalInput(
                                  kind=body.kind, period=body.period, results_rating=body.results_rating,
                                  behaviour_rating=body.behaviour_rating,
                                  rhk_ratings=[x.model_dump() for x in body.rhk_ratings],
                                  behaviour=body.behaviour.model_dump(), behaviour_note=body.behaviour_note))
        return await _appraisal_out(uow.session, row)


@router.get("/skp/{skp_id}/appraisals/{appraisal_id}", response_model=AppraisalOut)
async def get_appraisal(skp_id: str, appraisal_id: str, request: Request, principal: CurrentPrincipal) -> AppraisalOut:
    """One appraisal, for those who may read the SKP (anyone else 404)."""
    async with request.app.state.runtime.db.sessions() as session:
        row = await store.get_appraisal(session, appraisal_id)
        if row is None or row.skp_id != skp_id or not await use.may_read(
                session, row.nip, principal.nip, principal.has(*READ_ALL_ROLES), row.appraiser_nip):
            raise HTTPException(404, detail="appraisal not found")
        return await _appraisal_out(session, row)


@router.post("/skp/{skp_id}/appraisals/{appraisal_id}/accept", response_model=AppraisalOut,
             responses={403: {"description": "not the appraised employee"}, 409: {"description": "not issued"}})
async def accept_appraisal(skp_id: str, appraisal_id: str, request: Request, principal: CurrentPrincipal) -> AppraisalOut:
    """The employee accepts the appraisal (no objection): it may become final with the unit's set."""
    async with request.app.state.runtime.uow() as uow:
        row = await use.accept(uow, skp_id=skp_id, appraisal_id=appraisal_id, caller=principal.nip, now=_now())
        return await _appraisal_out(uow.session, row)


@router.post("/skp/{skp_id}/appraisals/{appraisal_id}/objection", response_model=AppraisalOut,
             responses={403: {"description": "not the appraised employee"},
                        409: {"description": "not issued, or the objection window closed"}})
async def object_to_appraisal(skp_id: str, appraisal_id: str, body: ObjectionIn, request: Request,
                              principal: CurrentPrincipal) -> AppraisalOut:
    """The employee objects (keberatan) within the region's window; the appraisal waits for the
    decision and cannot become final before it."""
    async with request.app.state.runtime.uow() as uow:
        row = await use.object_(uow, skp_id=skp_id, appraisal_id=appraisal_id, caller=principal.nip,
                                reason=body.reason, now=_now())
        return await _appraisal_out(uow.session, row)


@router.post("/skp/{skp_id}/appraisals/{appraisal_id}/objection/decision", response_model=AppraisalOut,
             responses={403: {"description": "neither the appraiser's atasan nor admin"},
                        409: {"description": "no open objection"}})
async def decide_objection(skp_id: str, appraisal_id: str, body: ObjectionDecisionIn, request: Request,
                           principal: CurrentPrincipal) -> AppraisalOut:
    """The appraiser's atasan, or BKPSDMD (admin), decides the objection: `upheld` with the new
    results and/or behaviour rating (the predikat follows the matrix), or `rejected` (ratings stand)."""
    async with request.app.state.runtime.uow() as uow:
        row = await use.decide_objection(
            uow, request.app.state.appraisal_rules, skp_id=skp_id, appraisal_id=appraisal_id, caller=principal.nip,
            is_admin=principal.has("admin"), upheld=body.outcome == "upheld", note=body.note,
            results=body.results_rating, behaviour=body.behaviour_rating)
        return await _appraisal_out(uow.session, row)


@router.put("/units/{unit_code}/predikat", response_model=DistributionOut)
async def set_unit_predikat(unit_code: str, body: UnitPredikatIn, request: Request, period: str = PERIOD_QUERY,
                            principal: Principal = require_roles("admin")) -> DistributionOut:
    """BKPSDMD (admin) records the unit's own predikat for a period, which chooses its distribution
    rule (without one the region's `default_unit_predikat` applies)."""
    rules = request.app.state.appraisal_rules
    async with request.app.state.runtime.uow() as uow:
        await store.set_unit_predikat(uow.session, {"unit_code": unit_code, "period": period,
                                                    "predikat": body.predikat.value, "set_by": principal.nip,
                                                    "updated_at": _now()})
        view = await use.distribution(uow.session, rules, unit_code, period, _now())
    return _dist_out(view)


def _dist_out(view: use.DistributionView) -> DistributionOut:
    return DistributionOut(**{k: getattr(view, k) for k in DistributionOut.model_fields})


@router.get("/units/{unit_code}/predikat-distribution", response_model=DistributionOut)
async def predikat_distribution(unit_code: str, request: Request, period: str = PERIOD_QUERY,
                                principal: Principal = require_roles(*READ_ALL_ROLES)) -> DistributionOut:
    """The unit's appraisals of a period counted by predikat, checked against the rule for the
    unit's own predikat: `violations` names each broken rule with its count and limit."""
    async with request.app.state.runtime.db.sessions() as session:
        view = await use.distribution(session, request.app.state.appraisal_rules, unit_code, period, _now())
    return _dist_out(view)


@router.post("/units/{unit_code}/predikat-distribution/finalize", response_model=DistributionOut,
             responses={404: {"description": "no appraisals"},
                        409: {"description": "`pending`: an objection undecided or a window still open"},
                        422: {"description": "`violations` and `counts`: the set breaks the distribution rule"}})
async def finalize(unit_code: str, request: Request, period: str = PERIOD_QUERY,
                   principal: Principal = require_roles("admin")):
    """BKPSDMD (admin) makes the unit's set of the period final, all or nothing: refused while an
    appraisal is open (409) or when the distribution breaks the rule (422, with the counts); else
    every appraisal becomes final and is published as appraisal.finalized.v1 (with the angka kredit
    factor), and the 9-box of each employee with a potential as talent.box-assigned.v1."""
    try:
        async with request.app.state.runtime.uow() as uow:
            view = await use.finalize_unit(uow, request.app.state.appraisal_rules, unit_code=unit_code, period=period,
                                           now=_now())
    except (use.SetNotReady, use.DistributionBroken) as exc:
        status = 409 if isinstance(exc, use.SetNotReady) else 422
        body = {"type": "about:blank", "title": "Conflict" if status == 409 else "Unprocessable Content",
                "status": status, "detail": exc.message, **_dist_out(exc.view).model_dump(mode="json")}
        return JSONResponse(body, status_code=status, media_type="application/problem+json")
    return _dist_out(view)
