"""Who approves: the routing use cases over the org read model (rules in domain/routing)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from approval_service.persistence import repository as repo


async def escalation_target(session: AsyncSession, assignee_nip: str, day: date) -> str | None:
    """The official above `assignee_nip` on `day` (where an overdue task of theirs goes), or None
    at the top of the chain."""
    assignee = await repo.get_employee(session, assignee_nip)
    return assignee.supervisor_nip if assignee is not None else None
