"""Monthly performance: both profiles, the absence cap, the structural blend, explanations."""

from datetime import date
from decimal import Decimal

import pytest

from kinerja_contracts.calendar.v1 import WorkCalendar
from scoring_service.domain.scoring import CatalogType, MonthInputs, blend, credited_volume, price
from scoring_service.region import PROFILES, ProfileError, load_region, parse_profile

CAL = WorkCalendar()  # weekends only: 2026-12 has 23 working days, 2026-11 has 21
MINUTES = load_region(None, "minutes")
POINTS = load_region(None, "points")


def test_both_packaged_profiles_load_with_a_realistic_catalog():
    assert MINUTES.scoring_mode == "minutes" and POINTS.scoring_mode == "points"
    for region in (MINUTES, POINTS):
        assert len(region.types) >= 40
        assert {"SURAT-MASUK", "LAPORAN", "RAPAT", "DISPOSISI"} <= {t.code for t in region.types}
    assert POINTS.position_weights["struktural"] == Decimal("1.25")
    assert set(PROFILES) == {"minutes", "points"}


def test_domain_worked_example_minutes_one_unexcused_absence():
    # DOMAIN.md: 21 workdays, T = 6,300; one absence removes 300 from the cap; 6,100 approved:
    # K = min(6,100, 6,000) / 6,300 = 0.952380.. -> 0.95238 (5 decimals, half-up)
    m = MINUTES.month(MonthInputs(period="2026-11", approved_minutes=6100, unexcused_absences=1), CAL)
    assert (m.workdays, m.target_minutes, m.cap_minutes) == (21, 6300, 6000)
    assert m.k == Decimal("0.95238") and m.blended == m.k
    assert m.productivity == Decimal("0.96825")  # own work before the cap: 6,100 / 6,300
    assert m.achievement == Decimal("0.96825")
    assert any("K = min(6100, 6000) / 6300 = 0.95238" in line for line in m.explanation)


def test_absences_beyond_the_target_give_zero_not_negative():
    m = MINUTES.month(MonthInputs(period="2026-11", approved_minutes=500, unexcused_absences=25), CAL)
    assert m.k == 0 and m.cap_minutes < 0


def test_points_target_per_kelas_and_k_capped_at_one():
    # kelas 9 target 110 points: 55 approved -> 0.5; 200 approved -> 1
    half = POINTS.month(MonthInputs(period="2026-11", approved_points=Decimal(55), kelas_jabatan=9), CAL)
    assert (half.target_points, half.k, half.achievement) == (Decimal(110), Decimal("0.50000"), Decimal("0.50000"))
    over = POINTS.month(MonthInputs(period="2026-11", approved_points=Decimal(200), kelas_jabatan=9), CAL)
    assert over.k == Decimal(1) and over.achievement == Decimal("1.81818")
    assert POINTS.month(MonthInputs(period="2026-11", approved_points=Decimal(50)), CAL).target_points == 100


def test_points_price_applies_the_position_weight_and_explains_it():
    t = next(t for t in POINTS.types if t.code == "LAPORAN")
    ct = CatalogType(t.code, "points", None, t.points, t.effective_from, None)
    p = price(ct, 2, POINTS.weight("struktural"), profile_version="points 2026.1", position_kind="struktural")
    assert p.points == Decimal("2.5") * 2 * Decimal("1.25") == Decimal("6.250")
    assert p.explanation.weight == Decimal("1.25") and p.explanation.volume == 2
    assert p.explanation.formula == "2.5 poin x 2 x bobot struktural 1.25 = 6.25 poin"
    assert "LAPORAN@2026-01-01" in p.explanation.rule_version
    assert MINUTES.weight("struktural") == 1  # minutes regions have no weights


def test_daily_maximum_volume_caps_the_credited_volume():
    t = CatalogType("RAPAT", "minutes", 60, None, date(2026, 1, 1), max_daily_volume=5)
    assert credited_volume(t, 3, 0) == (3, ())
    volume, caps = credited_volume(t, 4, 3)
    assert volume == 2 and "volume maksimum harian 5: 2 dari 4 dihitung (3 sudah tercatat hari itu)" in caps[0]
    p = price(t, 4, volume_before_that_day=3)
    assert p.minutes == 120 and p.explanation.caps == caps
    assert credited_volume(t, 2, 9)[0] == 0


def test_blend_with_the_subordinates_mean():
    # (1 - 0.5) x 0.6 + 0.5 x mean(1, 0.9) = 0.3 + 0.475 = 0.775
    assert blend(Decimal("0.6"), [Decimal(1), Decimal("0.9")], Decimal("0.5")) == Decimal("0.77500")
    assert blend(Decimal("0.6"), [], Decimal("0.5")) == Decimal("0.6")
    m = POINTS.month(MonthInputs(period="2026-11", approved_points=Decimal(61), kelas_jabatan=13,
                                 position_kind="struktural", subordinates_k=[Decimal(1), Decimal("0.5")]), CAL)
    # own: 61 / 120 = 0.50833; blended: 0.5 x 0.50833 + 0.5 x 0.75 = 0.629165 -> 0.62917
    assert m.k == Decimal("0.50833") and m.blended == Decimal("0.62917")
    assert POINTS.blends("struktural") and not POINTS.blends("pelaksana") and not MINUTES.blends("struktural")


@pytest.mark.parametrize("change, message", [
    ({"scoring_mode": "hours"}, "scoring_mode must be"),
    ({"types": [{"code": "X", "name": "x", "unit": "minutes", "standard_minutes": 5}]}, "types[0].unit: minutes in a points"),
    ({"types": [{"code": "X", "name": "x", "unit": "points"}]}, "types[0].points: required"),
    ({"position_weights": {"honorer": "1"}}, "unknown position kind"),
    ({"target_points_by_kelas": {"18": "100"}}, "not a kelas jabatan"),
    ({"structural_blend": {"enabled": True, "weight": "1.5"}}, "structural_blend.weight"),
    ({"target_points": "abc"}, "target_points: 'abc' is not a number"),
])
def test_a_broken_profile_is_refused_naming_the_field(change, message):
    import json
    from pathlib import Path
    raw = json.loads((Path(load_region.__code__.co_filename).parent / "catalog-points.json").read_text())
    with pytest.raises(ProfileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_profile({**raw, **change}, "catalog-points.json")


def test_unknown_profile_name():
    with pytest.raises(ProfileError, match="unknown profile 'hours'"):
        load_region(None, "hours")
