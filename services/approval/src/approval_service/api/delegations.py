"""HTTP routes of delegations: a superior lets a peer decide their tasks for a range of days."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from approval_service.application import delegations
from approval_service.domain.delegation import MAX_DAYS, Delegation
from approval_service.persistence import repository as repo
from kinerja_kit.auth import CurrentPrincipal
from kinerja_kit.errors import NotPermitted
from kinerja_kit.ratelimit import WriteLimited

router = APIRouter(prefix="/v1", tags=["delegations"])

NIP_PATTERN = r"^[0-9]{8,18}$"


class DelegationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, json_schema_extra={"examples": [{
        "delegate_nip": "197801012005011003", "from": "2026-12-07", "until": "2026-12-11"}]})
    delegate_nip: str = Field(pattern=NIP_PATTERN, description="who decides meanwhile (a peer)")
    valid_from: date = Field(alias="from", description="first day (the region's date), included")
    until: date = Field(description=f"last day, included; at most {MAX_DAYS} days after from, counting both")
    delegator_nip: str | None = Field(default=None, pattern=NIP_PATTERN,
                                      description="whose approvals: the caller when omitted; another only for an admin")


class DelegationOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: str
    delegator_nip: str
    delegate_nip: str
    valid_from: date = Field(alias="from")
    until: date
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    active: bool = Field(description="in force today (the region's date)")


def _out(d: Delegation, today: date) -> DelegationOut:
    return DelegationOut(id=d.id, delegator_nip=d.delegator_nip, delegate_nip=d.delegate_nip, valid_from=d.valid_from,
                         until=d.until, created_by=d.created_by, created_at=d.created_at, revoked_at=d.revoked_at,
                         revoked_by=d.revoked_by, active=d.active_on(today))


@router.post("/delegations", response_model=DelegationOut, status_code=201)
async def create_delegation(body: DelegationIn, request: Request, principal: WriteLimited) -> DelegationOut:
    """A superior delegates their approvals to a peer from `from` until `until` (both included; it
    ends by itself); an admin may do so for any `delegator_nip`. The delegate then decides the
    delegator's tasks, each decision recording `on_behalf_of`. 422 naming the field: to oneself,
    `until` before `from` or more than the allowed days, or an unknown employee."""
    settings = request.app.state.runtime.settings
    async with request.app.state.runtime.uow() as uow:
        d = await delegations.create(uow, caller_nip=principal.nip, is_admin=principal.has("admin"),
                                     delegate_nip=body.delegate_nip, valid_from=body.valid_from, until=body.until,
                                     delegator_nip=body.delegator_nip, today=settings.today())
    return _out(d, settings.today())


@router.post("/delegations/{delegation_id}/revoke", response_model=DelegationOut)
async def revoke_delegation(delegation_id: uuid.UUID, request: Request, principal: WriteLimited) -> DelegationOut:
    """The delegator (or an admin) ends a delegation now; 409 when it is already revoked."""
    async with request.app.state.runtime.uow() as uow:
        d = await delegations.revoke(uow, delegation_id=str(delegation_id), caller_nip=principal.nip,
                                     is_admin=principal.has("admin"))
    return _out(d, request.app.state.runtime.settings.today())


@router.get("/delegations", response_model=list[DelegationOut])
async def list_delegations(request: Request, principal: CurrentPrincipal,
                           nip: Annotated[str | None, Query(pattern=NIP_PATTERN, description=(
                               "admin, inspektorat: one employee's (as delegator or delegate); "
                               "without it every delegation"))] = None,
                           limit: Annotated[int, Query(ge=1, le=500)] = 500) -> list[DelegationOut]:
    """The caller's delegations, given or received, newest first (admin and inspektorat: all, or
    one employee's with `nip`)."""
    if not principal.has("admin", "inspektorat"):
        if nip not in (None, principal.nip):
            raise NotPermitted("only admin and inspektorat list another employee's delegations")
        nip = principal.nip
    async with request.app.state.runtime.db.sessions() as session:
        found = await repo.delegations(session, nip, limit)
    today = request.app.state.runtime.settings.today()
    return [_out(d, today) for d in found]
