"""Use cases of delegations: a superior (or an admin for them) lets a peer decide their tasks for a
range of days; every create and revoke is an entry of the audit hash chain (task_id = the
delegation id, activity_id = "")."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

from approval_service.domain.delegation import MAX_DAYS, Delegation
from approval_service.persistence import repository as repo
from kinerja_kit.errors import InvalidField, NotFound, NotPermitted
from kinerja_kit.outbox import UnitOfWork


def describe(d: Delegation) -> str:
    """The audit entry's reason: what was delegated (so the hash covers it)."""
    return f"delegate {d.delegator_nip} -> {d.delegate_nip} from {d.valid_from} until {d.until}"


async def create(uow: UnitOfWork, *, caller_nip: str, is_admin: bool, delegate_nip: str, valid_from: date,
                 until: date, delegator_nip: str | None, today: date, max_days: int = MAX_DAYS) -> Delegation:
    """The caller delegates their own approvals; an admin may name any `delegator_nip`. Both
    must be active employees of the read model (else 422 naming the field)."""
    delegator_nip = delegator_nip or caller_nip
    if delegator_nip != caller_nip and not is_admin:
        raise NotPermitted("only an admin delegates someone else's approvals")
    now = datetime.now(timezone.utc)
    d = Delegation.create(id=str(uuid.uuid4()), delegator_nip=delegator_nip, delegate_nip=delegate_nip,
                          valid_from=valid_from, until=until, created_by=caller_nip, now=now, today=today,
                          max_days=max_days)
    for field, nip in (("delegator_nip", delegator_nip), ("delegate_nip", delegate_nip)):
        employee = await repo.get_employee(uow.session, nip)
        if employee is None or not employee.active:
            raise InvalidField(field, f"{nip} is not an active employee")
    await repo.save_delegation(uow.session, d)
    await repo.append_audit(uow.session, task=repo.AuditSubject(d.id), actor_nip=caller_nip, action="delegate",
                            reason=describe(d), at=now,
                            on_behalf_of=delegator_nip if delegator_nip != caller_nip else None)
    return d


async def revoke(uow: UnitOfWork, *, delegation_id: str, caller_nip: str, is_admin: bool) -> Delegation:
    """The delegator or an admin ends a delegation now (409 when already revoked)."""
    d = await repo.delegation_by_id(uow.session, delegation_id, lock=True)
    if d is None or not (is_admin or caller_nip in (d.delegator_nip, d.delegate_nip)):
        raise NotFound("no such delegation")
    now = datetime.now(timezone.utc)
    d.revoke(by_nip=caller_nip, is_admin=is_admin, now=now)
    await repo.save_delegation(uow.session, d)
    await repo.append_audit(uow.session, task=repo.AuditSubject(d.id), actor_nip=caller_nip,
                            action="revoke_delegation", reason=describe(d), at=now,
                            on_behalf_of=d.delegator_nip if d.delegator_nip != caller_nip else None)
    return d
