"""Properties of the TPP computation that must hold for every input (hypothesis): amounts are never
negative and never above B; the slip always adds up; more approved work never lowers gross TPP; another
deduction never raises it; the computation is deterministic, so a revision recomputed from corrected inputs
replaces the earlier result whole.

(Net pay with PPh 21 withheld is not monotone in gross: a TER bracket edge is a cliff, e.g. category A
Rp5,400,000 -> 0 withheld but Rp5,400,001 -> Rp13,500. That is the regulation, so the monotonicity
properties are stated for gross, and for net only where PPh 21 is borne.)"""

import copy
import dataclasses
import json
from decimal import Decimal
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")  # not in uv.lock yet: `uv pip install hypothesis` to run these
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

import tpp_service.region as region  # noqa: E402
from tpp_service.domain.compute import AttendanceDay, Post, TppInputs, compute_tpp  # noqa: E402
from tpp_service.domain.netpay import PTKP_STATUSES  # noqa: E402
from tpp_service.domain.rules import parse_rule_sets  # noqa: E402
from tpp_service.region import load_rule_sets, load_ter_tables, profile_names  # noqa: E402

TER = load_ter_tables()


def _variant(**changes):
    raw = json.loads((Path(region.__file__).parent / "profiles" / "default.json").read_text(), parse_float=Decimal)
    rs = copy.deepcopy(raw["rule_sets"][0])
    rs.update(changes)
    return parse_rule_sets({"rule_sets": [rs]}, profile="variant", ter=TER)[0]


RULES = [load_rule_sets(None, n)[0] for n in profile_names()] + [
    _variant(net_pay={"pph21": {"mode": "withheld"}}),
    _variant(deductions_apply_to="total", leave_reduces_target=["cuti", "sakit"]),
    _variant(unvalidated_penalty={"percent_per_task": "1.5", "max_percent": "10"},
             other_cuts=[{"code": "zakat", "label": "Zakat", "percent": "2.5", "all": True},
                         {"code": "iuran", "label": "Iuran", "percent": "0.5", "all": True},
                         {"code": "koperasi", "label": "Koperasi", "amount": 250000}]),
]
STATUSES = ["hadir", "terlambat", "pulang_cepat", "tanpa_keterangan", "cuti", "sakit", "izin", "dinas_luar",
            "tugas_belajar"]
SANCTIONS = [(None, None, None), ("ringan", 1, None), ("ringan", 3, None), ("sedang", 6, None), ("sedang", 10, None),
             ("berat", 12, 1), ("berat", None, 3), ("pemberhentian_banding", None, None)]

days_st = st.builds(
    AttendanceDay, status=st.sampled_from(STATUSES), late_minutes=st.integers(0, 400),
    early_leave_minutes=st.integers(0, 400), missing_check_in=st.booleans(), missing_check_out=st.booleans(),
    apel_missed=st.booleans())
deduction_day_st = st.one_of(
    st.just(AttendanceDay("tanpa_keterangan")),
    st.builds(AttendanceDay, status=st.just("terlambat"), late_minutes=st.integers(1, 400)),
    st.builds(AttendanceDay, status=st.just("pulang_cepat"), early_leave_minutes=st.integers(1, 400)),
    st.just(AttendanceDay("hadir", missing_check_in=True)), st.just(AttendanceDay("hadir", apel_missed=True)))


@st.composite
def cases(draw):
    rules = draw(st.sampled_from(RULES))
    days_in_month = draw(st.integers(28, 31))
    kelas = sorted(rules.base_by_kelas)
    kinds = sorted(rules.status_factor) + ["HONORER"]  # a type the rule set does not name: factor 1
    n = draw(st.integers(1, 3))
    cuts = sorted(draw(st.lists(st.integers(0, days_in_month), min_size=n, max_size=n)))
    spans = [b - a for a, b in zip([0] + cuts[:-1], cuts)]
    posts = tuple(Post(draw(st.sampled_from(kelas)), draw(st.sampled_from(kinds)), d) for d in spans)
    level, months, step = draw(st.sampled_from(SANCTIONS))
    inp = TppInputs(
        kelas_jabatan=posts[-1].kelas_jabatan, employee_type=posts[-1].employee_type,
        days_in_post=sum(p.days for p in posts), days_in_month=days_in_month, posts=posts,
        workdays=draw(st.integers(0, 23)), approved_minutes=draw(st.integers(0, 12_000)),
        approved_points=Decimal(draw(st.integers(0, 300))),
        points_productivity=draw(st.none() | st.decimals(0, 2, places=4)),
        attendance=draw(st.lists(days_st, max_size=25)),
        sanction_cut_percent=draw(st.decimals(0, 100, places=2)) if draw(st.booleans()) else Decimal(0),
        sanction_level=level, sanction_months=months, sanction_step=step,
        unexcused_absences_in_year=draw(st.integers(0, 30)), escalated_tasks=draw(st.integers(0, 12)),
        other_cut_codes=("koperasi",) if draw(st.booleans()) and any(c.code == "koperasi" for c in rules.other_cuts) else (),
        ptkp_status=draw(st.none() | st.sampled_from(PTKP_STATUSES)),
        other_taxable_income=draw(st.sampled_from([0, 0, 4_500_000, 9_000_000])),
        other_pph21_withheld=draw(st.sampled_from([0, 0, 50_000])),
        bpjs_wage_base_elsewhere=draw(st.sampled_from([0, 0, 5_000_000, 13_000_000])),
    )
    return rules, inp


FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def amounts(r):
    """Every rupiah paid or cut on the slip (the PPh 21 the APBD bears is not paid from the TPP: it is
    shown only, and with other income looked up together it may exceed this payment)."""
    return (r.base_amount, r.kinerja_amount, r.disiplin_amount, r.disiplin_full_amount, r.deductions,
            r.total_amount, r.bpjs_amount, r.pph21_amount, r.net_amount)


@FAST
@given(cases())
def test_amounts_are_never_negative_nor_above_the_base(case):
    rules, inp = case
    r = compute_tpp(rules, inp)
    assert all(0 <= a <= r.base_amount for a in amounts(r)) and r.pph21_borne_amount >= 0
    assert all(0 <= c.amount <= r.base_amount for c in r.cuts + r.attendance_deductions)
    assert r.kinerja_amount + r.disiplin_amount <= r.base_amount
    full = sum(Decimal(rules.base_by_kelas[p.kelas_jabatan]) * p.days / inp.days_in_month for p in inp.segments())
    assert r.base_amount <= full + Decimal("0.5")  # a status factor never pays above the kelas base
    assert Decimal(0) <= r.productivity <= 1 and Decimal(0) <= r.discipline_factor <= 1


@FAST
@given(cases())
def test_the_slip_always_adds_up(case):
    rules, inp = case
    r = compute_tpp(rules, inp)
    assert r.total_amount == r.gross_amount == r.kinerja_amount + r.disiplin_amount - r.deductions
    assert r.deductions == sum(c.amount for c in r.cuts)
    assert r.disiplin_full_amount - r.disiplin_amount == sum(a.amount for a in r.attendance_deductions)
    assert r.net_amount == r.gross_amount - r.bpjs_amount - r.pph21_amount
    assert r.pph21_amount == 0 or r.pph21_mode == "withheld"
    by_code = {x.code: x.value for x in r.breakdown}
    assert by_code["total"] == f"Rp{r.total_amount:,}".replace(",", ".")
    assert by_code["net"] == f"Rp{r.net_amount:,}".replace(",", ".")


@FAST
@given(cases(), st.integers(1, 5_000), st.decimals(0, 1, places=4))
def test_more_approved_work_never_lowers_tpp(case, more_minutes, more_k):
    rules, inp = case
    before = compute_tpp(rules, inp)
    after = compute_tpp(rules, dataclasses.replace(
        inp, approved_minutes=inp.approved_minutes + more_minutes,
        points_productivity=(inp.points_productivity or Decimal(0)) + more_k))
    assert after.kinerja_amount >= before.kinerja_amount
    assert after.gross_amount >= before.gross_amount
    if rules.net_pay.pph21_mode == "borne":
        assert after.net_amount >= before.net_amount


@FAST
@given(cases(), deduction_day_st, st.decimals(0, 100, places=2), st.integers(0, 5))
def test_another_deduction_never_raises_tpp(case, day, more_sanction, more_tasks):
    rules, inp = case
    before = compute_tpp(rules, inp)
    with_day = compute_tpp(rules, dataclasses.replace(inp, attendance=inp.attendance + [day]))
    assert with_day.gross_amount <= before.gross_amount
    heavier = compute_tpp(rules, dataclasses.replace(
        inp, sanction_cut_percent=max(inp.sanction_cut_percent, more_sanction),
        escalated_tasks=inp.escalated_tasks + more_tasks,
        unexcused_absences_in_year=inp.unexcused_absences_in_year + more_tasks))
    assert heavier.gross_amount <= before.gross_amount
    if rules.net_pay.pph21_mode == "borne":
        assert with_day.net_amount <= before.net_amount and heavier.net_amount <= before.net_amount


@FAST
@given(cases(), st.data())
def test_a_revision_replaces_same_inputs_same_result(case, data):
    """Pure and deterministic: recomputing from the same (or the corrected) inputs gives one result, not a
    sum with the earlier one, and the order the attendance days arrive in changes nothing."""
    rules, inp = case
    first = compute_tpp(rules, inp)
    assert compute_tpp(rules, inp) == first
    shuffled = data.draw(st.permutations(inp.attendance))
    assert compute_tpp(rules, dataclasses.replace(inp, attendance=shuffled)) == first
    corrected = dataclasses.replace(inp, attendance=[d for d in inp.attendance if d.status != "tanpa_keterangan"])
    revision = compute_tpp(rules, corrected)
    assert revision == compute_tpp(rules, corrected) and revision.gross_amount >= first.gross_amount
