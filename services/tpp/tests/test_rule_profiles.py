"""Rule sets as versioned data in profiles: loaded by name, validated whole, refused with the profile, the
rule set and the path of the offending value."""

import copy
import dataclasses
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

import tpp_service.region as region
from tpp_service.domain.rules import RuleSetError, parse_rule_set, parse_rule_sets
from tpp_service.region import load_rule_sets, load_ter_tables, profile_names

HERE = Path(region.__file__).parent
RAW = json.loads((HERE / "profiles" / "default.json").read_text(), parse_float=Decimal)
TER = load_ter_tables()


def refused(change, profile="permentan") -> RuleSetError:
    raw = copy.deepcopy(RAW)
    change(raw["rule_sets"][0])
    with pytest.raises(RuleSetError) as e:
        parse_rule_sets(raw, profile=profile, ter=TER)
    return e.value


def test_the_packaged_profiles_side_by_side():
    assert profile_names() == ["default", "jambi-points", "permentan", "surabaya"]
    by_name = {n: load_rule_sets(None, n)[0] for n in profile_names()}
    assert by_name["permentan"].late_bands[-1].percent == Decimal(2)
    assert [b.percent for b in by_name["permentan"].late_bands] == [Decimal("0.5"), 1, Decimal("1.5"), 2]
    assert by_name["jambi-points"].productivity_measure == "points"
    assert (by_name["surabaya"].kinerja_share, by_name["surabaya"].disiplin_share) == (Decimal("0.80"), Decimal("0.20"))
    assert all(r.profile == n and r.net_pay.ter is not None for n, r in by_name.items())


def test_rules_json_with_only_its_first_keys_equals_the_default_profile():
    """rules.json (the default loaded file, keys of the first release) gets the DOMAIN.md defaults for every
    new key: the same rule set as profiles/default.json, which writes them all out."""
    old = load_rule_sets(None)[0]
    assert set(json.loads((HERE / "rules.json").read_text())["rule_sets"][0]) == {
        "regulation", "effective_from", "kinerja_share", "disiplin_share", "minutes_per_workday",
        "absence_hits_productivity", "absence_hits_discipline", "status_factor", "base_by_kelas", "deductions_percent"}
    assert old == load_rule_sets(None, "default")[0]
    assert old.hukuman_disiplin["sedang"][1].months == 8 and old.hukuman_disiplin["sedang"][1].percent == 50
    assert old.net_pay.bpjs_ceiling == 12_000_000 and old.net_pay.pph21_mode == "borne"
    assert old.rounding == "component_half_up" and old.unvalidated_penalty is None


def test_a_region_directory_keeps_rules_json_and_may_add_profiles(tmp_path):
    shutil.copy(HERE / "rules.json", tmp_path / "rules.json")
    (tmp_path / "profiles").mkdir()
    raw = copy.deepcopy(RAW)
    raw["rule_sets"][0]["regulation"] = "Perwali Contoh 7/2027"
    (tmp_path / "profiles" / "kota-contoh.json").write_text(json.dumps(raw, default=str))
    assert load_rule_sets(str(tmp_path))[0].regulation == "Contoh Perkada TPP (default Kinerja)"
    assert load_rule_sets(str(tmp_path), "kota-contoh")[0].regulation == "Perwali Contoh 7/2027"
    with pytest.raises(RuleSetError) as e:
        load_rule_sets(str(tmp_path), "permentan")
    assert e.value.field == "profile" and "kota-contoh" in str(e.value)
    with pytest.raises(RuleSetError):
        load_rule_sets(None, "../rules")


def test_overlapping_bands_are_refused_naming_profile_rule_set_and_path():
    e = refused(lambda rs: rs["deductions_percent"]["late_or_early"].__setitem__(2, [60, 90, "1.25"]))
    assert e.field == "rule_sets[0].deductions_percent.late_or_early[2]"
    assert str(e).startswith("rule_sets[0].deductions_percent.late_or_early[2]: bands overlap")
    assert e.profile == "permentan" and e.rule_set == "Contoh Perkada TPP (default Kinerja)"
    assert "profile permentan" in str(e) and "Contoh Perkada TPP" in str(e)


@pytest.mark.parametrize("bands, path, words", [
    ([[1, 30, "0.5"], [32, None, "1"]], "late_or_early[1]", "not contiguous"),
    ([[1, 30, "0.5"], [31, 60, "1"]], "late_or_early[1][1]", "open-ended"),
    ([[1, None, "0.5"], [31, 60, "1"]], "late_or_early[1]", "overlap"),
    ([[5, None, "0.5"]], "late_or_early[0][0]", "minute 1"),
    ([[1, 30, "0.5"], [31, 20, "1"]], "late_or_early[1]", "below"),
    ([[1, 30, "101"], [31, None, "1"]], "late_or_early[0][2]", "percent"),
    ([], "late_or_early", "non-empty"),
])
def test_tl_psw_bands_are_contiguous_non_overlapping_and_end_open(bands, path, words):
    e = refused(lambda rs: rs["deductions_percent"].__setitem__("late_or_early", bands))
    assert e.field == f"rule_sets[0].deductions_percent.{path}" and words in str(e)


@pytest.mark.parametrize("key, value, path", [
    ("status_factor", {"PNS": "1.2"}, "status_factor.PNS"),
    ("kinerja_share", "0.7", "kinerja_share"),          # 0.7 + 0.4 != 1
    ("productivity_measure", "hours", "productivity_measure"),
    ("deductions_apply_to", "gaji", "deductions_apply_to"),
    ("rounding", "bankers", "rounding"),
    ("base_by_kelas", {"18": 1}, "base_by_kelas.18"),
    ("leave_reduces_target", ["umroh"], "leave_reduces_target[0]"),
    ("hukuman_disiplin", {"ringan": [[1, "20"]], "sedang": [[6, "40"]], "berat": [[0, "60"]],
                          "pemberhentian_banding": "100"}, "hukuman_disiplin.berat[0][0]"),
    ("hukuman_disiplin", {"ringan": [[1, "20"]], "sedang": [[6, "40"]], "berat": [[12, "60"]]},
     "hukuman_disiplin.pemberhentian_banding"),
    ("absence_in_year_cut", [[11, 13, "25", 6], [13, 16, "25", 9]], "absence_in_year_cut[1]"),
    ("unvalidated_penalty", {"percent_per_task": "1"}, "unvalidated_penalty.max_percent"),
    ("other_cuts", [{"code": "zakat", "percent": "2.5", "amount": 1}], "other_cuts[0]"),
    ("other_cuts", [{"code": "a", "amount": 1}, {"code": "a", "amount": 2}], "other_cuts[1].code"),
    ("net_pay", {"pph21": {"mode": "gross_up"}}, "net_pay.pph21.mode"),
    ("net_pay", {"bpjs_kesehatan": {"ceiling": 12000000.5}}, "net_pay.bpjs_kesehatan.ceiling"),
    ("absence_hits_discipline", "yes", "absence_hits_discipline"),
    ("tpp_kinerja", "0.6", "tpp_kinerja"),  # a typo is an unknown key, not a silent default
])
def test_every_rule_is_validated_with_its_path(key, value, path):
    e = refused(lambda rs: rs.__setitem__(key, value))
    assert e.field == f"rule_sets[0].{path}", str(e)


def test_withheld_pph21_needs_the_ter_tables_and_two_versions_may_not_start_the_same_day():
    raw = copy.deepcopy(RAW["rule_sets"][0])
    raw["net_pay"] = {"pph21": {"mode": "withheld"}}
    with pytest.raises(RuleSetError) as e:
        parse_rule_set(raw)
    assert e.value.field == "rule_set.net_pay.pph21.mode"
    assert parse_rule_set(raw, ter=TER).net_pay.pph21_mode == "withheld"
    with pytest.raises(RuleSetError) as e:
        parse_rule_sets({"rule_sets": [RAW["rule_sets"][0], RAW["rule_sets"][0]]}, ter=TER)
    assert e.value.field == "rule_sets[1].effective_from"


def test_versions_of_a_profile_are_picked_by_the_period():
    from datetime import date
    from tpp_service.domain.rules import rule_set_for
    newer = copy.deepcopy(RAW["rule_sets"][0])
    newer.update(regulation="Perkada Contoh 2027", effective_from="2027-01-01", kinerja_share="0.70",
                 disiplin_share="0.30")
    sets = parse_rule_sets({"profile": "x", "rule_sets": [RAW["rule_sets"][0], newer]}, ter=TER)
    assert rule_set_for(sets, date(2026, 12, 1)).kinerja_share == Decimal("0.60")
    assert rule_set_for(sets, date(2027, 1, 1)).kinerja_share == Decimal("0.70")


def test_sanction_table_lookup():
    rules = load_rule_sets(None)[0]
    assert rules.sanction_step("ringan", 2, None)[0] == 30
    assert rules.sanction_step("sedang", 10, None)[0] == 60
    assert rules.sanction_step("berat", None, 1)[0] == 60
    assert rules.sanction_step("pemberhentian_banding", None, None)[0] == 100
    assert [rules.absence_year_band(n) and rules.absence_year_band(n).months for n in (10, 11, 13, 14, 16, 17, 20, 21)] \
        == [None, 6, 6, 9, 9, 12, 12, 12]  # 21+: still the last band


def test_dataclasses_replace_still_works_for_existing_callers():
    rules = load_rule_sets(None)[0]
    assert dataclasses.replace(rules, productivity_measure="points").productivity_measure == "points"
