"""HTTP routes of hukuman disiplin: an admin records a decree (the TPP cut comes from the region's
rule set, never from the body); admin, inspektorat, bpkad and the employee read the list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from activity_service.api.idempotency import IdempotencyKeyHeader, fingerprint, once
from activity_service.api.schemas import SanctionCreate, SanctionOut
from activity_service.application import discipline
from activity_service.domain.discipline import Sanction
from activity_service.persistence import repository as repo
from kinerja_kit.auth import CurrentPrincipal, Principal, require_roles

READ_ROLES = ("admin", "inspektorat", "bpkad")


router = APIRouter(prefix="/v1")


def _out(s: Sanction) -> SanctionOut:
    return SanctionOut(id=s.sanction_id, nip=s.nip, sk_number=s.sk_number, level=s.level, months=s.months,
                       cut_percent=s.cut_percent, effective_from=s.effective_from,
                       effective_until=s.effective_until, regulation=s.regulation)


@router.post("/discipline/sanctions", status_code=201, response_model=SanctionOut)
async def post_sanction(body: SanctionCreate, request: Request, key: IdempotencyKeyHeader = None,
                        principal: Principal = require_roles("admin")) -> SanctionOut:
    """Record a hukuman disiplin from its decree (SK): the cut and the range come from the region's
    rule set in force on `start_date`; stored and published (discipline.sanctioned.v1) together.
    422 naming `nip` (unknown employee), `level`, `months` or `start_date`; 409 naming `sk_number`
    when this employee's decree is already recorded."""
    rules = request.app.state.discipline_rules

    async def write(uow):
        return _out(await discipline.record(uow, rules, nip=body.nip, sk_number=body.sk_number, level=body.level,
                                            months=body.months, start_date=body.start_date))
    return await once(request.app.state.runtime, nip=principal.nip, key=key, status=201, write=write,
                      fp=fingerprint("POST", request.url.path, body.model_dump(mode="json")))


@router.get("/discipline/sanctions", response_model=list[SanctionOut])
async def list_sanctions(request: Request, principal: CurrentPrincipal,
                         nip: Annotated[str, Query(pattern=r"^[0-9]{8,18}$", description="the employee")],
                         ) -> list[SanctionOut]:
    """One employee's recorded sanctions, newest start first: admin, inspektorat, bpkad, and the
    employee themself (403 for anyone else)."""
    if nip != principal.nip and not principal.has(*READ_ROLES):
        raise HTTPException(403, detail="requires role admin, inspektorat or bpkad, or your own nip")
    async with request.app.state.runtime.db.sessions() as session:
        return [_out(s) for s in await repo.sanctions_of(session, nip)]
