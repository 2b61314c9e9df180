"""Who approves: the walk over the org read model (rules in domain/routing), and re-routing of
open tasks when personnel data changes."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from approval_service.domain.routing import ChainLevel, Route, acting_on, rank
from approval_service.persistence import repository as repo
from approval_service.persistence.tables import Employee
from kinerja_contracts.org.v1 import PostingV1, posting_on

MAX_STEPS = 12  # a chain is a handful of levels; more means a cycle in the org data


def supervisor_on(e: Employee, day: date) -> str | None:
    """The atasan langsung on `day` from the personnel history (the flat field without one)."""
    history = [PostingV1.model_validate(p) for p in (e.history or [])]
    posting = posting_on(history, day)
    return posting.supervisor_nip if posting is not None else e.supervisor_nip


async def _next_in_chain(session: AsyncSession, e: Employee, chain: list[ChainLevel]) -> Route:
    """No atasan: the unit's highest official above `e`, else the next named level held by anyone."""
    own = rank(chain, e.position, e.eselon)
    above = [(rank(chain, o.position, o.eselon), o.nip) for o in await repo.unit_officials(session, e.unit_code)
             if o.nip != e.nip]
    above = [(r, n) for r, n in above if r > own]
    if above:
        r, nip = max(above, key=lambda x: (x[0], [-ord(c) for c in x[1]]))
        return Route(nip, f"no atasan: head of unit {e.unit_code}")
    for level in chain[own + 1:]:
        if level.position is not None:
            holders = [h for h in await repo.holders_of(session, level.position) if h.nip != e.nip]
            if holders:
                return Route(holders[0].nip, f"no atasan: next level of the chain ({level.level})")
    return Route(None, "top of the chain: nobody above")


async def route_for(session: AsyncSession, nip: str, work_date: date, today: date,
                    chain: list[ChainLevel]) -> Route:
    """The approver of `nip`'s work dated `work_date`, deciding on `today`."""
    e = await repo.get_employee(session, nip)
    if e is None:
        return Route(None, f"employee {nip} unknown")
    candidate = supervisor_on(e, work_date)
    route = Route(candidate, "atasan langsung") if candidate else await _next_in_chain(session, e, chain)
    seen = {nip}
    for _ in range(MAX_STEPS):
        if route.assignee is None or route.assignee in seen:
            return Route(None, route.reason if route.assignee is None else "a cycle in the org data")
        seen.add(route.assignee)
        official = await repo.get_employee(session, route.assignee)
        acting = acting_on(await repo.acting_for(session, route.assignee), today)
        if acting is not None and acting.nip != nip:
            return Route(acting.nip, f"{acting.kind} for {route.assignee}")
        if official is not None and official.active:
            return route
        # A vacant post with nobody acting: its own atasan, or the chain above it.
        if official is None:
            return Route(None, f"atasan {route.assignee} unknown")
        up = supervisor_on(official, work_date)
        route = (Route(up, f"{route.assignee} vacant: next superior") if up
                 else await _next_in_chain(session, official, chain))
    return Route(None, "the chain is too long (a cycle in the org data?)")


_chain: list[ChainLevel] = []  # the region's chain, loaded once at start (main.wire → configure)


def configure(chain: list[ChainLevel]) -> None:
    _chain[:] = chain


def region_chain() -> list[ChainLevel]:
    return list(_chain)


async def escalation_target(session: AsyncSession, assignee_nip: str, day: date) -> str | None:
    """The official above `assignee_nip` on `day` (where an overdue task of theirs goes), or None
    at the top of the chain."""
    return (await route_for(session, assignee_nip, day, day, _chain)).assignee
