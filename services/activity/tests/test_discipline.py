"""Hukuman disiplin: the range rule, the rule-set lookup and the loader of discipline.json."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from activity_service.domain.discipline import (
    DisciplineRulesError, Sanction, add_months, effective_until, parse_rule_sets, rule_set_for, sanction_terms,
)
from activity_service.region import load_discipline_rules
from kinerja_kit.errors import InvalidField

DEFAULTS = load_discipline_rules(None)
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


def raw_set(regulation="Perkada 1/2020", effective_from="2020-01-01", **levels) -> dict:
    return {"regulation": regulation, "effective_from": effective_from,
            "levels": levels or {"ringan": {"cut_percent_by_months": {"1": 20}}}}


# --- the range: start + months (day clamped to the month's end) − 1 day -------------------------

@pytest.mark.parametrize(("start", "months", "until"), [
    (date(2026, 11, 15), 1, date(2026, 12, 14)),
    (date(2026, 11, 1), 1, date(2026, 11, 30)),  # a whole calendar month
    (date(2026, 12, 1), 1, date(2026, 12, 31)),
    (date(2026, 12, 15), 2, date(2027, 2, 14)),  # across the year's end
    (date(2026, 11, 1), 12, date(2027, 10, 31)),
    (date(2026, 1, 31), 1, date(2026, 2, 27)),  # Feb 31 → Feb 28 (clamped), minus one day
    (date(2026, 1, 28), 1, date(2026, 2, 27)),  # the same end: documented
    (date(2028, 1, 31), 1, date(2028, 2, 28)),  # leap year: Feb 29 − 1 day
    (date(2026, 3, 31), 1, date(2026, 4, 29)),  # Apr 30 (clamped) − 1 day
    (date(2026, 8, 31), 6, date(2027, 2, 27)),
    (date(2026, 2, 28), 1, date(2026, 3, 27)),
])
def test_effective_until_adds_calendar_months_clamped_then_minus_one_day(start, months, until):
    assert effective_until(start, months) == until


def test_add_months_clamps_the_day_to_the_target_months_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 10, 31), 14) == date(2027, 12, 31)


def test_effective_until_refuses_no_months_and_a_range_past_year_9999():
    with pytest.raises(InvalidField) as exc:
        effective_until(date(2026, 1, 1), 0)
    assert exc.value.field == "months"
    with pytest.raises(InvalidField) as exc:
        effective_until(date(9999, 6, 1), 12)
    assert exc.value.field == "start_date"


# --- the packaged defaults (DOMAIN.md, TPP: sanction_cut) -------------------------------------

@pytest.mark.parametrize(("level", "months", "cut"), [
    ("ringan", 1, 20), ("ringan", 2, 30), ("ringan", 3, 40),
    ("sedang", 6, 40), ("sedang", 8, 50), ("sedang", 10, 60),
    ("berat_penurunan_jabatan", 12, 60), ("berat_pembebasan_jabatan", 12, 70), ("berat_pemberhentian", 12, 80),
    ("pemberhentian_banding", 1, 100), ("pemberhentian_banding", 24, 100),
    ("absence_pp94", 6, 25), ("absence_pp94", 9, 25), ("absence_pp94", 12, 25),
])
def test_the_packaged_defaults_give_domain_mds_cuts(level, months, cut):
    t = sanction_terms(DEFAULTS, level=level, months=months, start_date=date(2026, 11, 1))
    assert t.cut_percent == Decimal(cut) and isinstance(t.cut_percent, Decimal)
    assert t.regulation == DEFAULTS[-1].regulation
    assert (t.effective_from, t.effective_until) == (date(2026, 11, 1), effective_until(date(2026, 11, 1), months))


def test_an_unknown_level_is_refused_naming_level():
    with pytest.raises(InvalidField) as exc:
        sanction_terms(DEFAULTS, level="berat", months=12, start_date=date(2026, 11, 1))
    assert exc.value.field == "level" and "ringan" in exc.value.message


@pytest.mark.parametrize(("level", "months"), [
    ("ringan", 4), ("ringan", 6), ("sedang", 7), ("berat_pemberhentian", 6), ("absence_pp94", 3),
    ("pemberhentian_banding", 25),
])
def test_months_the_level_does_not_allow_are_refused_naming_months(level, months):
    with pytest.raises(InvalidField) as exc:
        sanction_terms(DEFAULTS, level=level, months=months, start_date=date(2026, 11, 1))
    assert exc.value.field == "months" and level in exc.value.message


def test_a_decree_takes_the_cut_of_the_rules_and_needs_an_sk_number():
    s = Sanction.decree(DEFAULTS, sanction_id="s-1", nip="199002022020121003", sk_number=" 800/123/BKPSDM/2026 ",
                        level="ringan", months=1, start_date=date(2026, 11, 15), now=NOW)
    assert (s.sk_number, s.cut_percent, s.effective_until) == ("800/123/BKPSDM/2026", Decimal("20.00"),
                                                               date(2026, 12, 14))
    with pytest.raises(InvalidField) as exc:
        Sanction.decree(DEFAULTS, sanction_id="s-2", nip="199002022020121003", sk_number="   ", level="ringan",
                        months=1, start_date=date(2026, 11, 15), now=NOW)
    assert exc.value.field == "sk_number"


# --- versioned rule sets ------------------------------------------------------------------------

def test_the_rule_set_in_force_on_the_start_date_applies():
    sets = parse_rule_sets({"rule_sets": [
        raw_set("Perkada 9/2025", "2025-07-01", ringan={"cut_percent_by_months": {"1": 15}}),
        raw_set("Perkada 1/2020", "2020-01-01", ringan={"cut_percent_by_months": {"1": 20}}),
    ]})
    assert [s.effective_from for s in sets] == [date(2020, 1, 1), date(2025, 7, 1)]  # oldest first
    before = sanction_terms(sets, level="ringan", months=1, start_date=date(2025, 6, 30))
    on = sanction_terms(sets, level="ringan", months=1, start_date=date(2025, 7, 1))
    assert (before.regulation, before.cut_percent) == ("Perkada 1/2020", Decimal(20))
    assert (on.regulation, on.cut_percent) == ("Perkada 9/2025", Decimal(15))
    assert rule_set_for(sets, date(2030, 1, 1)).regulation == "Perkada 9/2025"
    with pytest.raises(InvalidField) as exc:
        sanction_terms(sets, level="ringan", months=1, start_date=date(2019, 12, 31))
    assert exc.value.field == "start_date"


def test_two_rule_sets_starting_the_same_day_are_refused():
    with pytest.raises(DisciplineRulesError) as exc:
        parse_rule_sets({"rule_sets": [raw_set(), raw_set("Perkada 2/2020")]})
    assert exc.value.field == "rule_sets[1].effective_from"


# --- exactness and shape of the data ----------------------------------------------------------

def test_a_binary_float_is_refused_naming_its_place():
    with pytest.raises(DisciplineRulesError) as exc:
        parse_rule_sets({"rule_sets": [raw_set(ringan={"cut_percent_by_months": {"1": 20.0}})]})
    assert exc.value.field == "rule_sets[0].levels.ringan.cut_percent_by_months.1"
    assert "not an exact decimal" in exc.value.message
    with pytest.raises(DisciplineRulesError) as exc:
        parse_rule_sets({"rule_sets": [raw_set(banding={"cut_percent": 100.0, "months_max": 24})]})
    assert exc.value.field == "rule_sets[0].levels.banding.cut_percent"


@pytest.mark.parametrize(("level", "where"), [
    ({"cut_percent_by_months": {"1": "abc"}}, "levels.ringan.cut_percent_by_months.1"),
    ({"cut_percent_by_months": {"1": 120}}, "levels.ringan.cut_percent_by_months.1"),
    ({"cut_percent_by_months": {"1": "12.345"}}, "levels.ringan.cut_percent_by_months.1"),
    ({"cut_percent_by_months": {"0": 20}}, "levels.ringan.cut_percent_by_months.0"),
    ({"cut_percent_by_months": {"1.5": 20}}, "levels.ringan.cut_percent_by_months.1.5"),
    ({"cut_percent_by_months": {}}, "levels.ringan.cut_percent_by_months"),
    ({"cut_percent": 100, "months_min": 6, "months_max": 3}, "levels.ringan.months_max"),
    ({"cut_percent": 100, "cut_percent_by_months": {"1": 20}}, "levels.ringan"),
    ({"name": "no cut"}, "levels.ringan"),
    ({"cut_percent": True}, "levels.ringan.cut_percent"),
])
def test_a_malformed_level_is_refused_naming_its_place(level, where):
    with pytest.raises(DisciplineRulesError) as exc:
        parse_rule_sets({"rule_sets": [raw_set(ringan=level)]})
    assert exc.value.field == f"rule_sets[0].{where}"


@pytest.mark.parametrize(("raw", "where"), [
    ({"rule_sets": []}, "rule_sets"),
    ({"levels": {}}, "rule_sets"),
    ({"rule_sets": [{"regulation": "x", "levels": {}}]}, "rule_sets[0].effective_from"),
    ({"rule_sets": [raw_set(effective_from="2020-13-01")]}, "rule_sets[0].effective_from"),
    ({"rule_sets": [raw_set(regulation="")]}, "rule_sets[0].regulation"),
    ({"rule_sets": [{**raw_set(), "levels": {}}]}, "rule_sets[0].levels"),
    ({"rule_sets": [raw_set(**{"Ringan Sekali": {"cut_percent": 10}})]}, "rule_sets[0].levels.Ringan Sekali"),
])
def test_a_malformed_file_is_refused_naming_its_place(raw, where):
    with pytest.raises(DisciplineRulesError) as exc:
        parse_rule_sets(raw)
    assert exc.value.field == where


# --- the loader -------------------------------------------------------------------------------

def test_the_loader_reads_numbers_as_exact_decimals(tmp_path):
    (tmp_path / "discipline.json").write_text(
        '{"rule_sets": [{"regulation": "Perkada 7/2024", "effective_from": "2024-01-01", "levels": {'
        '"ringan": {"cut_percent_by_months": {"1": 12.5}}, "sedang": {"cut_percent_by_months": {"6": 0.1}}}}]}')
    [rules] = load_discipline_rules(str(tmp_path))
    assert rules.regulation == "Perkada 7/2024"  # the region's file, not the packaged default
    assert rules.levels["ringan"].cut_for(1) == Decimal("12.5")  # JSON 12.5 read as a Decimal, never a float
    assert rules.levels["sedang"].cut_for(6) == Decimal("0.1")


def test_the_loader_refuses_nan_and_three_decimal_places(tmp_path):
    path = tmp_path / "discipline.json"
    path.write_text('{"rule_sets": [{"regulation": "r", "effective_from": "2024-01-01", '
                    '"levels": {"ringan": {"cut_percent_by_months": {"1": NaN}}}}]}')
    with pytest.raises(DisciplineRulesError) as exc:
        load_discipline_rules(str(tmp_path))
    assert exc.value.field == "rule_sets[0].levels.ringan.cut_percent_by_months.1"
    path.write_text(path.read_text().replace("NaN", "20.125"))
    with pytest.raises(DisciplineRulesError, match="two decimal places"):
        load_discipline_rules(str(tmp_path))


def test_the_packaged_defaults_are_exact_and_marked_as_samples():
    from activity_service.region import discipline_path
    raw = json.loads(discipline_path(None).read_text())
    assert "sample" in raw["_comment"].lower()
    assert all(isinstance(c, Decimal) for lv in DEFAULTS[0].levels.values()
               for c in ([lv.cut_percent] if lv.cut_by_months is None else lv.cut_by_months.values()))


def test_a_region_folder_without_discipline_json_falls_back_to_the_packaged_default(tmp_path):
    (tmp_path / "rules.json").write_text("{}")  # a region folder kept for the other services' files
    assert load_discipline_rules(str(tmp_path)) == DEFAULTS
