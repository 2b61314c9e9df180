"""The TPP period's state machine, and rule sets refused unless their numbers are exact."""

import copy
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

import tpp_service.region
from kinerja_kit.errors import InvalidField, TransitionRefused
from tpp_service.domain.period import Period, PeriodStatus
from tpp_service.domain.rules import RuleSetError, parse_rule_set, parse_rule_sets
from tpp_service.region import load_rule_sets

NOW = datetime(2026, 12, 1, 2, tzinfo=timezone.utc)
RAW = json.loads((Path(tpp_service.region.__file__).parent / "rules.json").read_text(), parse_float=Decimal)
RAW_SET = RAW["rule_sets"][0]


def closed(period: str = "2026-11") -> Period:
    p = Period(period)
    p.close(employee_count=2, total_amount=10, closed_by="197501012000031001", now=NOW)
    return p


def test_a_month_is_open_until_closed_then_closed_at_revision_one():
    p = Period("2026-11")
    assert p.status == PeriodStatus.OPEN and p.revision == 0
    p.check_closable(today=date(2026, 12, 1), allow_early=False)
    p.close(employee_count=2, total_amount=10, closed_by="197501012000031001", now=NOW)
    assert (p.status, p.revision, p.employee_count, p.total_amount, p.closed_at) == (
        PeriodStatus.CLOSED, 1, 2, 10, NOW)


def test_a_running_month_closes_only_when_early_is_asked():
    p = Period("2026-12")
    with pytest.raises(InvalidField) as e:
        p.check_closable(today=date(2026, 12, 31), allow_early=False)
    assert e.value.field == "period"
    p.check_closable(today=date(2026, 12, 31), allow_early=True)


def test_a_month_not_begun_never_closes():
    with pytest.raises(InvalidField):
        Period("2027-01").check_closable(today=date(2026, 12, 31), allow_early=True)


def test_a_closed_month_refuses_a_second_close():
    p = closed()
    with pytest.raises(TransitionRefused):
        p.check_closable(today=date(2026, 12, 1), allow_early=True)
    with pytest.raises(TransitionRefused):
        p.close(employee_count=3, total_amount=11, closed_by="197501012000031001", now=NOW)
    assert (p.revision, p.employee_count) == (1, 2)


def test_a_correction_is_the_next_revision_of_a_closed_month():
    p = closed()
    assert p.revise(employee_count=3, total_amount=12) == 2 and p.revise(employee_count=3, total_amount=12) == 3
    with pytest.raises(TransitionRefused):
        Period("2026-10").revise(employee_count=1, total_amount=1)


def test_packaged_rules_parse_as_exact_decimals():
    rules = load_rule_sets(None)[0]
    assert rules.kinerja_share == Decimal("0.60") and rules.late_bands[0].percent == Decimal("0.5")
    assert all(isinstance(v, int) for v in rules.base_by_kelas.values())


def test_json_numbers_are_read_as_decimals(tmp_path):
    raw = copy.deepcopy(RAW)
    raw["rule_sets"][0]["kinerja_share"], raw["rule_sets"][0]["disiplin_share"] = Decimal("0.6"), Decimal("0.4")
    text = json.dumps(raw, default=str).replace('"kinerja_share": "0.6"', '"kinerja_share": 0.6').replace(
        '"disiplin_share": "0.4"', '"disiplin_share": 0.4')
    (tmp_path / "rules.json").write_text(text)
    rules = load_rule_sets(str(tmp_path))[0]
    assert rules.kinerja_share == Decimal("0.6")  # not 0.59999999999999997779553950749686919152736663818359375


@pytest.mark.parametrize("path, value", [
    (("kinerja_share",), 0.6),
    (("deductions_percent", "missing_check"), 1.5),
    (("status_factor", "CPNS"), 0.8),
    (("deductions_percent", "apel_missed"), "NaN"),
    (("deductions_percent", "leave", "cuti"), "nol"),
    (("base_by_kelas", "9"), Decimal("6000000.5")),
    (("minutes_per_workday",), True),
])
def test_a_number_that_is_not_an_exact_decimal_refuses_the_rule_set(path, value):
    raw = copy.deepcopy(RAW_SET)
    node = raw
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    with pytest.raises(RuleSetError) as e:
        parse_rule_set(raw)
    assert e.value.field.endswith(".".join(path))


def test_a_binary_float_in_a_late_band_is_refused_with_its_place():
    raw = copy.deepcopy(RAW_SET)
    raw["deductions_percent"]["late_or_early"][1][2] = 1.0
    with pytest.raises(RuleSetError) as e:
        parse_rule_sets({"rule_sets": [RAW_SET, raw]})
    assert e.value.field == "rule_sets[1].deductions_percent.late_or_early[1][2]"


def test_shares_must_add_up_to_one_and_a_missing_key_is_named():
    raw = copy.deepcopy(RAW_SET)
    raw["disiplin_share"] = "0.50"
    with pytest.raises(RuleSetError):
        parse_rule_set(raw)
    del raw["regulation"]
    with pytest.raises(RuleSetError) as e:
        parse_rule_set(raw)
    assert e.value.field == "rule_set.regulation"
