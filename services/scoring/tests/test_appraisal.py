"""SKP appraisal rules (DOMAIN.md, Performance appraisal): every cell of the predikat matrix, the
distribution rule, the objection lifecycle, periods, angka kredit, and the region file's checks."""

import copy
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from kinerja_contracts.appraisal.v1 import AppraisalKind, Predikat, Rating
from kinerja_kit.errors import Conflict, InvalidField, NotPermitted, TransitionRefused
from scoring_service.domain.appraisal import (
    BERAKHLAK, Appraisal, AppraisalStatus, DistributionRule, RhkPlan, check_agree, check_distribution,
    check_period, check_plan, check_ratings, count_by_predikat, objection_deadline, period_months, predikat,
    angka_kredit_percent,
)
from scoring_service.region import ProfileError
from scoring_service.region.appraisal import load_rules, parse_rules

RULES = load_rules(None)
A, S, B = Rating.di_atas, Rating.sesuai, Rating.di_bawah
RAW = json.loads((Path(__file__).parents[1] / "src/scoring_service/region/appraisal.json").read_text())


@pytest.mark.parametrize("results, behaviour, expected", [
    (A, B, Predikat.kurang), (A, S, Predikat.baik), (A, A, Predikat.sangat_baik),
    (S, B, Predikat.kurang), (S, S, Predikat.baik), (S, A, Predikat.baik),
    (B, B, Predikat.sangat_kurang), (B, S, Predikat.butuh_perbaikan), (B, A, Predikat.butuh_perbaikan),
])
def test_every_cell_of_the_predikat_matrix(results, behaviour, expected):
    assert predikat(results, behaviour, RULES.matrix) == expected


def counts(**n):
    return {p: n.get(p.value, 0) for p in Predikat}


BAIK_UNIT = RULES.distribution[Predikat.baik]


def test_a_baik_unit_gives_at_most_70_percent_baik_and_some_butuh_perbaikan_or_kurang():
    # 10 employees: 7 Baik allowed (floor 70% x 10), 8 are not.
    assert check_distribution(counts(baik=7, sangat_baik=2, butuh_perbaikan=1), BAIK_UNIT) == []
    [v] = check_distribution(counts(baik=8, sangat_baik=1, kurang=1), BAIK_UNIT)
    assert (v.predikat, v.count, v.allowed_max) == ((Predikat.baik,), 8, 7)
    # none rated Butuh Perbaikan, Kurang or Sangat Kurang
    [v] = check_distribution(counts(baik=7, sangat_baik=3), BAIK_UNIT)
    assert (v.count, v.required_min) == (0, 1)
    assert v.as_dict()["predikat"] == ["butuh_perbaikan", "kurang", "sangat_kurang"]
    assert len(check_distribution(counts(baik=4), BAIK_UNIT)) == 2  # both rules broken
    assert check_distribution(counts(sangat_kurang=1, baik=2), BAIK_UNIT) == []  # floor(0.7 x 3) = 2


def test_share_rounding_is_floor_for_maxima_and_ceil_for_minima():
    rules = [DistributionRule((Predikat.baik,), max_share=Decimal("0.5")),
             DistributionRule((Predikat.kurang,), min_share=Decimal("0.25"))]
    assert check_distribution(counts(baik=2, kurang=2, sangat_baik=1), rules) == []  # 5: max 2, min ceil(1.25)=2
    [v] = check_distribution(counts(baik=2, kurang=1, sangat_baik=2), rules)
    assert (v.predikat, v.required_min) == ((Predikat.kurang,), 2)


def test_every_unit_predikat_has_a_rule_and_stricter_units_allow_fewer_baik():
    assert set(RULES.distribution) == set(Predikat)
    assert RULES.default_unit_predikat == Predikat.baik
    worse = counts(baik=5, sangat_baik=1, butuh_perbaikan=4)  # 50% baik, 40% below
    assert check_distribution(worse, RULES.distribution[Predikat.butuh_perbaikan]) == []
    assert check_distribution(worse, RULES.distribution[Predikat.sangat_kurang])  # at most 30% baik
    assert count_by_predikat([Predikat.baik, Predikat.baik, Predikat.kurang])[Predikat.baik] == 2


def test_angka_kredit_factor_from_predikat_for_functional_officials_only():
    expected = {Predikat.sangat_baik: 150, Predikat.baik: 100, Predikat.butuh_perbaikan: 75,
                Predikat.kurang: 50, Predikat.sangat_kurang: 25}
    for p, pct in expected.items():
        assert angka_kredit_percent(p, "fungsional", RULES.angka_kredit) == Decimal(pct)
        assert angka_kredit_percent(p, "pelaksana", RULES.angka_kredit) is None


def test_periods():
    assert period_months("2026") == (2026, 1, 12)
    assert period_months("2026-Q4") == (2026, 10, 12)
    assert period_months("2026-03") == (2026, 3, 3)
    with pytest.raises(ValueError):
        period_months("2026-13")
    assert check_period(AppraisalKind.annual, "2026", 2026) == (1, 12)
    assert check_period(AppraisalKind.periodic, "2026-Q2", 2026) == (4, 6)
    for kind, period in [(AppraisalKind.annual, "2026-12"), (AppraisalKind.periodic, "2026"),
                         (AppraisalKind.periodic, "2025-12")]:
        with pytest.raises(InvalidField) as e:
            check_period(kind, period, 2026)
        assert e.value.field == "period"


def test_plan_needs_a_main_rhk_and_cascades_only_from_the_atasan():
    main = RhkPlan("main", "Layanan TI", [{"name": "laporan", "target": "12", "unit": "laporan"}])
    check_plan([main], None)
    with pytest.raises(InvalidField):
        check_plan([RhkPlan("additional", "x", [])], None)
    child = RhkPlan("main", "Bagian", [], parent_rhk_id="r1")
    check_plan([child], {"r1"})
    for ids in (None, {"r2"}):
        with pytest.raises(InvalidField) as e:
            check_plan([child], ids)
        assert e.value.field == "rhk[0].parent_rhk_id"


def test_only_the_atasan_agrees_once():
    check_agree("proposed", "E", "S", "S")
    with pytest.raises(NotPermitted):
        check_agree("proposed", "E", "S", "E")
    with pytest.raises(NotPermitted):
        check_agree("proposed", "E", "S", "X")
    with pytest.raises(TransitionRefused):
        check_agree("agreed", "E", "S", "S")


def test_every_rhk_and_every_berakhlak_aspect_is_rated():
    aspects = {a: S for a in BERAKHLAK}
    check_ratings(["r1", "r2"], ["r2", "r1"], aspects)
    for rated, field in [(["r1"], "rhk_ratings"), (["r1", "r1", "r2"], "rhk_ratings[1].rhk_id"),
                         (["r1", "r2", "x"], "rhk_ratings[2].rhk_id")]:
        with pytest.raises(InvalidField) as e:
            check_ratings(["r1", "r2"], rated, aspects)
        assert e.value.field == field
    with pytest.raises(InvalidField) as e:
        check_ratings(["r1"], ["r1"], {a: S for a in BERAKHLAK[:6]})
    assert e.value.field == "behaviour" and "kolaboratif" in e.value.message


T0 = datetime(2026, 12, 2, 3, 0, tzinfo=timezone.utc)


def issued(**kw) -> Appraisal:
    return Appraisal(id="a", skp_id="s", nip="E", kind=AppraisalKind.annual, period="2026", unit_code="U",
                     appraiser_nip="S", results_rating=B, behaviour_rating=B, predikat=Predikat.sangat_kurang,
                     status=AppraisalStatus.ISSUED, issued_at=T0,
                     objection_deadline=objection_deadline(T0, RULES.objection_window_days), **kw)


def test_objection_within_the_window_then_decided_then_final():
    a = issued()
    assert RULES.objection_window_days == 14 and a.objection_deadline == T0 + timedelta(days=14)
    assert not a.ready(T0 + timedelta(days=1))
    with pytest.raises(NotPermitted):
        a.object("S", "bukan saya", T0)
    a.object("E", "Target RHK 2 tercapai, bukti terlampir", T0 + timedelta(days=3))
    assert a.status == AppraisalStatus.OBJECTED and not a.ready(T0 + timedelta(days=30))
    with pytest.raises(NotPermitted):  # the appraiser does not decide an objection to their own appraisal
        a.decide_objection("S", may_decide=True, upheld=True, note="x", results=S, behaviour=None, matrix=RULES.matrix)
    with pytest.raises(NotPermitted):
        a.decide_objection("X", may_decide=False, upheld=False, note="x", results=None, behaviour=None,
                           matrix=RULES.matrix)
    with pytest.raises(InvalidField):
        a.decide_objection("H", may_decide=True, upheld=True, note="x", results=None, behaviour=None,
                           matrix=RULES.matrix)
    a.decide_objection("H", may_decide=True, upheld=True, note="bukti sah", results=None, behaviour=S,
                       matrix=RULES.matrix)
    assert (a.status, a.behaviour_rating, a.predikat, a.objection_outcome) == (
        AppraisalStatus.DECIDED, S, Predikat.butuh_perbaikan, "upheld")
    a.finalize(T0 + timedelta(days=5))
    assert a.status == AppraisalStatus.FINAL
    with pytest.raises(TransitionRefused):
        a.object("E", "lagi", T0)


def test_a_rejected_objection_keeps_the_ratings_and_a_late_one_is_refused():
    a = issued()
    a.object("E", "keberatan", T0)
    with pytest.raises(InvalidField):
        a.decide_objection("H", may_decide=True, upheld=False, note="x", results=S, behaviour=None, matrix=RULES.matrix)
    a.decide_objection("H", may_decide=True, upheld=False, note="tetap", results=None, behaviour=None,
                       matrix=RULES.matrix)
    assert (a.predikat, a.objection_outcome) == (Predikat.sangat_kurang, "rejected")
    late = issued()
    with pytest.raises(Conflict) as e:
        late.object("E", "terlambat", T0 + timedelta(days=15))
    assert e.value.field == "objection_deadline"
    assert late.ready(T0 + timedelta(days=15))  # the window passed without an objection


def test_accept_makes_it_ready_at_once():
    a = issued()
    with pytest.raises(NotPermitted):
        a.accept("S", T0)
    a.accept("E", T0)
    assert a.ready(T0)
    with pytest.raises(TransitionRefused):
        issued().finalize(T0)


def test_the_region_file_is_validated_naming_the_field():
    parse_rules(copy.deepcopy(RAW))
    broken = copy.deepcopy(RAW)
    del broken["predikat_matrix"]["sesuai"]["di_atas"]
    with pytest.raises(ProfileError, match="predikat_matrix.sesuai"):
        parse_rules(broken)
    broken = copy.deepcopy(RAW)
    broken["predikat_matrix"]["sesuai"]["di_atas"] = "istimewa"
    with pytest.raises(ProfileError, match="predikat_matrix.sesuai.di_atas"):
        parse_rules(broken)
    broken = copy.deepcopy(RAW)
    del broken["distribution"]["by_unit_predikat"]["kurang"]
    with pytest.raises(ProfileError, match="missing kurang"):
        parse_rules(broken)
    broken = copy.deepcopy(RAW)
    broken["distribution"]["by_unit_predikat"]["baik"][0]["max_share"] = "1.5"
    with pytest.raises(ProfileError, match="max_share"):
        parse_rules(broken)
    broken = copy.deepcopy(RAW)
    broken["performance_from_productivity"]["thresholds"].reverse()
    with pytest.raises(ProfileError, match="highest"):
        parse_rules(broken)
    broken = copy.deepcopy(RAW)
    broken["angka_kredit_percent"]["kurang"] = "lima puluh"
    with pytest.raises(ProfileError, match="angka_kredit_percent.kurang"):
        parse_rules(broken)
    broken = copy.deepcopy(RAW)
    broken["objection_window_days"] = -1
    with pytest.raises(ProfileError, match="objection_window_days"):
        parse_rules(broken)


def test_a_region_folder_replaces_the_packaged_rules(tmp_path):
    raw = copy.deepcopy(RAW)
    raw["objection_window_days"], raw["version"] = 7, "jabar-2026"
    (tmp_path / "appraisal.json").write_text(json.dumps(raw))
    assert (load_rules(str(tmp_path)).objection_window_days, load_rules(str(tmp_path)).version) == (7, "jabar-2026")
    assert load_rules(str(tmp_path / "none")).version == RULES.version  # no file there: the packaged one
