"""The pure routing rules: chain levels, acting in force, the region chain file."""

import json
from datetime import date

import pytest

from approval_service.domain.routing import ActingView, ChainLevel, acting_on, rank
from approval_service.region import ChainError, load_chain

CHAIN = load_chain(None)


def test_levels_match_the_roman_eselon_or_a_named_post():
    assert [c.level for c in CHAIN] == ["eselon_iv", "eselon_iii", "eselon_ii", "sekda", "wawako", "wako"]
    assert rank(CHAIN, "Kepala Seksi", "IV.a") == 0
    assert rank(CHAIN, "Kepala Bidang", "III.b") == 1  # not "II" by prefix
    assert rank(CHAIN, "Kepala Dinas", "II.b") == 2
    assert rank(CHAIN, "Sekretaris Daerah", "II.a") == 3  # the named post wins over its eselon
    assert rank(CHAIN, "wali kota", None) == 5
    assert rank(CHAIN, "Pranata Komputer", None) == -1


def test_plh_wins_over_plt_and_only_in_its_range():
    plt = ActingView("1", "Plt", date(2026, 11, 1), date(2026, 12, 31))
    plh = ActingView("2", "Plh", date(2026, 12, 1), date(2026, 12, 5))
    assert acting_on([plt, plh], date(2026, 12, 3)).nip == "2"
    assert acting_on([plt, plh], date(2026, 12, 6)).nip == "1"
    assert acting_on([plt, plh], date(2027, 1, 1)) is None


def test_a_region_chain_replaces_the_default_and_a_malformed_one_is_refused(tmp_path):
    (tmp_path / "approval_chain.json").write_text(json.dumps({"chain": [
        {"level": "eselon_iii", "eselon": "III"}, {"level": "eselon_ii", "eselon": "II"},
        {"level": "wawako", "position": "Wakil Wali Kota"}, {"level": "wako", "position": "Wali Kota"}]}))
    assert [c.level for c in load_chain(str(tmp_path))] == ["eselon_iii", "eselon_ii", "wawako", "wako"]  # Jambi
    (tmp_path / "approval_chain.json").write_text(json.dumps({"chain": [{"level": "x", "eselon": "II", "position": "y"}]}))
    with pytest.raises(ChainError):
        load_chain(str(tmp_path))
    assert ChainLevel("eselon_ii", eselon="II").matches("Kadis", "II.a")
