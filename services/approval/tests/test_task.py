"""The approval task's state machine: every allowed and every refused transition."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from dataclasses import replace

from approval_service.domain.audit import GENESIS, ChainCheck, StoredEntry, chain_hash
from approval_service.domain.task import CANCELLABLE, DECIDED, Decision, Task, TaskStatus
from kinerja_kit.errors import InvalidField, NotPermitted, TransitionRefused

A, B, C = "198503302010011002", "197501012000031001", "196801011990031001"
NOW = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
DUE = datetime(2026, 11, 25, 9, tzinfo=timezone.utc)


def task(status: TaskStatus = TaskStatus.PENDING, assignee: str | None = B, revision: int = 0) -> Task:
    t = Task.open(id="t1", activity_id="a1", nip=A, assignee_nip=assignee, type_code="LAPORAN",
                  work_date=date(2026, 11, 20), minutes=120, points=Decimal(0), revision=revision, now=NOW,
                  due_at=DUE)
    t.status = status
    return t


def resubmit(t: Task, revision: int = 1) -> bool:
    return t.resubmit(revision=revision, type_code="RAPAT", work_date=date(2026, 11, 21), minutes=60,
                      points=Decimal(0), now=NOW, due_at=DUE)


def test_open_is_pending_with_the_atasan_or_unassigned_without_one():
    assert task().status == TaskStatus.PENDING and task().due_at == DUE and task().awaits_decision
    t = Task.open(id="t", activity_id="a", nip=A, assignee_nip=None, type_code="X", work_date=date(2026, 11, 2),
                  minutes=1, points=Decimal(0), revision=0, now=NOW, due_at=DUE)
    assert t.status == TaskStatus.UNASSIGNED and t.due_at is None and not t.awaits_decision
    with pytest.raises(InvalidField):
        Task.open(id="t", activity_id="a", nip=A, assignee_nip=A, type_code="X", work_date=date(2026, 11, 2),
                  minutes=1, points=Decimal(0), revision=0, now=NOW, due_at=DUE)


@pytest.mark.parametrize("decision, outcome", [(Decision.APPROVE, TaskStatus.APPROVED),
                                               (Decision.REJECT, TaskStatus.REJECTED),
                                               (Decision.RETURN, TaskStatus.RETURNED)])
def test_pending_task_is_decided_by_its_assignee(decision, outcome):
    t = task()
    assert t.decide(actor_nip=B, decision=decision, reason=" bukti kurang ", now=NOW) == outcome
    assert (t.status, t.decided_by, t.decided_at, t.reason) == (outcome, B, NOW, "bukti kurang")


def test_approve_needs_no_reason_and_a_blank_one_is_dropped():
    t = task()
    t.decide(actor_nip=B, decision=Decision.APPROVE, reason="  ", now=NOW)
    assert t.status == TaskStatus.APPROVED and t.reason is None


@pytest.mark.parametrize("decision", [Decision.REJECT, Decision.RETURN])
def test_reason_required_to_reject_or_return(decision):
    t = task()
    with pytest.raises(InvalidField) as e:
        t.decide(actor_nip=B, decision=decision, reason="  ", now=NOW)
    assert e.value.field == "reason" and t.status == TaskStatus.PENDING


def test_nobody_decides_own_activity_and_only_the_assignee_decides():
    with pytest.raises(NotPermitted):
        task(assignee=C).decide(actor_nip=A, decision=Decision.APPROVE, reason=None, now=NOW)
    with pytest.raises(NotPermitted):
        task().decide(actor_nip=C, decision=Decision.APPROVE, reason=None, now=NOW)
    with pytest.raises(NotPermitted):  # authorization is decided before the body is judged
        task().decide(actor_nip=C, decision=Decision.REJECT, reason=None, now=NOW)


@pytest.mark.parametrize("status", sorted(set(TaskStatus) - {TaskStatus.PENDING}))
def test_only_a_pending_task_is_decided(status):
    t = task(status)
    with pytest.raises(TransitionRefused) as e:
        t.decide(actor_nip=B, decision=Decision.APPROVE, reason=None, now=NOW)
    assert e.value.state == status and t.status == status


@pytest.mark.parametrize("status", [TaskStatus.RETURNED, TaskStatus.PENDING])
def test_a_revision_goes_back_to_the_same_approver(status):
    t = task(status)
    t.decided_by, t.reason = B, "perbaiki"
    assert resubmit(t) is True
    assert (t.status, t.assignee_nip, t.revision, t.type_code, t.minutes) == (TaskStatus.PENDING, B, 1, "RAPAT", 60)
    assert t.decided_by is None and t.reason is None


def test_a_revision_already_routed_changes_nothing():
    t = task(TaskStatus.RETURNED, revision=2)
    assert resubmit(t, revision=2) is False and t.status == TaskStatus.RETURNED


@pytest.mark.parametrize("status", [TaskStatus.APPROVED, TaskStatus.REJECTED, TaskStatus.CANCELLED,
                                    TaskStatus.UNASSIGNED])
def test_a_revision_is_refused_once_decided_or_cancelled(status):
    with pytest.raises(TransitionRefused):
        resubmit(task(status))


def test_escalate_moves_a_pending_task_up():
    t = task()
    assert t.escalate(to_nip=C, now=NOW, due_at=DUE) == B
    assert (t.status, t.assignee_nip) == (TaskStatus.PENDING, C)


@pytest.mark.parametrize("status", sorted(set(TaskStatus) - {TaskStatus.PENDING}))
def test_escalate_refused_unless_pending(status):
    with pytest.raises(TransitionRefused):
        task(status).escalate(to_nip=C, now=NOW, due_at=DUE)


@pytest.mark.parametrize("status", [TaskStatus.PENDING, TaskStatus.UNASSIGNED])
def test_reassign_gives_an_open_task_to_another_approver(status):
    t = task(status, assignee=None if status == TaskStatus.UNASSIGNED else B)
    t.reassign(to_nip=C, now=NOW, due_at=DUE)
    assert (t.status, t.assignee_nip, t.due_at) == (TaskStatus.PENDING, C, DUE)


@pytest.mark.parametrize("status", sorted(DECIDED | {TaskStatus.CANCELLED}))
def test_reassign_refused_once_decided_or_cancelled(status):
    with pytest.raises(TransitionRefused):
        task(status).reassign(to_nip=C, now=NOW, due_at=DUE)


def test_nobody_is_assigned_their_own_activity():
    with pytest.raises(InvalidField):
        task().reassign(to_nip=A, now=NOW, due_at=DUE)
    with pytest.raises(InvalidField):
        task().escalate(to_nip=A, now=NOW, due_at=DUE)


@pytest.mark.parametrize("status", sorted(CANCELLABLE))
def test_withdrawal_cancels_an_open_task(status):
    t = task(status)
    assert t.cancel() is True and t.status == TaskStatus.CANCELLED
    assert t.cancel() is False and t.status == TaskStatus.CANCELLED  # twice: nothing changes


@pytest.mark.parametrize("status", sorted(DECIDED - {TaskStatus.RETURNED}))
def test_a_decision_taken_stands_against_a_withdrawal(status):
    t = task(status)
    assert t.cancel() is False and t.status == status


def test_sla_counts_working_days_of_the_region_calendar():
    from zoneinfo import ZoneInfo
    from approval_service.application.tasks import due_at
    from kinerja_contracts.calendar.v1 import CalendarDay, CalendarYearV1, WorkCalendar
    friday = datetime(2026, 11, 20, 2, tzinfo=timezone.utc)  # 09:00 in Jakarta
    assert due_at(friday, 3, ZoneInfo("Asia/Jakarta"), WorkCalendar()) == datetime(2026, 11, 25, 2, tzinfo=timezone.utc)
    holiday = WorkCalendar([CalendarYearV1(year=2026, revision=1, updated_at=NOW, days=[
        CalendarDay(date="2026-11-24", kind="libur_daerah", name="Hari jadi")])])
    assert due_at(friday, 3, ZoneInfo("Asia/Jakarta"), holiday) == datetime(2026, 11, 26, 2, tzinfo=timezone.utc)


def _chain(n: int) -> list[StoredEntry]:
    entries, prev = [], GENESIS
    for i in range(1, n + 1):
        fields = dict(task_id=f"t{i}", activity_id=f"a{i}", actor_nip=B, action="approve", reason=None, at=NOW)
        h = chain_hash(prev, {**fields, "at": NOW.isoformat()})
        entries.append(StoredEntry(id=i, **fields, prev_hash=prev, hash=h))
        prev = h
    return entries


def check(entries: list[StoredEntry]) -> ChainCheck:
    c = ChainCheck()
    for e in entries:
        c.feed(e)
    return c


def test_an_intact_chain_verifies():
    c = check(_chain(5))
    assert (c.ok, c.entries, c.first_broken) == (True, 5, None)


def test_an_edited_entry_is_found():
    entries = _chain(5)
    entries[2] = replace(entries[2], action="reject", reason="diubah diam-diam")  # edited, hash kept
    c = check(entries)
    assert (c.ok, c.entries, c.first_broken) == (False, 5, 3)


def test_a_deleted_or_reordered_entry_breaks_the_link():
    entries = _chain(5)
    assert check(entries[:1] + entries[2:]).first_broken == 3  # entry 2 removed
    assert check([entries[1], entries[0]] + entries[2:]).first_broken == 2


def test_an_entry_rehashed_after_an_edit_breaks_the_next_link():
    entries = _chain(3)
    forged = {**entries[1].canonical(), "reason": "x"}
    entries[1] = replace(entries[1], reason="x", hash=chain_hash(entries[1].prev_hash, forged))
    assert check(entries).first_broken == 3
