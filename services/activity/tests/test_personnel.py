"""Personnel history rules and the import's optional columns (pure)."""

from datetime import date

import pytest

from activity_service.api.org_csv import parse_org_csv
from activity_service.domain.personnel import Acting, Posting, apply_acting, apply_posting, posting_on
from kinerja_kit.errors import InvalidField

B, C = "197501012000031001", "196801011990031001"
HEADER = ("nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type,"
          "effective_from,active,acting_kind,acting_for_nip,acting_from,acting_until\n")
TODAY = date(2026, 12, 2)


def post(day: date, supervisor=B, unit="DISKOMINFO", kelas=9) -> Posting:
    return Posting(valid_from=day, unit_code=unit, unit_name=unit, position="Pranata Komputer",
                   position_kind="fungsional", eselon=None, kelas_jabatan=kelas, supervisor_nip=supervisor,
                   employee_type="PNS")


def test_a_transfer_ends_the_old_posting_the_day_before():
    h = apply_posting([post(date(2026, 1, 1))], post(date(2026, 11, 15), supervisor=C, unit="BAPPEDA"))
    assert [(p.valid_from, p.valid_until, p.supervisor_nip) for p in h] == [
        (date(2026, 1, 1), date(2026, 11, 14), B), (date(2026, 11, 15), None, C)]
    assert posting_on(h, date(2026, 11, 14)).supervisor_nip == B
    assert posting_on(h, date(2026, 11, 15)).supervisor_nip == C
    assert posting_on(h, date(2025, 6, 1)).supervisor_nip == B  # before the first: the earliest known


def test_the_same_row_again_changes_nothing_and_keeps_a_scheduled_change():
    h = apply_posting([post(date(2026, 1, 1))], post(date(2027, 1, 1), kelas=10))  # a promotion ahead
    assert apply_posting(h, post(date(2026, 12, 2))) == h  # the foundation CSV re-imported today


def test_a_later_import_replaces_postings_from_its_date_on():
    h = apply_posting(apply_posting([post(date(2026, 1, 1))], post(date(2026, 12, 20), supervisor=C)),
                      post(date(2026, 12, 10), kelas=11))
    assert [(p.valid_from, p.valid_until, p.kelas_jabatan) for p in h] == [
        (date(2026, 1, 1), date(2026, 12, 9), 9), (date(2026, 12, 10), None, 11)]


def test_acting_assignments_replace_by_official_and_start_and_refuse_a_backward_range():
    a = Acting("Plt", C, date(2026, 11, 1), date(2026, 12, 31))
    shorter = Acting("Plt", C, date(2026, 11, 1), date(2026, 11, 30))
    assert apply_acting(apply_acting([], a), shorter) == [shorter]
    assert shorter.covers(date(2026, 11, 30)) and not shorter.covers(date(2026, 12, 1))
    with pytest.raises(InvalidField):
        apply_acting([], Acting("Plh", C, date(2026, 11, 2), date(2026, 11, 1)))


def test_the_optional_columns_parse_and_refuse_naming_the_column():
    good = (f"{C},Kepala,DISKOMINFO,Dinas Kominfo,Kepala Dinas,struktural,II.b,14,,PNS,2026-01-01,false,,,,\n"
            f"{B},Budi,DISKOMINFO,Dinas Kominfo,Kabid,struktural,III.a,11,{C},PNS,,,Plt,{C},2026-11-01,2027-01-31\n")
    r = parse_org_csv(HEADER + good, set(), today=TODAY)
    assert r.errors == []
    head, budi = r.rows
    assert head.effective_from == date(2026, 1, 1) and head.employee.active is False  # left: the post is vacant
    assert budi.effective_from is None and budi.acting == Acting("Plt", C, date(2026, 11, 1), date(2027, 1, 31))
    bad = (f"{B},Budi,DISKOMINFO,Dinas Kominfo,Kabid,struktural,III.a,11,,PNS,2026-13-01,maybe,Plt,,,\n"
           f"{C},Kepala,DISKOMINFO,Dinas Kominfo,Kepala,struktural,II.b,14,,PNS,2028-01-01,,Plx,{B},2026-11-02,2026-11-01\n")
    fields = [(e["row"], e["field"]) for e in parse_org_csv(HEADER + bad, set(), today=TODAY).errors]
    assert fields == [(2, "effective_from"), (2, "active"), (2, "acting_for_nip"), (2, "acting_from"),
                      (2, "acting_until"), (3, "effective_from"), (3, "acting_kind"), (3, "acting_until")]


def test_one_nip_may_have_several_dated_rows_but_not_two_on_one_date():
    row = "{d},Budi,DISKOMINFO,Dinas Kominfo,Kabid,struktural,III.a,11,,PNS,{d2},,,,,\n"
    two = row.format(d=B, d2="2026-01-01") + row.format(d=B, d2="2026-11-15")
    assert len(parse_org_csv(HEADER + two, set(), today=TODAY).rows) == 2
    same = row.format(d=B, d2="2026-01-01") * 2
    assert [e["field"] for e in parse_org_csv(HEADER + same, set(), today=TODAY).errors] == ["nip"]
