"""The period lifecycle open -> cutoff -> closed, deterministic records, control totals per OPD
and the difference per component of a revision."""

from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest

from kinerja_kit.errors import InvalidField, TransitionRefused
from tpp_service.application.period_close import changes_between, opd_totals, record_id, to_event
from tpp_service.domain.compute import TppInputs, compute_tpp
from tpp_service.domain.period import Period, PeriodStatus
from tpp_service.region import load_rule_sets

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
RULES = load_rule_sets(None)[0]


def employee(nip: str, unit: str, kelas: int = 9) -> SimpleNamespace:
    return SimpleNamespace(nip=nip, name=f"Pegawai {nip[-2:]}", unit_code=unit, employee_type="PNS", kelas_jabatan=kelas)


def slip(nip: str, unit: str, minutes: int, kelas: int = 9, at: datetime = T0):
    result = compute_tpp(RULES, TppInputs(kelas_jabatan=kelas, employee_type="PNS", days_in_post=30,
                                          days_in_month=30, workdays=21, approved_minutes=minutes))
    return to_event(employee(nip, unit, kelas), result, "2026-11", 1, RULES, at)


def test_cutoff_fixes_the_close_instant_once():
    p = Period("2026-11")
    assert p.cutoff(today=date(2026, 12, 2), allow_early=False, now=T0) is True
    assert (p.status, p.cutoff_at) == (PeriodStatus.CUTOFF, T0)
    assert p.cutoff(today=date(2026, 12, 2), allow_early=False, now=datetime.now(timezone.utc)) is False
    assert p.cutoff_at == T0
    p.close(employee_count=1, total_amount=5, closed_by="197501012000031001", now=datetime.now(timezone.utc))
    assert (p.status, p.revision, p.cutoff_at) == (PeriodStatus.CLOSED, 1, T0)
    with pytest.raises(TransitionRefused):
        p.cutoff(today=date(2026, 12, 2), allow_early=False, now=T0)


def test_a_running_month_is_cut_off_only_early():
    with pytest.raises(InvalidField):
        Period("2026-12").cutoff(today=date(2026, 12, 2), allow_early=False, now=T0)
    assert Period("2026-12").cutoff(today=date(2026, 12, 2), allow_early=True, now=T0)


def test_the_same_inputs_give_byte_identical_records_and_ids():
    a, b = slip("198501012010011001", "DINKES", 5000), slip("198501012010011001", "DINKES", 5000)
    assert a.model_dump_json() == b.model_dump_json()
    assert record_id("2026-11", a.nip, 1) == record_id("2026-11", b.nip, 1) != record_id("2026-11", a.nip, 2)


def test_opd_totals_add_up_to_the_period():
    events = [slip("198501012010011001", "DINKES", 6300), slip("198501012010011002", "DINKES", 3000),
              slip("198501012010011003", "BAPPEDA", 0, kelas=12)]
    totals = opd_totals(events)
    assert [(t.unit_code, t.employee_count) for t in totals] == [("BAPPEDA", 1), ("DINKES", 2)]
    for field in ("base_amount", "kinerja_amount", "disiplin_amount", "deductions", "total_amount", "net_amount"):
        assert sum(getattr(t, field) for t in totals) == sum(getattr(e, field) for e in events)
    assert totals[1].total_amount == events[0].total_amount + events[1].total_amount


def test_a_revision_names_each_component_that_moved():
    before, after = slip("198501012010011001", "DINKES", 3000), slip("198501012010011001", "DINKES", 6300)
    changes = {c.component: c for c in changes_between(SimpleNamespace(**before.model_dump()), after)}
    assert set(changes) >= {"kinerja_amount", "total_amount", "productivity"} and "disiplin_amount" not in changes
    k = changes["kinerja_amount"]
    assert int(k.difference) == after.kinerja_amount - before.kinerja_amount > 0
    assert changes_between(SimpleNamespace(**after.model_dump()), after) == []
