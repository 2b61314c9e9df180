"""The 9-box talent grid (PermenPANRB 3/2020): every box, the succession pool, performance from a
predikat or from K, the potential CSV."""

from datetime import date
from decimal import Decimal

import pytest

from kinerja_contracts.appraisal.v1 import Predikat, Rating
from kinerja_contracts.talent.v1 import Potential
from scoring_service.application.talent import months_of, parse_potential_csv, period_end
from scoring_service.domain.talent import box, from_predikat, from_productivity, in_succession_pool, mean_k
from scoring_service.region.appraisal import load_rules

RULES = load_rules(None)


@pytest.mark.parametrize("performance, potential, expected", [
    (Rating.di_atas, Potential.rendah, 4), (Rating.di_atas, Potential.menengah, 7), (Rating.di_atas, Potential.tinggi, 9),
    (Rating.sesuai, Potential.rendah, 2), (Rating.sesuai, Potential.menengah, 5), (Rating.sesuai, Potential.tinggi, 8),
    (Rating.di_bawah, Potential.rendah, 1), (Rating.di_bawah, Potential.menengah, 3), (Rating.di_bawah, Potential.tinggi, 6),
])
def test_every_box_of_the_grid(performance, potential, expected):
    assert box(performance, potential) == expected
    assert in_succession_pool(expected) == (expected in (7, 8, 9))


def test_performance_from_the_predikat():
    levels = {p: from_predikat(p, RULES.performance_from_predikat).level for p in Predikat}
    assert levels == {Predikat.sangat_baik: Rating.di_atas, Predikat.baik: Rating.sesuai,
                      Predikat.butuh_perbaikan: Rating.di_bawah, Predikat.kurang: Rating.di_bawah,
                      Predikat.sangat_kurang: Rating.di_bawah}
    assert from_predikat(Predikat.baik, RULES.performance_from_predikat).source == "predikat"


def test_performance_from_k_where_no_appraisal_is_final():
    t = RULES.productivity_thresholds
    assert [from_productivity(Decimal(k), t).level for k in ("1", "0.95", "0.94999", "0.75", "0.7", "0")] == [
        Rating.di_atas, Rating.di_atas, Rating.sesuai, Rating.sesuai, Rating.di_bawah, Rating.di_bawah]
    assert from_productivity(Decimal("0.8"), t).source == "productivity"
    assert mean_k([Decimal("0.9"), Decimal("1"), Decimal("0.8")]) == Decimal("0.90000")
    assert mean_k([Decimal("1"), Decimal("0"), Decimal("0")]) == Decimal("0.33333")
    assert mean_k([]) == 0


def test_period_months_and_end():
    assert months_of("2026-Q1") == ["2026-01", "2026-02", "2026-03"]
    assert len(months_of("2026")) == 12 and months_of("2026-07") == ["2026-07"]
    assert period_end("2026") == date(2026, 12, 31) and period_end("2026-Q1") == date(2026, 3, 31)


def test_potential_csv_all_errors_with_row_and_field():
    known = {"198503302010011002", "199002022015031003"}
    ok, errors = parse_potential_csv("nip,potential,assessed_on,score\n198503302010011002,tinggi,2026-11-20,82.5\n",
                                     known, date(2026, 12, 2))
    assert errors == [] and ok[0]["potential"] == "tinggi" and ok[0]["score"] == Decimal("82.5")
    _, errors = parse_potential_csv(
        "nip,potential,assessed_on\n111,tinggi,2026-01-01\n198503302010011002,super,2026-01-01\n"
        "199002022015031003,rendah,2027-01-01\n199002022015031003,rendah,2026-13-01\n", known, date(2026, 12, 2))
    assert [(e["row"], e["field"]) for e in errors] == [(2, "nip"), (3, "potential"), (4, "assessed_on"),
                                                        (5, "assessed_on")]
    _, errors = parse_potential_csv("nip,potential\n", known, date(2026, 12, 2))
    assert errors[0]["field"] == "assessed_on"
