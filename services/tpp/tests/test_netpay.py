"""Net pay: the PPh 21 TER tables (PP 58/2023 Lampiran, PMK 168/2023) at their bracket edges, the TER
category from PTKP status, the BPJS Kesehatan employee share and its ceiling."""

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

import tpp_service.region as region
from kinerja_kit.errors import InvalidField
from tpp_service.domain.netpay import TerTableError, bpjs_kesehatan, parse_ter_tables, pph21_ter
from tpp_service.region import load_ter_tables

TER = load_ter_tables()
RAW = json.loads((Path(region.__file__).parent / "ter_pmk168_2023.json").read_text())


def test_row_counts_and_categories_of_the_annex():
    assert {c: len(b) for c, b in TER.brackets.items()} == {"A": 44, "B": 40, "C": 41}  # 125 rows
    assert {s: TER.category(s) for s in ("TK/0", "TK/1", "K/0", "TK/2", "TK/3", "K/1", "K/2", "K/3")} == {
        "TK/0": "A", "TK/1": "A", "K/0": "A", "TK/2": "B", "TK/3": "B", "K/1": "B", "K/2": "B", "K/3": "C"}
    assert TER.category(" k/3 ") == "C"
    with pytest.raises(InvalidField):
        TER.category("K/4")


@pytest.mark.parametrize("category, gross, percent", [
    # A (TK/0, TK/1, K/0)
    ("A", 0, "0"), ("A", 5_400_000, "0"), ("A", 5_400_001, "0.25"), ("A", 5_650_000, "0.25"),
    ("A", 5_650_001, "0.5"), ("A", 10_050_000, "2"), ("A", 10_050_001, "2.25"), ("A", 11_050_001, "3.5"),
    ("A", 19_750_000, "8"), ("A", 19_750_001, "9"), ("A", 24_150_000, "9"), ("A", 24_150_001, "10"),
    ("A", 1_400_000_000, "33"), ("A", 1_400_000_001, "34"),
    # B (TK/2, TK/3, K/1, K/2)
    ("B", 6_200_000, "0"), ("B", 6_200_001, "0.25"), ("B", 7_300_001, "1"), ("B", 9_200_000, "1"),
    ("B", 9_200_001, "1.5"), ("B", 10_750_001, "2"), ("B", 26_000_000, "9"), ("B", 26_000_001, "10"),
    ("B", 1_405_000_000, "33"), ("B", 1_405_000_001, "34"),
    # C (K/3)
    ("C", 6_600_000, "0"), ("C", 6_600_001, "0.25"), ("C", 9_800_001, "1.5"), ("C", 10_950_001, "1.75"),
    ("C", 11_200_000, "1.75"), ("C", 11_200_001, "2"), ("C", 12_050_001, "3"), ("C", 83_200_000, "22"),
    ("C", 83_200_001, "23"), ("C", 95_600_000, "23"), ("C", 95_600_001, "24"), ("C", 1_419_000_000, "33"),
    ("C", 1_419_000_001, "34"),
])
def test_ter_bracket_edges(category, gross, percent):
    """Both bounds inclusive, as the annex reads: 'di atas 5.400.000 s.d. 5.650.000' is 0.25%."""
    assert TER.percent(category, gross) == Decimal(percent)


def test_pph21_amounts_are_rounded_half_up_to_rupiah():
    # TER A 0.25% x 5,400,001 = 13,500.0025 -> 13,500;  1.75% x 9,000,001 = 157,500.0175 -> 157,500
    assert pph21_ter(TER, "TK/0", 5_400_001).amount == 13_500
    assert pph21_ter(TER, "TK/1", 9_000_001).amount == 157_500
    # 0.75% x 6,300,000 = 47,250 exactly; 0.25% x 5,400,200 = 13,500.5 -> 13,501 (half-up)
    assert pph21_ter(TER, "K/0", 6_300_000).amount == 47_250
    assert pph21_ter(TER, "K/0", 5_400_200).amount == 13_501
    # withheld elsewhere is subtracted, never below zero
    assert pph21_ter(TER, "TK/0", 1_000_000, other_income=9_000_000, other_withheld=100_000).amount == 100_000  # 2% x 10,000,000 - 100,000
    assert pph21_ter(TER, "TK/0", 1_000_000, other_withheld=10).amount == 0


def test_bpjs_kesehatan_one_percent_up_to_the_ceiling():
    assert bpjs_kesehatan(5_684_571, percent=Decimal(1), ceiling=12_000_000).amount == 56_846  # 56,845.71
    assert bpjs_kesehatan(16_000_000, percent=Decimal(1), ceiling=12_000_000).amount == 120_000
    assert bpjs_kesehatan(6_000_000, percent=Decimal(1), ceiling=12_000_000, wage_base_elsewhere=9_000_000).basis == 3_000_000
    assert bpjs_kesehatan(6_000_000, percent=Decimal(1), ceiling=12_000_000, wage_base_elsewhere=13_000_000).amount == 0


@pytest.mark.parametrize("change, path", [
    (lambda r: r["categories"]["A"]["brackets"].__setitem__(1, [5_400_002, 5_650_000, "0.25"]),
     "ter.categories.A.brackets[1]"),   # gap
    (lambda r: r["categories"]["B"]["brackets"].__setitem__(1, [6_200_000, 6_500_000, "0.25"]),
     "ter.categories.B.brackets[1]"),   # overlap
    (lambda r: r["categories"]["C"]["brackets"][-1].__setitem__(1, 2_000_000_000), "ter.categories.C.brackets[40][1]"),
    (lambda r: r["categories"]["C"]["brackets"][3].__setitem__(2, "0.1"), "ter.categories.C.brackets[3][2]"),
    (lambda r: r["categories"]["C"].__setitem__("ptkp", []), "ter.categories"),   # K/3 has no category
    (lambda r: r["categories"]["C"]["ptkp"].append("K/0"), "ter.categories.C.ptkp"),  # K/0 twice
])
def test_a_broken_ter_table_is_refused_with_its_place(change, path):
    raw = copy.deepcopy(RAW)
    change(raw)
    with pytest.raises(TerTableError) as e:
        parse_ter_tables(raw)
    assert e.value.field == path
