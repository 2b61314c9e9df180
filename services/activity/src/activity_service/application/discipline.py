"""Hukuman disiplin intake: an admin records a decree; the region's rules give it its cut and
range; it is stored and discipline.sanctioned.v1 is queued — in the caller's unit of work."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

from activity_service.domain.discipline import DisciplineRuleSet, Sanction
from activity_service.persistence import repository as repo
from kinerja_contracts.discipline.v1 import DisciplineSanctionedV1
from kinerja_contracts.topics import DISCIPLINE_SANCTIONED
from kinerja_kit.errors import Conflict, InvalidField
from kinerja_kit.outbox import UnitOfWork


async def record(uow: UnitOfWork, rule_sets: list[DisciplineRuleSet], *, nip: str, sk_number: str, level: str,
                 months: int, start_date: date) -> Sanction:
    """Store a new sanction and queue discipline.sanctioned.v1 (201 only after the commit).
    Refused naming `nip` (not an employee of the organisation data), `sk_number` (this employee's
    decree already recorded: 409), `level`, `months` or `start_date` (the rule set's)."""
    if await repo.get_employee(uow.session, nip) is None:
        raise InvalidField("nip", "unknown employee (not in the organisation data)")
    now = datetime.now(timezone.utc)
    sanction = Sanction.decree(rule_sets, sanction_id=str(uuid.uuid4()), nip=nip, sk_number=sk_number,
                               level=level, months=months, start_date=start_date, now=now)
    if not await repo.add_sanction(uow.session, sanction):
        raise Conflict(f"decree {sanction.sk_number} is already recorded for this employee", field="sk_number")
    await uow.emit(DISCIPLINE_SANCTIONED, DisciplineSanctionedV1(
        sanction_id=uuid.UUID(sanction.sanction_id), nip=sanction.nip, sk_number=sanction.sk_number,
        level=sanction.level, cut_percent=sanction.cut_percent, effective_from=sanction.effective_from,
        effective_until=sanction.effective_until, regulation=sanction.regulation, decided_at=now))
    return sanction
