"""HTTP routes of a closed period's files for BPKAD and BKN: one row per employee (the slip in
force, i.e. the latest revision), totals per OPD and a grand total (docs/exports.md)."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, HTTPException, Request, Response

from kinerja_kit.auth import Principal, require_roles
from tpp_service.api.routes import PeriodParam
from tpp_service.domain.period import PeriodStatus
from tpp_service.exports import ExportRow, to_csv, to_siasn
from tpp_service.exports.siasn import PREDIKAT_MATRIX, normalize_predikat
from tpp_service.persistence import repository as repo

router = APIRouter(prefix="/v1")
EXPORT_ROLES = ("bpkad", "admin")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_row(c, appraisal=None) -> ExportRow:
    """One slip as an export row; with the final appraisal covering the month, its predikat (and its
    two ratings when they are the PermenPANRB 6/2022 cell of that predikat)."""
    bpjs, pph21 = c.bpjs_amount or 0, c.pph21_amount or 0
    predikat = hasil = perilaku = None
    if appraisal is not None:
        predikat = normalize_predikat(appraisal.predikat)
        if PREDIKAT_MATRIX.get((appraisal.results_rating, appraisal.behaviour_rating)) == predikat:
            hasil, perilaku = appraisal.results_rating, appraisal.behaviour_rating
    return ExportRow(
        period=c.period, revision=c.revision, nip=c.nip, name=c.name, unit_code=c.unit_code, unit_name=c.unit_code,
        employee_type=c.employee_type, kelas_jabatan=c.kelas_jabatan, base_amount=c.base_amount,
        kinerja_amount=c.kinerja_amount, disiplin_amount=c.disiplin_amount, deductions=c.deductions,
        total_amount=c.total_amount, bpjs_amount=bpjs, pph21_amount=pph21,
        net_amount=c.net_amount if c.net_amount is not None else c.total_amount - bpjs - pph21,
        productivity=Decimal(c.productivity), discipline_factor=Decimal(c.discipline_factor),
        pph21_borne_amount=c.pph21_borne_amount or 0, predikat=predikat, hasil_kerja=hasil, perilaku_kerja=perilaku)


async def _closed_rows(request: Request, period: str):
    async with request.app.state.runtime.db.sessions() as session:
        state = await repo.get_period(session, period)
        if state.status != PeriodStatus.CLOSED:
            raise HTTPException(409, detail=f"period {period} is not closed: nothing to export yet")
        appraisals = await repo.appraisals_for(session, period)
        rows = [export_row(c, appraisals.get(c.nip)) for c in await repo.latest_computations(session, period)]
    return state, rows


def _file(body: bytes, media_type: str, name: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/periods/{period}/export.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}, 409: {"description": "the period is not closed"}})
async def export_csv(period: PeriodParam, request: Request,
                     principal: Principal = require_roles(*EXPORT_ROLES)) -> Response:
    """The payroll file for BPKAD: UTF-8 with BOM, one row per employee (NIP kept as text), then
    a total per OPD and the grand total; header names are a stable contract."""
    _, rows = await _closed_rows(request, period)
    return _file(to_csv(rows, period), "text/csv; charset=utf-8", f"tpp-{period}.csv")


@router.get("/periods/{period}/export.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}}, 409: {"description": "the period is not closed"}})
async def export_xlsx(period: PeriodParam, request: Request,
                      principal: Principal = require_roles(*EXPORT_ROLES)) -> Response:
    """The same as a workbook: sheets Pegawai, Per OPD and Rekap (the same bytes for the same revision)."""
    from tpp_service.exports import to_xlsx

    state, rows = await _closed_rows(request, period)
    when = max([state.closed_at, *(c for c in [state.cutoff_at] if c)])
    return _file(to_xlsx(rows, period, generated_at=when, revision=state.revision), XLSX, f"tpp-{period}.xlsx")


@router.get("/periods/{period}/siasn", response_class=Response,
            responses={200: {"content": {"application/json": {}}}, 409: {"description": "the period is not closed"}})
async def export_siasn(period: PeriodParam, request: Request,
                       principal: Principal = require_roles(*EXPORT_ROLES)) -> Response:
    """The periodic performance for BKN's SIASN (`kinerjaperiodik/save` payloads, docs/exports.md):
    the predikat from an appraisal where one exists, otherwise derived from K (marked so)."""
    _, rows = await _closed_rows(request, period)
    return _file(to_siasn(rows, period), "application/json", f"siasn-kinerja-{period}.json")
