"""A points region (Jambi style): K is scoring's min(points / target, 1), not approved minutes."""

import dataclasses
from decimal import Decimal

import pytest

from tpp_service.domain.compute import TppInputs, compute_tpp
from tpp_service.domain.rules import RuleSetError, parse_rule_sets
from tpp_service.region import load_rule_sets

MINUTES = load_rule_sets(None)[0]
POINTS = dataclasses.replace(MINUTES, productivity_measure="points")


def inputs(**kw):
    base = dict(kelas_jabatan=9, employee_type="PNS", days_in_post=30, days_in_month=30, workdays=21,
                approved_minutes=0, approved_points=Decimal("96"), points_productivity=Decimal("0.8"))
    return TppInputs(**{**base, **kw})


def test_points_k_moves_the_kinerja_part_exactly():
    r = compute_tpp(POINTS, inputs())
    # B = 6,000,000; kinerja = 6,000,000 x 0.6 x 0.8 = 2,880,000; disiplin = 6,000,000 x 0.4 x 1 = 2,400,000
    assert (r.productivity, r.kinerja_amount, r.disiplin_amount, r.total_amount) == (
        Decimal("0.80000"), 2_880_000, 2_400_000, 5_280_000)
    assert "poin" in next(line.rule for line in r.breakdown if line.code == "productivity")
    assert compute_tpp(POINTS, inputs(points_productivity=None)).kinerja_amount == 0  # no month from scoring yet
    assert compute_tpp(POINTS, inputs(points_productivity=Decimal("1.7"))).productivity == Decimal("1.00000")


def test_a_minutes_region_ignores_points():
    r = compute_tpp(MINUTES, inputs(approved_minutes=3150))  # 3150 / (21 x 300) = 0.5
    assert r.productivity == Decimal("0.50000") and r.kinerja_amount == 1_800_000


def test_an_unknown_productivity_measure_is_refused_naming_it():
    import json
    from pathlib import Path
    import tpp_service.region as region
    raw = json.loads((Path(region.__file__).parent / "rules.json").read_text(), parse_float=Decimal)
    raw["rule_sets"][0]["productivity_measure"] = "hours"
    with pytest.raises(RuleSetError, match="productivity_measure"):
        parse_rule_sets(raw)
