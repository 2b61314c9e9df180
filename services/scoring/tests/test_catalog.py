"""Catalog versions: the rules an entry must keep, and the file import's per-row report."""

from datetime import date

from kinerja_contracts.catalog.v1 import ActivityTypeV1
from scoring_service.domain.catalog import check_entry, parse_rows, rows_from_csv, rows_from_json

TODAY = date(2026, 12, 2)


def entry(**kw) -> ActivityTypeV1:
    return ActivityTypeV1.model_validate({"code": "LAPORAN", "name": "Menyusun laporan", "unit": "minutes",
                                          "standard_minutes": 90, "effective_from": "2026-12-01", **kw})


def test_a_valid_new_version_from_this_month():
    assert check_entry(entry(), "minutes", TODAY) == []


def test_a_version_into_a_month_that_may_be_closed_is_refused():
    assert [f for f, _ in check_entry(entry(effective_from="2026-11-30"), "minutes", TODAY)] == ["effective_from"]


def test_a_new_version_of_a_type_in_use_starts_tomorrow_at_the_earliest():
    today = entry(effective_from="2026-12-02")
    assert check_entry(today, "minutes", TODAY) == []  # a new code: nothing priced with it yet
    assert [f for f, _ in check_entry(today, "minutes", TODAY, code_in_use=True)] == ["effective_from"]
    assert check_entry(entry(effective_from="2026-12-03"), "minutes", TODAY, code_in_use=True) == []


def test_the_unit_must_be_the_regions():
    fields = [f for f, _ in check_entry(entry(unit="points", standard_minutes=None, points="2"), "minutes", TODAY)]
    assert fields == ["unit", "standard_minutes", "points"]
    assert [f for f, _ in check_entry(entry(), "points", TODAY)] == ["unit", "points", "standard_minutes"]
    assert [f for f, _ in check_entry(entry(allowed_position_kinds=["honorer"]), "minutes", TODAY)] == [
        "allowed_position_kinds"]


CSV = """code,name,output_unit,unit,standard_minutes,points,evidence_required,allowed_position_kinds,max_daily_volume,effective_from,active
LAPORAN,Menyusun laporan kegiatan,laporan,minutes,90,,ya,,3,2026-12-01,
DISPOSISI,Mendisposisikan surat,surat,minutes,5,,false,struktural,60,2026-12-01,true
"""


def test_csv_rows_become_versions():
    entries, errors = parse_rows(rows_from_csv(CSV), "minutes", TODAY)
    assert errors == []
    lap, disp = entries
    assert (lap.standard_minutes, lap.evidence_required, lap.max_daily_volume, lap.active) == (90, True, 3, True)
    assert disp.allowed_position_kinds == ["struktural"] and disp.output_unit == "surat"


def test_every_bad_row_is_reported_and_nothing_is_returned():
    bad = CSV + ("RAPAT,Rapat,kegiatan,minutes,0,,false,,,2026-12-01,true\n"
                 "LAPORAN,Menyusun laporan kegiatan,laporan,minutes,90,,ya,,3,2026-12-01,\n"
                 "SOP,Menyusun SOP,dokumen,minutes,60,,maybe,,,2026-12-01,true\n"
                 "LAMA,Lama,dokumen,minutes,60,,false,,,2026-10-01,true\n")
    entries, errors = parse_rows(rows_from_csv(bad), "minutes", TODAY)
    assert entries == []
    assert [(e.row, e.field) for e in errors] == [(3, "standard_minutes"), (4, "code"), (5, "evidence_required"),
                                                  (6, "effective_from")]


def test_json_import_takes_a_list_or_types():
    body = '[{"code": "X-1", "name": "Kegiatan X", "unit": "points", "points": 1.5, "effective_from": "2026-12-01"}]'
    entries, errors = parse_rows(rows_from_json(body), "points", TODAY)
    assert errors == [] and str(entries[0].points) == "1.5"
    assert rows_from_json('{"types": []}') == []
