"""HTTP routes of organisation data: the CSV import (dry run, all or nothing) and one employee with
their personnel history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.datastructures import UploadFile

from activity_service.api.idempotency import IdempotencyKeyHeader, fingerprint, once
from activity_service.api.org_csv import HeaderError, parse_org_csv
from activity_service.api.schemas import ActingOut, EmployeeOut, ImportResultOut, PostingOut
from activity_service.application import org
from activity_service.persistence import personnel
from activity_service.persistence import repository as repo
from kinerja_kit.auth import CurrentPrincipal, Principal, require_roles
from kinerja_kit.errors import InvalidField
from kinerja_kit.http import FieldError, problem

router = APIRouter(prefix="/v1")
MAX_CSV_BYTES = 20 * 1024 * 1024
READ_ALL_ROLES = ("admin", "inspektorat", "pimpinan", "bpkad")


class RowsRefused(InvalidField):
    def __init__(self, errors: list[dict]) -> None:
        super().__init__("rows", f"{len(errors)} error(s); nothing was imported")
        self.errors = errors


async def _csv_text(request: Request) -> str:
    """The CSV from a multipart `file` field or a raw text/csv body."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise FieldError("file", "multipart field 'file' with the CSV is required")
        raw = await upload.read(MAX_CSV_BYTES + 1)
    else:
        raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise FieldError("file", f"larger than {MAX_CSV_BYTES} bytes", 413)
    if not raw.strip():
        raise FieldError("file", "empty CSV")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FieldError("file", "must be UTF-8 text") from None



@router.post("/org/import", response_model=ImportResultOut, responses={422: {"description": "rows refused: `errors`"}},
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}, "example": (
                 "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type,"
                 "effective_from\n198503302010011002,Ani Lestari,DISKOMINFO,Dinas Kominfo,Pranata Komputer,fungsional,,"
                 "9,197501012000031001,PNS,2026-11-15\n")}}}})
async def import_org(request: Request, key: IdempotencyKeyHeader = None,
                     dry_run: Annotated[bool, Query(description="validate and count, store nothing")] = False,
                     principal: Principal = require_roles("admin")):
    """Import or update employees from CSV, all or nothing: any row error refuses the whole file
    (422 with every error by row and field) and stores nothing. Rows with `effective_from` keep the
    personnel history; only new or changed employees are published (org.employee.v1)."""
    text = await _csv_text(request)
    settings = request.app.state.settings

    async def write(uow):
        try:
            result = parse_org_csv(text, await repo.existing_nips(uow.session), today=settings.today())
        except HeaderError as exc:
            raise FieldError("header", str(exc)) from None
        if result.errors and not dry_run:
            raise RowsRefused(result.errors)
        summary = await org.import_rows(uow, result.rows, today=settings.today(), dry_run=dry_run or bool(result.errors))
        return ImportResultOut(imported=0 if result.errors else summary.imported, changed=len(summary.changed),
                               dry_run=dry_run, errors=result.errors)
    try:
        return await once(request.app.state.runtime, nip=principal.nip, key=key, status=200, write=write,
                          fp=fingerprint("POST", request.url.path + f"?dry_run={dry_run}", text))
    except RowsRefused as exc:
        return problem(422, exc.message, errors=exc.errors)


@router.get("/org/employees/{nip}", response_model=EmployeeOut)
async def get_employee(nip: str, request: Request, principal: CurrentPrincipal) -> EmployeeOut:
    """One employee with every posting and acting assignment: for the employee, anyone who was
    their atasan, and admin, inspektorat, pimpinan, bpkad (404 for anyone else)."""
    async with request.app.state.runtime.db.sessions() as session:
        e = await repo.get_employee(session, nip)
        history = (await personnel.postings_of(session, {nip})).get(nip, []) if e else []
        acting = (await personnel.acting_of(session, {nip})).get(nip, []) if e else []
        acted_for = await personnel.acting_for(session, nip) if e else []
    allowed = e is not None and (principal.nip == nip or principal.has(*READ_ALL_ROLES) or principal.nip in
                                 {e.supervisor_nip, *(p.supervisor_nip for p in history)})
    if not allowed:
        raise HTTPException(404, detail="employee not found")
    return EmployeeOut(**{c: getattr(e, c) for c in personnel.EMPLOYEE_COLUMNS},
                       history=[PostingOut(**vars(p)) for p in history],
                       acting=[ActingOut(nip=nip, **vars(a)) for a in acting],
                       acted_for_by=[ActingOut(nip=n, **vars(a)) for n, a in acted_for])
