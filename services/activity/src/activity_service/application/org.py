"""The organisation import as one use case: every row applied to the stored personnel history
(pure rules in domain/personnel), only changed employees written and published. All or nothing:
the caller refuses a file with any row error before this runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from activity_service.domain.personnel import Acting, ImportRow, Posting, apply_acting, apply_posting, posting_on, POST_FIELDS
from activity_service.persistence import personnel
from kinerja_contracts.org.v1 import ActingV1, EmployeeV1, PostingV1
from kinerja_contracts.topics import ORG_EMPLOYEE
from kinerja_kit.outbox import UnitOfWork


SINCE_EVER = date(1900, 1, 1)  # a first posting with no date: in post since before our records


@dataclass(frozen=True)
class ImportSummary:
    imported: int  # rows applied
    changed: list[str]  # employees written and published (new, moved, renamed, acting changed)


def _posting(e: EmployeeV1, effective: date) -> Posting:
    return Posting(valid_from=effective, unit_code=e.unit_code, unit_name=e.unit_name, position=e.position,
                   position_kind=e.position_kind.value, eselon=e.eselon, kelas_jabatan=e.kelas_jabatan,
                   supervisor_nip=e.supervisor_nip, employee_type=e.employee_type.value, active=e.active)


def _event(nip: str, name: str, history: list[Posting], acting: list[Acting], today: date) -> EmployeeV1:
    now = posting_on(history, today)
    return EmployeeV1(nip=nip, name=name, effective_from=now.valid_from,
                      **{f: getattr(now, f) for f in POST_FIELDS},
                      history=[PostingV1(**vars(p)) for p in history],
                      acting=[ActingV1(**vars(a)) for a in acting])


async def import_rows(uow: UnitOfWork, rows: list[ImportRow], *, today: date, dry_run: bool) -> ImportSummary:
    nips = {r.employee.nip for r in rows}
    session = uow.session
    stored = await personnel.employees(session, nips)
    histories = await personnel.postings_of(session, nips)
    actings = await personnel.acting_of(session, nips)
    before = {nip: (list(histories[nip]), list(actings[nip])) for nip in nips}
    for nip, e in stored.items():  # rows from before personnel history: their flat row is the first posting
        if not histories[nip]:
            histories[nip] = [Posting(valid_from=SINCE_EVER, **{f: getattr(e, f) for f in POST_FIELDS})]
    names = {nip: e.name for nip, e in stored.items()}
    effective = {id(r): r.effective_from or (today if histories[r.employee.nip] else SINCE_EVER) for r in rows}
    for row in sorted(rows, key=lambda r: (r.employee.nip, effective[id(r)])):
        nip = row.employee.nip
        histories[nip] = apply_posting(histories[nip], _posting(row.employee, effective[id(row)]))
        if row.acting:
            actings[nip] = apply_acting(actings[nip], row.acting)
        if effective[id(row)] <= today or nip not in names:
            names[nip] = row.employee.name
    events = {nip: _event(nip, names[nip], histories[nip], actings[nip], today) for nip in nips}
    changed = sorted(nip for nip, ev in events.items() if nip not in stored or _differs(stored[nip], ev)
                     or before[nip] != (histories[nip], actings[nip]))
    if not dry_run and changed:
        flat = [events[n].model_dump(mode="json", include=set(personnel.EMPLOYEE_COLUMNS)) for n in changed]
        await personnel.save(session, flat, {n: histories[n] for n in changed}, {n: actings[n] for n in changed},
                             datetime.now(timezone.utc))
        await uow.emit_many(ORG_EMPLOYEE, [events[n] for n in changed])
    return ImportSummary(imported=len(rows), changed=changed)


def _differs(row, ev: EmployeeV1) -> bool:
    return any(getattr(row, c) != v for c, v in ev.model_dump(mode="json", include=set(personnel.EMPLOYEE_COLUMNS)).items())
