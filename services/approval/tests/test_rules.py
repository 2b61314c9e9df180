from datetime import datetime

import pytest

from approval_service.domain.rules import Conflict, Forbidden, add_working_days, chain_hash, check_decision
from kinerja_kit.http import FieldError

A, B, C = "198503302010011002", "197501012000031001", "196801011990031001"


def decide(**kw):
    base = dict(decision="approve", reason=None, actor_nip=B, owner_nip=A, assignee_nip=B, status="pending")
    check_decision(**{**base, **kw})


def test_assignee_may_approve_without_reason():
    decide()


@pytest.mark.parametrize("decision", ["reject", "return"])
def test_reason_required_to_reject_or_return(decision):
    with pytest.raises(FieldError) as e:
        decide(decision=decision, reason="  ")
    assert e.value.field == "reason"
    decide(decision=decision, reason="bukti kurang")


def test_nobody_decides_own_activity_and_only_the_assignee_decides():
    with pytest.raises(Forbidden):
        decide(actor_nip=A, assignee_nip=A)
    with pytest.raises(Forbidden):
        decide(actor_nip=C)
    with pytest.raises(Forbidden):  # authorization is decided before the body is judged
        decide(actor_nip=C, decision="reject", reason=None)


def test_decided_task_conflicts():
    with pytest.raises(Conflict):
        decide(status="approved")


def test_sla_counts_working_days():
    friday = datetime(2026, 11, 20, 9)
    assert add_working_days(friday, 3) == datetime(2026, 11, 25, 9)


def test_audit_chain_detects_tampering():
    h1 = chain_hash("0" * 64, {"a": 1})
    assert chain_hash("0" * 64, {"a": 1}) == h1
    assert chain_hash("0" * 64, {"a": 2}) != h1
    assert chain_hash(h1, {"a": 1}) != h1
