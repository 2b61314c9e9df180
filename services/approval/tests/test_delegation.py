"""Delegation (issue 9): the pure rules of a delegation, a delegate's decision on behalf of the
assignee, the closed-period refusal, the audit chain with `on_behalf_of` (older entries still
verify); then the use cases on SQLite, the embedded default (no broker)."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from approval_service.domain.audit import GENESIS, ChainCheck, StoredEntry, chain_hash
from approval_service.domain.delegation import MAX_DAYS, Delegation
from approval_service.domain.task import Decision, Task, TaskStatus
from kinerja_kit.errors import Conflict, InvalidField, NotPermitted, TransitionRefused

A, B, C, D = "198503302010011002", "197501012000031001", "197801012005011003", "196801011990031001"  # A's atasan B, peer C
NOW = datetime(2026, 12, 2, 2, tzinfo=timezone.utc)  # 09:00 in Jakarta
TODAY = date(2026, 12, 2)


def delegation(frm: date = TODAY, until: date = TODAY + timedelta(days=4), delegator: str = B,
               delegate: str = C, **kw) -> Delegation:
    return Delegation.create(id="d1", delegator_nip=delegator, delegate_nip=delegate, valid_from=frm, until=until,
                             created_by=kw.pop("created_by", delegator), now=NOW, today=kw.pop("today", TODAY), **kw)


def task(assignee: str | None = B, work_date: date = date(2026, 12, 1)) -> Task:
    return Task.open(id="t1", activity_id="a1", nip=A, assignee_nip=assignee, type_code="LAPORAN",
                     work_date=work_date, minutes=120, points=Decimal(0), revision=0, now=NOW, due_at=None)


# --- the delegation itself ---------------------------------------------------------------------

def test_a_delegation_is_active_on_every_day_of_its_range_and_ends_by_itself():
    d = delegation(TODAY, TODAY + timedelta(days=4))
    assert [d.active_on(TODAY + timedelta(days=i)) for i in range(-1, 6)] == [False, True, True, True, True, True, False]


def test_a_one_day_and_a_longest_delegation_are_allowed():
    assert delegation(TODAY, TODAY).active_on(TODAY)
    longest = delegation(TODAY, TODAY + timedelta(days=MAX_DAYS - 1))
    assert longest.active_on(TODAY + timedelta(days=MAX_DAYS - 1))


@pytest.mark.parametrize("frm, until, field", [
    (TODAY, TODAY - timedelta(days=1), "until"),  # ends before it starts
    (TODAY, TODAY + timedelta(days=MAX_DAYS), "until"),  # one day too long
    (TODAY - timedelta(days=10), TODAY - timedelta(days=1), "until"),  # already over
])
def test_a_delegation_with_a_bad_range_is_refused_naming_the_field(frm, until, field):
    with pytest.raises(InvalidField) as e:
        delegation(frm, until)
    assert e.value.field == field


def test_a_delegation_to_oneself_is_refused():
    with pytest.raises(InvalidField) as e:
        delegation(delegate=B)
    assert e.value.field == "delegate_nip"


def test_a_delegation_may_start_later_and_is_not_active_before():
    d = delegation(TODAY + timedelta(days=7), TODAY + timedelta(days=9))
    assert not d.active_on(TODAY) and d.active_on(TODAY + timedelta(days=8))


def test_the_delegator_or_an_admin_revokes_and_it_is_never_active_again():
    d = delegation()
    d.revoke(by_nip=B, is_admin=False, now=NOW)
    assert d.revoked and d.revoked_by == B and not d.active_on(TODAY)
    admin = delegation()
    admin.revoke(by_nip=D, is_admin=True, now=NOW)
    assert admin.revoked_by == D and not admin.active_on(TODAY)


def test_revoking_is_refused_to_others_and_twice():
    d = delegation()
    for who in (C, A):  # not even the delegate
        with pytest.raises(NotPermitted):
            d.revoke(by_nip=who, is_admin=False, now=NOW)
    assert not d.revoked
    d.revoke(by_nip=B, is_admin=False, now=NOW)
    with pytest.raises(TransitionRefused):
        d.revoke(by_nip=B, is_admin=False, now=NOW)


# --- a delegate's decision ---------------------------------------------------------------------

@pytest.mark.parametrize("decision, outcome", [(Decision.APPROVE, TaskStatus.APPROVED),
                                               (Decision.REJECT, TaskStatus.REJECTED),
                                               (Decision.RETURN, TaskStatus.RETURNED)])
def test_a_delegate_decides_on_behalf_of_the_assignee(decision, outcome):
    t = task()
    assert t.decide(actor_nip=C, decision=decision, reason="bukti kurang", now=NOW, day=TODAY,
                    delegations=[delegation()]) == outcome
    assert (t.decided_by, t.on_behalf_of, t.assignee_nip) == (C, B, B)


def test_the_assignee_decides_for_themself_without_on_behalf_of():
    t = task()
    t.decide(actor_nip=B, decision=Decision.APPROVE, reason=None, now=NOW, day=TODAY, delegations=[delegation()])
    assert (t.decided_by, t.on_behalf_of) == (B, None)


@pytest.mark.parametrize("d", [
    pytest.param(delegation(TODAY + timedelta(days=1), TODAY + timedelta(days=3)), id="not yet"),
    pytest.param(delegation(TODAY - timedelta(days=3), TODAY - timedelta(days=1), today=TODAY - timedelta(days=3)),
                 id="over"),
    pytest.param(delegation(delegator=D), id="from someone else than the assignee"),
    pytest.param(delegation(delegate=D), id="to someone else"),
])
def test_without_a_delegation_from_the_assignee_in_force_that_day_a_peer_may_not_decide(d):
    t = task()
    with pytest.raises(NotPermitted):
        t.decide(actor_nip=C, decision=Decision.APPROVE, reason=None, now=NOW, day=TODAY, delegations=[d])
    assert t.status == TaskStatus.PENDING and t.on_behalf_of is None


def test_a_revoked_delegation_lets_nobody_decide():
    d = delegation()
    d.revoke(by_nip=B, is_admin=False, now=NOW)
    with pytest.raises(NotPermitted):
        task().decide(actor_nip=C, decision=Decision.APPROVE, reason=None, now=NOW, day=TODAY, delegations=[d])


def test_a_delegate_never_decides_their_own_work():
    d = delegation(delegate=A)  # B delegated to their own staff A
    with pytest.raises(NotPermitted, match="own"):
        task().decide(actor_nip=A, decision=Decision.APPROVE, reason=None, now=NOW, day=TODAY, delegations=[d])


def test_an_unassigned_task_is_decided_by_no_delegate():
    d = delegation()
    with pytest.raises(NotPermitted):
        task(assignee=None).decide(actor_nip=C, decision=Decision.APPROVE, reason=None, now=NOW, day=TODAY,
                                   delegations=[d])


def test_the_day_is_the_region_date_of_the_decision():
    late = datetime(2026, 12, 1, 18, tzinfo=timezone.utc)  # 01:00 on 2 December in Jakarta
    day = late.astimezone(ZoneInfo("Asia/Jakarta")).date()
    t = task()
    t.decide(actor_nip=C, decision=Decision.APPROVE, reason=None, now=late, day=day, delegations=[delegation()])
    assert t.on_behalf_of == B
    with pytest.raises(NotPermitted):  # the UTC date (1 December) is before the delegation
        task().decide(actor_nip=C, decision=Decision.APPROVE, reason=None, now=late, delegations=[delegation()])


def test_a_revision_clears_the_previous_on_behalf_of():
    t = task()
    t.decide(actor_nip=C, decision=Decision.RETURN, reason="perbaiki", now=NOW, day=TODAY, delegations=[delegation()])
    assert t.resubmit(revision=1, type_code="LAPORAN", work_date=t.work_date, minutes=60, points=Decimal(0),
                      now=NOW, due_at=None)
    assert (t.status, t.assignee_nip, t.on_behalf_of, t.decided_by) == (TaskStatus.PENDING, B, None, None)


# --- closed TPP periods ------------------------------------------------------------------------

def test_work_dated_in_a_closed_period_is_decided_no_more_naming_the_period():
    t = task(work_date=date(2026, 11, 28))
    with pytest.raises(Conflict) as e:
        t.decide(actor_nip=B, decision=Decision.APPROVE, reason=None, now=NOW, closed_periods={"2026-11"})
    assert e.value.field == "period" and "2026-11" in e.value.message and t.status == TaskStatus.PENDING
    t.decide(actor_nip=B, decision=Decision.APPROVE, reason=None, now=NOW, closed_periods={"2026-10"})
    assert t.status == TaskStatus.APPROVED


def test_a_closed_period_does_not_tell_a_stranger_anything():
    with pytest.raises(NotPermitted):  # authorization first
        task(work_date=date(2026, 11, 28)).decide(actor_nip=D, decision=Decision.APPROVE, reason=None, now=NOW,
                                                  closed_periods={"2026-11"})


# --- the audit chain with on_behalf_of ---------------------------------------------------------

def _entry(i: int, prev: str, on_behalf_of: str | None, *, old_style: bool = False) -> StoredEntry:
    fields = dict(task_id=f"t{i}", activity_id=f"a{i}", actor_nip=C, action="approve", reason=None, at=NOW)
    hashed = {**fields, "at": NOW.isoformat()}
    if not old_style and on_behalf_of is not None:
        hashed["on_behalf_of"] = on_behalf_of
    return StoredEntry(id=i, **fields, prev_hash=prev, hash=chain_hash(prev, hashed), on_behalf_of=on_behalf_of)


def _check(entries: list[StoredEntry]) -> ChainCheck:
    c = ChainCheck()
    for e in entries:
        c.feed(e)
    return c


def test_entries_written_before_on_behalf_of_existed_still_verify():
    old = _entry(1, GENESIS, None, old_style=True)  # hashed over the six fields of the first release
    new = _entry(2, old.hash, B)
    plain = _entry(3, new.hash, None)
    c = _check([old, new, plain])
    assert (c.ok, c.entries, c.first_broken) == (True, 3, None)


def test_an_edited_or_dropped_on_behalf_of_is_found():
    old = _entry(1, GENESIS, None, old_style=True)
    new = _entry(2, old.hash, B)
    assert _check([old, replace(new, on_behalf_of=D)]).first_broken == 2
    assert _check([old, replace(new, on_behalf_of=None)]).first_broken == 2
    assert _check([replace(old, on_behalf_of=B), new]).first_broken == 1  # added to an entry afterwards


# --- the use cases on SQLite -------------------------------------------------------------------

@pytest.fixture
async def db(tmp_path):
    from approval_service.persistence.tables import Employee, metadata
    from kinerja_kit.db import Database
    from kinerja_kit.outbox import UnitOfWork

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'approval.db'}", metadata)
    async with db.engine.begin() as conn:  # the models' tables (tests/test_migrations.py checks the migrations)
        await conn.run_sync(metadata.create_all)
    async with UnitOfWork(db, "approval") as uow:
        for nip, sup in ((A, B), (B, D), (C, D), (D, None)):
            uow.session.add(Employee(nip=nip, name=nip, unit_code="DISKOMINFO" if nip != C else "BAPPEDA",
                                     supervisor_nip=sup, active=True))
    try:
        yield db
    finally:
        await db.dispose()


async def _open_task(db, work_date: date) -> uuid.UUID:
    from approval_service.persistence import repository as repo
    from kinerja_kit.outbox import UnitOfWork
    activity_id = uuid.uuid4()
    async with UnitOfWork(db, "approval") as uow:
        await repo.save_task(uow.session, Task.open(
            id=str(uuid.uuid4()), activity_id=str(activity_id), nip=A, assignee_nip=B, type_code="LAPORAN",
            work_date=work_date, minutes=120, points=Decimal(0), revision=0, now=datetime.now(timezone.utc),
            due_at=datetime.now(timezone.utc) - timedelta(hours=1)))
    return activity_id


async def test_delegate_inbox_decision_revoke_and_audit_on_sqlite(db):
    from approval_service.application import delegations, tasks
    from approval_service.persistence import repository as repo
    from kinerja_kit.outbox import UnitOfWork

    jakarta = ZoneInfo("Asia/Jakarta")
    today = datetime.now(jakarta).date()
    first, second = await _open_task(db, today), await _open_task(db, today)

    async with UnitOfWork(db, "approval") as uow:  # C may not decide yet
        with pytest.raises(NotPermitted):
            await tasks.decide(uow, activity_id=first, actor_nip=C, decision=Decision.APPROVE, reason=None, tz=jakarta)
    async with UnitOfWork(db, "approval") as uow:
        with pytest.raises(NotPermitted):  # a non-admin names someone else as delegator
            await delegations.create(uow, caller_nip=C, is_admin=False, delegate_nip=C, valid_from=today,
                                     until=today, delegator_nip=B, today=today)
        with pytest.raises(InvalidField) as e:
            await delegations.create(uow, caller_nip=B, is_admin=False, delegate_nip="199901012020011001",
                                     valid_from=today, until=today, delegator_nip=None, today=today)
        assert e.value.field == "delegate_nip"
    async with UnitOfWork(db, "approval") as uow:
        d = await delegations.create(uow, caller_nip=B, is_admin=False, delegate_nip=C, valid_from=today,
                                     until=today + timedelta(days=2), delegator_nip=None, today=today)

    async with db.sessions() as session:
        delegators = await repo.delegators_of(session, C, today)
        assert delegators == [B]
        inbox = await repo.inbox(session, C, 100, delegators=delegators)
        assert {str(t.activity_id) for t in inbox} == {str(first), str(second)}
        assert await repo.inbox(session, C, 100, delegators=delegators,
                                where=repo.InboxFilter(unit_code="BAPPEDA")) == []
        overdue = repo.InboxFilter(overdue=True, now=datetime.now(timezone.utc))
        assert len(await repo.inbox(session, C, 100, delegators=delegators, where=overdue)) == 2
        assert await repo.inbox(session, C, 100, where=overdue) == []  # without the delegation: nothing

    async with UnitOfWork(db, "approval") as uow:
        decided = await tasks.decide(uow, activity_id=first, actor_nip=C, decision=Decision.APPROVE, reason=None,
                                     tz=jakarta)
    assert (decided.decided_by, decided.on_behalf_of) == (C, B)

    async with db.sessions() as session:
        counts = await repo.inbox_counts(session, C, [B], now=datetime.now(timezone.utc),
                                         day_start=datetime.combine(today, datetime.min.time(), tzinfo=jakarta)
                                             .astimezone(timezone.utc))  # SQLite compares the stored UTC text
        assert (counts["pending"], counts["overdue"], counts["delegated"], counts["decided_today"]) == (1, 1, 1, 1)
        assert counts["by_status"]["approved"] == 1

    async with UnitOfWork(db, "approval") as uow:
        with pytest.raises(NotPermitted):  # the delegate does not revoke
            await delegations.revoke(uow, delegation_id=d.id, caller_nip=C, is_admin=False)
    async with UnitOfWork(db, "approval") as uow:
        await delegations.revoke(uow, delegation_id=d.id, caller_nip=B, is_admin=False)
    async with UnitOfWork(db, "approval") as uow:
        with pytest.raises(NotPermitted):
            await tasks.decide(uow, activity_id=second, actor_nip=C, decision=Decision.APPROVE, reason=None, tz=jakarta)

    from approval_service.persistence.tables import AuditEntry
    async with db.sessions() as session:
        trail = list(await session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
        assert [(e.action, e.actor_nip, e.on_behalf_of) for e in trail] == [
            ("delegate", B, None), ("approve", C, B), ("revoke_delegation", B, None)]
        assert trail[0].task_id == d.id and trail[0].activity_id == ""
        assert (await repo.walk_audit(session, ChainCheck())).ok
    async with db.engine.connect() as conn:
        payloads = [json.loads(p) for p in await conn.scalars(
            sa.select(db.outbox.c.payload).where(db.outbox.c.topic == "approval.decided.v1"))]
    assert [(p["approver_nip"], p["on_behalf_of"], p["on_behalf_of_nip"]) for p in payloads] == [(C, B, B)]


async def test_a_decision_on_work_in_a_closed_period_is_refused_naming_it_on_sqlite(db):
    from approval_service.application import tasks
    from approval_service.persistence import repository as repo
    from kinerja_kit.outbox import UnitOfWork

    activity_id = await _open_task(db, date(2026, 11, 27))
    async with UnitOfWork(db, "approval") as uow:
        await repo.record_closed_period(uow.session, "2026-11", NOW)
        await repo.record_closed_period(uow.session, "2026-11", NOW + timedelta(days=1))  # a later revision: no-op
    async with UnitOfWork(db, "approval") as uow:
        with pytest.raises(Conflict) as e:
            await tasks.decide(uow, activity_id=activity_id, actor_nip=B, decision=Decision.APPROVE, reason=None)
    assert e.value.field == "period" and e.value.message == "the TPP period 2026-11 is closed"
    async with db.sessions() as session:
        assert (await repo.task_by_activity(session, str(activity_id))).status == TaskStatus.PENDING
