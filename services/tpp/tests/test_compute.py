from decimal import Decimal

import pytest

from tpp_service.domain.compute import AttendanceDay, TppInputs, compute_tpp, discipline_deductions, rupiah
from kinerja_kit.errors import InvalidField
from tpp_service.domain.compute import missing_checks
from tpp_service.domain.rules import rule_set_for
from tpp_service.region import load_rule_sets

RULES = load_rule_sets(None)[0]


def inputs(**kw) -> TppInputs:
    base = dict(kelas_jabatan=9, employee_type="PNS", days_in_post=30, days_in_month=30, workdays=21,
                approved_minutes=6300)
    return TppInputs(**{**base, **kw})


def test_domain_worked_example():
    """DOMAIN.md: B 6,000,000, 21 workdays, one unexcused absence, two TL1, one PSW2, 6,100 minutes."""
    days = [AttendanceDay("tanpa_keterangan"), AttendanceDay("terlambat", late_minutes=5),
            AttendanceDay("terlambat", late_minutes=30), AttendanceDay("pulang_cepat", early_leave_minutes=31)]
    r = compute_tpp(RULES, inputs(approved_minutes=6100, attendance=days))
    assert r.base_amount == 6_000_000
    assert r.productivity == Decimal("0.95238")
    assert r.discipline_factor == Decimal("0.94000")
    assert r.kinerja_amount == 3_428_571  # 6,000,000 x 0.6 x 6000/6300 = 3,428,571.43 -> half-up
    assert r.disiplin_amount == 2_256_000
    assert r.deductions == 0
    assert r.total_amount == 5_684_571


def test_full_performance_and_discipline_pays_the_whole_base():
    r = compute_tpp(RULES, inputs(approved_minutes=9999))
    assert (r.kinerja_amount, r.disiplin_amount, r.total_amount) == (3_600_000, 2_400_000, 6_000_000)


def test_rounding_is_half_up_per_component():
    assert rupiah(Decimal("0.5")) == 1
    assert rupiah(Decimal("1.49999")) == 1
    assert rupiah(Decimal("2.5")) == 3  # not banker's rounding
    # kelas 1 base 1,800,000 x 0.6 x 1/6300 = 171.428...; x 0.6 x 5/6300 = 857.142...
    r = compute_tpp(RULES, inputs(kelas_jabatan=1, approved_minutes=5))
    assert r.kinerja_amount == 857
    assert r.total_amount == r.kinerja_amount + r.disiplin_amount - r.deductions


def test_cpns_factor_and_proration():
    r = compute_tpp(RULES, inputs(employee_type="CPNS", days_in_post=15, days_in_month=30))
    assert r.base_amount == 2_400_000  # 6,000,000 x 0.8 x 15/30


def test_sanction_cut_is_a_deduction():
    r = compute_tpp(RULES, inputs(sanction_cut_percent=Decimal(20)))
    assert r.deductions == 1_200_000
    assert r.total_amount == 4_800_000
    assert any(line.code == "sanction" for line in r.breakdown)


def test_discipline_bands_and_floor_at_zero():
    total, items = discipline_deductions(RULES, [
        AttendanceDay("terlambat", late_minutes=61), AttendanceDay("terlambat", late_minutes=91),
        AttendanceDay("hadir", missing_check_out=True), AttendanceDay("hadir", apel_missed=True),
        AttendanceDay("cuti"), AttendanceDay("sakit"),
    ])
    assert total == Decimal("1.25") + Decimal("1.5") + Decimal("1.5") + Decimal("2")
    assert len(items) == 4
    many = [AttendanceDay("tanpa_keterangan")] * 30
    r = compute_tpp(RULES, inputs(attendance=many))
    assert r.discipline_factor == 0 and r.disiplin_amount == 0
    assert r.kinerja_amount == 0  # every workday absent: the productivity cap is below zero


def test_rule_set_selection_by_effective_date():
    from datetime import date
    assert rule_set_for([RULES], date(2026, 5, 1)) is RULES
    with pytest.raises(InvalidField) as e:
        rule_set_for([RULES], date(2025, 12, 1))
    assert e.value.field == "period"


def test_missing_checks_count_only_on_days_due_at_work():
    assert missing_checks("hadir", False, True) == (True, False)
    assert missing_checks("terlambat", True, False) == (False, True)
    assert missing_checks("cuti", False, False) == (False, False)
