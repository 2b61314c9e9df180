"""Worked examples, computed by hand with the rupiah written out (DOMAIN.md, TPP; issue 11).

Calendar: November 2026, 30 days, 21 working days (Nov 1 is a Sunday; no holiday assumed), so the
minutes target is T = 21 x 300 = 6,300 unless said otherwise. Rounding: B is rounded to rupiah first, then
each rupiah component once, half-up, from the rounded B. Net pay: BPJS Kesehatan 1% of the gross TPP
(ceiling Rp12,000,000); PPh 21 borne by the APBD (nothing withheld) unless the example says "withheld"."""

import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import tpp_service.region as region
from kinerja_kit.errors import InvalidField
from tpp_service.domain.compute import AttendanceDay, Post, TppInputs, TppResult, compute_tpp
from tpp_service.domain.proration import month_posts
from tpp_service.domain.rules import parse_rule_sets
from tpp_service.region import load_rule_sets, load_ter_tables

DEFAULT = load_rule_sets(None)[0]
NOV = dict(first=date(2026, 11, 1), last=date(2026, 11, 30))
RAW_DEFAULT = json.loads((Path(region.__file__).parent / "profiles" / "default.json").read_text(), parse_float=Decimal)


def variant(**changes):
    """The default profile with some keys changed, parsed like a region's file (so validated too)."""
    raw = copy.deepcopy(RAW_DEFAULT)
    rs = raw["rule_sets"][0]
    for key, value in changes.items():
        node = rs
        *path, last = key.split("__")
        for part in path:
            node = node[part]
        node[last] = value
    return parse_rule_sets(raw, profile="variant", ter=load_ter_tables())[0]


def inputs(**kw) -> TppInputs:
    base = dict(kelas_jabatan=9, employee_type="PNS", days_in_post=30, days_in_month=30, workdays=21,
                approved_minutes=6300)
    return TppInputs(**{**base, **kw})


def slip(r: TppResult) -> tuple[int, int, int, int, int, int, int, int]:
    """(B, kinerja, disiplin, cuts, gross, BPJS, PPh 21 withheld, net), with the slip's sums checked."""
    assert r.total_amount == r.gross_amount == r.kinerja_amount + r.disiplin_amount - r.deductions
    assert r.deductions == sum(c.amount for c in r.cuts)
    assert r.disiplin_full_amount - r.disiplin_amount == sum(a.amount for a in r.attendance_deductions)
    assert r.net_amount == r.gross_amount - r.bpjs_amount - r.pph21_amount
    return (r.base_amount, r.kinerja_amount, r.disiplin_amount, r.deductions, r.gross_amount, r.bpjs_amount,
            r.pph21_amount, r.net_amount)


def line(r: TppResult, code: str):
    return next(x for x in r.breakdown if x.code == code)


DOMAIN_DAYS = [AttendanceDay("tanpa_keterangan"), AttendanceDay("terlambat", late_minutes=5),
               AttendanceDay("terlambat", late_minutes=30), AttendanceDay("pulang_cepat", early_leave_minutes=31)]


# ---------------------------------------------------------------- one worked example per profile

def test_profile_default_domain_example():
    """DOMAIN.md: B 6,000,000; 6,100 approved minutes, one unexcused absence, two TL1, one PSW2.
    K = min(6,100, 6,300 - 300) / 6,300 = 0.952380...;  kinerja = 6,000,000 x 0.6 x K = 3,428,571.43 -> 3,428,571
    D = 1 - (4% + 2 x 0.5% + 1%) = 0.94;               disiplin = 2,400,000 x 0.94 = 2,256,000
    gross = 5,684,571; BPJS = 1% = 56,845.71 -> 56,846; net = 5,684,571 - 56,846 = 5,627,725."""
    r = compute_tpp(load_rule_sets(None, "default")[0], inputs(approved_minutes=6100, attendance=DOMAIN_DAYS))
    assert slip(r) == (6_000_000, 3_428_571, 2_256_000, 0, 5_684_571, 56_846, 0, 5_627_725)
    # each deduction with its rule and input count, in rupiah of the full disiplin 2,400,000
    assert [(a.code, a.count, a.percent, a.amount) for a in r.attendance_deductions] == [
        ("tanpa_keterangan", 1, Decimal(4), 96_000), ("TL1", 2, Decimal(1), 24_000), ("PSW2", 1, Decimal(1), 24_000)]


def test_profile_permentan_bands():
    """Permentan 68/2012 bands 0.5 / 1 / 1.5 / 2 %: the DOMAIN days plus a TL3 (70 min) and a missing check-out.
    D = 1 - (4 + 2 x 0.5 + 1 + 1.5 + 2)% = 1 - 9.5% = 0.905; disiplin = 2,400,000 x 0.905 = 2,172,000
    kinerja as in DOMAIN = 3,428,571; gross = 5,600,571; BPJS = 56,005.71 -> 56,006; net = 5,544,565.
    (The default bands would give TL3 1.25% and PSW4 1.5%: D = 0.9125, disiplin 2,190,000.)"""
    days = DOMAIN_DAYS + [AttendanceDay("terlambat", late_minutes=70), AttendanceDay("hadir", missing_check_out=True)]
    r = compute_tpp(load_rule_sets(None, "permentan")[0], inputs(approved_minutes=6100, attendance=days))
    assert slip(r) == (6_000_000, 3_428_571, 2_172_000, 0, 5_600_571, 56_006, 0, 5_544_565)
    assert r.discipline_factor == Decimal("0.90500")
    assert compute_tpp(DEFAULT, inputs(approved_minutes=6100, attendance=days)).disiplin_amount == 2_190_000


def test_profile_jambi_points_region():
    """Points region (Jambi style), kelas 12 (sample base 8,000,000), scoring's K = 0.85, one TL2 (45 min),
    one apel missed, one unexcused absence (hits discipline only in points mode).
    kinerja = 8,000,000 x 0.6 x 0.85 = 4,080,000; D = 1 - (4 + 1 + 2)% = 0.93; disiplin = 3,200,000 x 0.93 = 2,976,000
    gross = 7,056,000; BPJS = 70,560; net = 6,985,440."""
    days = [AttendanceDay("terlambat", late_minutes=45), AttendanceDay("hadir", apel_missed=True),
            AttendanceDay("tanpa_keterangan")]
    rules = load_rule_sets(None, "jambi-points")[0]
    r = compute_tpp(rules, inputs(kelas_jabatan=12, approved_minutes=0, approved_points=Decimal("102"),
                                  points_productivity=Decimal("0.85"), attendance=days))
    assert slip(r) == (8_000_000, 4_080_000, 2_976_000, 0, 7_056_000, 70_560, 0, 6_985_440)
    assert r.productivity == Decimal("0.85000") and "poin" in line(r, "productivity").rule


def test_profile_surabaya_80_20():
    """Surabaya 80/20, kelas 1 (sample base 8,000,000), the DOMAIN days and minutes.
    kinerja = 8,000,000 x 0.8 x 6,000/6,300 = 6,095,238.10 -> 6,095,238; disiplin = (8,000,000 - 6,400,000) x 0.94 = 1,504,000
    gross = 7,599,238; BPJS = 75,992.38 -> 75,992; net = 7,523,246."""
    r = compute_tpp(load_rule_sets(None, "surabaya")[0], inputs(kelas_jabatan=1, approved_minutes=6100,
                                                                 attendance=DOMAIN_DAYS))
    assert slip(r) == (8_000_000, 6_095_238, 1_504_000, 0, 7_599_238, 75_992, 0, 7_523_246)


# ---------------------------------------------------------------- who is paid, for how many days

def test_cpns_is_paid_eighty_percent():
    """CPNS kelas 9, whole month, target met: B = 6,000,000 x 0.80 = 4,800,000; kinerja 2,880,000,
    disiplin 1,920,000, gross 4,800,000; BPJS 48,000; net 4,752,000."""
    r = compute_tpp(DEFAULT, inputs(employee_type="CPNS"))
    assert slip(r) == (4_800_000, 2_880_000, 1_920_000, 0, 4_800_000, 48_000, 0, 4_752_000)


def test_transfer_on_the_15th_pays_each_post_its_days():
    """Kelas 9 until 14 Nov, kelas 11 from 15 Nov; 4,725 approved minutes (K = 0.75).
    B = 6,000,000 x 14/30 + 8,000,000 x 16/30 = 2,800,000 + 4,266,666.67 = 7,066,666.67 -> 7,066,667
    kinerja = 7,066,667 x 0.6 x 0.75 = 3,180,000.15 -> 3,180,000; disiplin = 7,066,667 - 4,240,000 = 2,826,667
    gross = 6,006,667; BPJS = 60,066.67 -> 60,067; net = 5,946,600."""
    posts = month_posts([{"valid_from": "2026-01-02", "valid_until": "2026-11-14", "kelas_jabatan": 9,
                          "employee_type": "PNS"},
                         {"valid_from": "2026-11-15", "valid_until": None, "kelas_jabatan": 11, "employee_type": "PNS"}],
                        kelas_jabatan=11, employee_type="PNS", active=True, **NOV)
    assert posts == (Post(9, "PNS", 14), Post(11, "PNS", 16))
    r = compute_tpp(DEFAULT, inputs(kelas_jabatan=11, days_in_post=30, posts=posts, approved_minutes=4725))
    assert slip(r) == (7_066_667, 3_180_000, 2_826_667, 0, 6_006_667, 60_067, 0, 5_946_600)


def test_leaver_on_the_10th_is_paid_nine_days():
    """Leaves on 10 Nov (last paid day 9 Nov, an end date in the personnel data): 9 days, 6 working days,
    target 1,800 minutes; 1,500 approved (K = 5/6).
    B = 6,000,000 x 9/30 = 1,800,000; kinerja = 1,800,000 x 0.6 x 5/6 = 900,000; disiplin = 720,000
    gross = 1,620,000; BPJS = 16,200; net = 1,603,800."""
    posts = month_posts(None, kelas_jabatan=9, employee_type="PNS", active=True, in_service_until=date(2026, 11, 9),
                        **NOV)
    assert posts == (Post(9, "PNS", 9),)
    r = compute_tpp(DEFAULT, inputs(days_in_post=9, posts=posts, workdays=6, approved_minutes=1500))
    assert slip(r) == (1_800_000, 900_000, 720_000, 0, 1_620_000, 16_200, 0, 1_603_800)


def test_new_hire_from_the_16th():
    """A CPNS (TMT 16 Nov) in kelas 7: 15 days, 11 working days (target 3,300), 2,970 approved (K = 0.9).
    B = 4,250,000 x 0.8 x 15/30 = 1,700,000; kinerja = 1,700,000 x 0.6 x 0.9 = 918,000; disiplin = 680,000
    gross = 1,598,000; BPJS = 15,980; net = 1,582,020."""
    posts = month_posts(None, kelas_jabatan=7, employee_type="CPNS", active=True, in_service_from=date(2026, 11, 16),
                        **NOV)
    assert posts == (Post(7, "CPNS", 15),)
    r = compute_tpp(DEFAULT, inputs(kelas_jabatan=7, employee_type="CPNS", days_in_post=15, posts=posts, workdays=11,
                                    approved_minutes=2970))
    assert slip(r) == (1_700_000, 918_000, 680_000, 0, 1_598_000, 15_980, 0, 1_582_020)


def test_non_asn_factor_zero_pays_nothing_and_says_why():
    r = compute_tpp(DEFAULT, inputs(employee_type="NON_ASN"))
    assert slip(r) == (0, 0, 0, 0, 0, 0, 0, 0)
    assert r.reason and "NON_ASN = 0" in r.reason and r.breakdown[0].code == "reason"


def test_plt_is_paid_for_their_own_post():
    """A kelas 11 administrator acting (Plt) as head of a vacant kelas 14 office all month: the acting
    assignment is not a post, so the pay is that of kelas 11: B = 8,000,000, gross 8,000,000 with the target
    met; BPJS 80,000; net 7,920,000 (not kelas 14's 11,000,000)."""
    posts = month_posts([{"valid_from": "2025-03-01", "valid_until": None, "kelas_jabatan": 11, "employee_type": "PNS"}],
                        kelas_jabatan=11, employee_type="PNS", active=True, **NOV)
    r = compute_tpp(DEFAULT, inputs(kelas_jabatan=11, posts=posts))
    assert slip(r) == (8_000_000, 4_800_000, 3_200_000, 0, 8_000_000, 80_000, 0, 7_920_000)


# ---------------------------------------------------------------- productivity

def test_no_activity_pays_only_discipline():
    """0 approved minutes: K = 0, kinerja 0; disiplin 2,400,000; gross 2,400,000; BPJS 24,000; net 2,376,000."""
    r = compute_tpp(DEFAULT, inputs(approved_minutes=0))
    assert slip(r) == (6_000_000, 0, 2_400_000, 0, 2_400_000, 24_000, 0, 2_376_000)


def test_over_target_is_capped_at_one():
    """9,000 approved minutes against 6,300: K = 1, gross 6,000,000 (not more); BPJS 60,000; net 5,940,000."""
    r = compute_tpp(DEFAULT, inputs(approved_minutes=9000))
    assert slip(r) == (6_000_000, 3_600_000, 2_400_000, 0, 6_000_000, 60_000, 0, 5_940_000)
    assert r.productivity == Decimal("1.00000")


def test_all_days_absent():
    """21 workdays all tanpa keterangan: the cap is 6,300 - 21 x 300 = 0, so K = 0 whatever was logged;
    D = 1 - 21 x 4% = 0.16; disiplin = 2,400,000 x 0.16 = 384,000; the 21 days cut 2,016,000 from disiplin.
    21 days in the year is past PP 94/2021's 25% bands (11-20 days; 21+ is a hukuman berat): until that
    sanction is imposed the last band's 25% stays, so more absence never cuts less: 384,000 x 25% = 96,000.
    gross 288,000; BPJS 2,880; net 285,120."""
    r = compute_tpp(DEFAULT, inputs(approved_minutes=4000, attendance=[AttendanceDay("tanpa_keterangan")] * 21,
                                    unexcused_absences_in_year=21))
    assert slip(r) == (6_000_000, 0, 384_000, 96_000, 288_000, 2_880, 0, 285_120)
    assert [(a.code, a.count, a.amount) for a in r.attendance_deductions] == [("tanpa_keterangan", 21, 2_016_000)]
    assert "hukuman berat" in line(r, "sanction").rule


def test_leave_types():
    """3 days cuti, 1 sakit, 1 dinas luar (no discipline deduction for any), 5,100 approved minutes.
    Default rules: the target stays 6,300: K = 5,100/6,300 = 0.809523...; kinerja = 3,600,000 x K =
    2,914,285.71 -> 2,914,286; gross = 5,314,286; BPJS 53,142.86 -> 53,143; net 5,261,143.
    A region where cuti and sakit are not effective workdays (leave_reduces_target) and izin costs 1%:
    target (21 - 4) x 300 = 5,100, K = 1, kinerja 3,600,000; two izin days: D = 0.98, disiplin 2,352,000;
    gross 5,952,000; BPJS 59,520; net 5,892,480."""
    days = [AttendanceDay("cuti")] * 3 + [AttendanceDay("sakit"), AttendanceDay("dinas_luar")]
    r = compute_tpp(DEFAULT, inputs(approved_minutes=5100, attendance=days))
    assert slip(r) == (6_000_000, 2_914_286, 2_400_000, 0, 5_314_286, 53_143, 0, 5_261_143)
    assert r.attendance_deductions == ()
    rules = variant(leave_reduces_target=["cuti", "sakit"], deductions_percent__leave__izin="1")
    r = compute_tpp(rules, inputs(approved_minutes=5100, attendance=days + [AttendanceDay("izin")] * 2))
    assert slip(r) == (6_000_000, 3_600_000, 2_352_000, 0, 5_952_000, 59_520, 0, 5_892_480)
    assert [(a.code, a.count, a.amount) for a in r.attendance_deductions] == [("izin", 2, 48_000)]
    assert "4 hari izin/cuti di luar target" in line(r, "productivity").rule


# ---------------------------------------------------------------- sanctions (hukuman disiplin)

@pytest.mark.parametrize("level, months, step, percent, cut", [
    ("ringan", 1, None, 20, 1_200_000),   # teguran: 20% for 1 month
    ("ringan", 3, None, 40, 2_400_000),
    ("sedang", 8, None, 50, 3_000_000),   # 50% for 8 months
    ("berat", 12, 2, 70, 4_200_000),      # the second 12-month berat sanction: 70%
    ("berat", None, 3, 80, 4_800_000),
    ("pemberhentian_banding", None, None, 100, 6_000_000),  # dismissed, under appeal
])
def test_each_sanction_level(level, months, step, percent, cut):
    """Kelas 9, target met, no attendance deduction: kinerja + disiplin = 6,000,000, cut x percent."""
    r = compute_tpp(DEFAULT, inputs(sanction_level=level, sanction_months=months, sanction_step=step))
    gross = 6_000_000 - cut
    bpjs = gross // 100  # 1% of a whole-hundred gross: exact
    assert slip(r) == (6_000_000, 3_600_000, 2_400_000, cut, gross, bpjs, 0, gross - bpjs)
    assert r.sanction_cut_percent == percent and line(r, "sanction").value.startswith("Rp")


def test_sanction_on_the_domain_example():
    """Sedang, 6 months (40%) on the DOMAIN example: 5,684,571 x 40% = 2,273,828.4 -> 2,273,828;
    gross = 3,410,743; BPJS = 34,107.43 -> 34,107; net = 3,376,636."""
    r = compute_tpp(DEFAULT, inputs(approved_minutes=6100, attendance=DOMAIN_DAYS, sanction_level="sedang",
                                    sanction_months=6))
    assert slip(r) == (6_000_000, 3_428_571, 2_256_000, 2_273_828, 3_410_743, 34_107, 0, 3_376_636)
    assert [(c.code, c.count, c.percent, c.amount) for c in r.cuts] == [("sanction", 1, Decimal(40), 2_273_828)]


def test_pp94_cut_from_a_years_unexcused_absences():
    """14 days without leave in the year: PP 94/2021, 25% for 9 months. 6,000,000 x 25% = 1,500,000;
    gross 4,500,000; BPJS 45,000; net 4,455,000. 10 days cut nothing; 17 days is again 25%."""
    r = compute_tpp(DEFAULT, inputs(unexcused_absences_in_year=14))
    assert slip(r) == (6_000_000, 3_600_000, 2_400_000, 1_500_000, 4_500_000, 45_000, 0, 4_455_000)
    assert "9 bulan" in line(r, "sanction").rule
    assert compute_tpp(DEFAULT, inputs(unexcused_absences_in_year=10)).deductions == 0
    assert compute_tpp(DEFAULT, inputs(unexcused_absences_in_year=17)).deductions == 1_500_000


def test_sanctions_do_not_add_up_the_heaviest_applies():
    """Ringan 1 month (20%), a sanction event's 30% and 12 days in the year (25%): the cut is 30%, 1,800,000."""
    r = compute_tpp(DEFAULT, inputs(sanction_level="ringan", sanction_months=1, sanction_cut_percent=Decimal(30),
                                    unexcused_absences_in_year=12))
    assert r.deductions == 1_800_000 and r.sanction_cut_percent == 30
    assert "terberat" in line(r, "sanction").rule


def test_an_ambiguous_or_unknown_sanction_is_refused_naming_the_input():
    with pytest.raises(InvalidField) as e:
        compute_tpp(DEFAULT, inputs(sanction_level="berat", sanction_months=12))
    assert e.value.field == "sanction_step"
    with pytest.raises(InvalidField) as e:
        compute_tpp(DEFAULT, inputs(sanction_level="sedang", sanction_months=7))
    assert e.value.field == "sanction_months"
    with pytest.raises(InvalidField) as e:
        compute_tpp(DEFAULT, inputs(sanction_level="keras", sanction_months=1))
    assert e.value.field == "sanction_level"


# ---------------------------------------------------------------- other cuts, unvalidated penalty, where deductions apply

def test_unvalidated_penalty_and_other_cuts():
    """A superior who let 7 tasks escalate (1% each, at most 5%), zakat 2.5% and a koperasi instalment of
    Rp150,000, after a ringan 1-month sanction (20%).
    6,000,000 - 20% = 4,800,000; penalty 5% x 4,800,000 = 240,000; zakat 2.5% x 4,800,000 = 120,000;
    koperasi 150,000; gross = 4,800,000 - 510,000 = 4,290,000; BPJS 42,900; net 4,247,100."""
    rules = variant(unvalidated_penalty={"percent_per_task": "1", "max_percent": "5"},
                    other_cuts=[{"code": "zakat", "label": "Zakat profesi", "percent": "2.5"},
                                {"code": "koperasi", "label": "Angsuran koperasi", "amount": 150000}])
    r = compute_tpp(rules, inputs(escalated_tasks=7, other_cut_codes=("koperasi", "zakat"), sanction_level="ringan",
                                  sanction_months=1))
    assert slip(r) == (6_000_000, 3_600_000, 2_400_000, 1_710_000, 4_290_000, 42_900, 0, 4_247_100)
    assert [(c.code, c.count, c.amount) for c in r.cuts] == [
        ("sanction", 1, 1_200_000), ("unvalidated_penalty", 7, 240_000), ("other_cut.zakat", 1, 120_000),
        ("other_cut.koperasi", 1, 150_000)]
    assert compute_tpp(rules, inputs()).deductions == 0  # neither cut named, none escalated
    with pytest.raises(InvalidField):
        compute_tpp(rules, inputs(other_cut_codes=("arisan",)))


def test_deductions_applied_to_the_total():
    """deductions_apply_to "total" on the DOMAIN example: disiplin is not scaled (2,400,000), the 6% is cut
    from kinerja + disiplin = 5,828,571: 349,714.26 -> 349,714, split 4% = 233,142.84 -> 233,143,
    1% = 58,285.71 -> 58,286, and the last takes the rest, 58,285. gross = 5,478,857; BPJS 54,788.57 -> 54,789;
    net 5,424,068."""
    rules = variant(deductions_apply_to="total")
    r = compute_tpp(rules, inputs(approved_minutes=6100, attendance=DOMAIN_DAYS))
    assert slip(r) == (6_000_000, 3_428_571, 2_400_000, 349_714, 5_478_857, 54_789, 0, 5_424_068)
    assert [(c.code, c.amount) for c in r.cuts] == [("tanpa_keterangan", 233_143), ("TL1", 58_286), ("PSW2", 58_285)]


# ---------------------------------------------------------------- net pay: PPh 21 withheld (TER), BPJS ceiling

WITHHELD = variant(net_pay__pph21__mode="withheld")


@pytest.mark.parametrize("ptkp, category, percent, pph21", [
    ("TK/0", "A", "2", 200_000),    # A: 9,650,001-10,050,000 -> 2%
    ("K/1", "B", "1.5", 150_000),   # B: 9,200,001-10,750,000 -> 1.5%
    ("K/3", "C", "1.5", 150_000),   # C: 9,800,001-10,950,000 -> 1.5%
])
def test_pph21_withheld_with_ter(ptkp, category, percent, pph21):
    """Kelas 13, target met: gross 10,000,000; BPJS 100,000; PPh 21 = 10,000,000 x TER; net = the rest."""
    r = compute_tpp(WITHHELD, inputs(kelas_jabatan=13, ptkp_status=ptkp))
    assert slip(r) == (10_000_000, 6_000_000, 4_000_000, 0, 10_000_000, 100_000, pph21, 10_000_000 - 100_000 - pph21)
    assert (r.ter_category, r.ter_percent, r.pph21_mode) == (category, Decimal(percent), "withheld")


def test_pph21_withheld_above_the_bpjs_ceiling_and_with_a_salary_elsewhere():
    """Kelas 17, gross 16,000,000, TK/0: BPJS on the ceiling 1% x 12,000,000 = 120,000; TER A
    15,100,001-16,950,000 = 7%: 1,120,000; net = 16,000,000 - 120,000 - 1,120,000 = 14,760,000.
    Kelas 9 (6,000,000) with a gaji of 5,000,000 paid by the salary payroll (0 withheld on it): looked up
    together, 11,000,000 is TER A 3%: 330,000; BPJS basis min(6,000,000, 12,000,000 - 5,000,000) -> 60,000;
    net = 6,000,000 - 60,000 - 330,000 = 5,610,000."""
    r = compute_tpp(WITHHELD, inputs(kelas_jabatan=17, ptkp_status="TK/0"))
    assert slip(r) == (16_000_000, 9_600_000, 6_400_000, 0, 16_000_000, 120_000, 1_120_000, 14_760_000)
    r = compute_tpp(WITHHELD, inputs(ptkp_status="TK/0", other_taxable_income=5_000_000,
                                     bpjs_wage_base_elsewhere=5_000_000))
    assert slip(r)[5:] == (60_000, 330_000, 5_610_000)


def test_pph21_borne_by_the_budget_is_shown_not_withheld():
    """Default mode borne: the same kelas 13, K/1 employee has 150,000 of PPh 21 that the APBD bears;
    nothing is withheld: net = 10,000,000 - 100,000 = 9,900,000."""
    r = compute_tpp(DEFAULT, inputs(kelas_jabatan=13, ptkp_status="K/1"))
    assert slip(r)[6:] == (0, 9_900_000) and r.pph21_borne_amount == 150_000
    assert "ditanggung APBD" in line(r, "pph21").rule


def test_pph21_withheld_without_ptkp_assumes_tk0_and_says_so():
    r = compute_tpp(WITHHELD, inputs(kelas_jabatan=13))
    assert r.pph21_amount == 200_000 and "dianggap" in line(r, "pph21").rule
