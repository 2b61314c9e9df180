from datetime import date, time

import pytest

from activity_service.domain.activities import TypeInfo, check_new_activity, working_days_between
from activity_service.domain.org_import import HeaderError, parse_org_csv
from kinerja_kit.http import FieldError

HEADER = "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
T = TypeInfo("LAPORAN", True, [])


def check(**kw):
    base = dict(type_info=T, position_kind="pelaksana", work_date=date(2026, 11, 20), start_time=time(8),
                end_time=time(9), today=date(2026, 11, 20), backdate_working_days=3, taken_spans=[])
    check_new_activity(**{**base, **kw})


def field_of(**kw) -> str:
    with pytest.raises(FieldError) as e:
        check(**kw)
    return e.value.field


def test_valid_activity_passes():
    check()


def test_each_rule_names_its_field():
    assert field_of(type_info=None) == "type_code"
    assert field_of(type_info=TypeInfo("DISPOSISI", True, ["struktural"])) == "type_code"
    assert field_of(end_time=time(8)) == "end_time"
    assert field_of(work_date=date(2026, 11, 21)) == "date"
    assert field_of(work_date=date(2026, 11, 16), today=date(2026, 11, 20)) == "date"  # 4 working days back
    assert field_of(taken_spans=[(time(8, 30), time(10))]) == "start_time"
    assert field_of(period_closed=True) == "date"
    assert field_of(type_info=TypeInfo("BARU", True, [], date(2026, 12, 1))) == "type_code"


def test_backdate_window_counts_working_days_only():
    assert working_days_between(date(2026, 11, 20), date(2026, 11, 25)) == 3  # Fri -> Wed
    check(work_date=date(2026, 11, 20), today=date(2026, 11, 25))
    check(taken_spans=[(time(9), time(10))])  # touching spans do not overlap


def test_org_csv_reports_rows_and_keeps_valid_ones():
    text = HEADER + (
        "197501012000031001,Budi,DISKOMINFO,Dinas Kominfo,Kepala Bidang,struktural,III.a,11,,PNS\n"
        "198503302010011002,Ani,DISKOMINFO,Dinas Kominfo,Pranata Komputer,fungsional,,8,197501012000031001,PNS\n"
        "12,Short,DISKOMINFO,Dinas Kominfo,Staf,pelaksana,,5,197501012000031001,PNS\n"
        "199001012020011003,Cici,DISKOMINFO,Dinas Kominfo,Staf,pelaksana,,5,199999999999999999,PNS\n"
        "199001012020011004,Dedi,DISKOMINFO,Dinas Kominfo,Staf,pelaksana,,5,199001012020011003,PNS\n"
    )
    r = parse_org_csv(text, set())
    assert [e.nip for e in r.employees] == ["197501012000031001", "198503302010011002"]
    assert [(e["row"], e["field"]) for e in r.errors] == [(4, "nip"), (5, "supervisor_nip"), (6, "supervisor_nip")]


def test_org_csv_header_must_name_every_column():
    with pytest.raises(HeaderError):
        parse_org_csv("nip,name\n1,2\n", set())
