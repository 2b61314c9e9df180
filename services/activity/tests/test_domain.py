from datetime import date, datetime, time, timezone
from decimal import Decimal

import pytest

from activity_service.api.org_csv import HeaderError, parse_org_csv
from activity_service.domain.activity import (
    OCCUPYING, REVISABLE, WITHDRAWABLE, Activity, ActivityStatus, Decision, IntakeContext, TypeInfo,
    check_intake,
)
from kinerja_contracts.calendar.v1 import CalendarDay, CalendarYearV1, DayKind, WorkCalendar
from kinerja_kit.errors import Conflict, InvalidField, TransitionRefused

HEADER = "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
T = TypeInfo("LAPORAN", True, [])
NOW = datetime(2026, 11, 20, 3, tzinfo=timezone.utc)


def ctx(**kw) -> IntakeContext:
    base = dict(type_info=T, position_kind="pelaksana", today=date(2026, 11, 20), backdate_working_days=3,
                taken_spans=[])
    return IntakeContext(**{**base, **kw})


def check(work_date=date(2026, 11, 20), start_time=time(8), end_time=time(9), **kw):
    check_intake(ctx(**kw), work_date, start_time, end_time)


def field_of(**kw) -> str:
    with pytest.raises(InvalidField) as e:
        check(**kw)
    return e.value.field


def activity(status: ActivityStatus = ActivityStatus.SUBMITTED) -> Activity:
    a = Activity.submit(ctx(), id="a1", nip="198503302010011002", type_code="LAPORAN", work_date=date(2026, 11, 20),
                        start_time=time(8), end_time=time(9), quantity=1, description="Laporan", now=NOW)
    a.status = status
    return a


def test_valid_activity_passes():
    check()


def test_each_rule_names_its_field():
    assert field_of(type_info=None) == "type_code"
    assert field_of(type_info=TypeInfo("DISPOSISI", True, ["struktural"])) == "type_code"
    assert field_of(end_time=time(8)) == "end_time"
    assert field_of(work_date=date(2026, 11, 21)) == "date"
    assert field_of(work_date=date(2026, 11, 16), today=date(2026, 11, 20)) == "date"  # 4 working days back
    assert field_of(period_closed=True) == "date"
    assert field_of(type_info=TypeInfo("BARU", True, [], date(2026, 12, 1))) == "type_code"


def test_an_overlap_is_a_conflict_on_start_time():
    with pytest.raises(Conflict) as e:
        check(taken_spans=[(time(8, 30), time(10))])
    assert e.value.field == "start_time"


def test_backdate_window_counts_working_days_only():
    check(work_date=date(2026, 11, 20), today=date(2026, 11, 25))  # Fri -> Wed: 3 working days
    check(taken_spans=[(time(9), time(10))])  # touching spans do not overlap
    with pytest.raises(InvalidField):
        check(work_date=date(2026, 11, 19), today=date(2026, 11, 25))  # Thu -> Wed: 4


def test_backdate_window_skips_the_region_calendars_holidays():
    cal = WorkCalendar([CalendarYearV1(year=2026, revision=1, updated_at=NOW, days=[
        CalendarDay(date=date(2026, 12, 24), kind=DayKind.cuti_bersama, name="Cuti bersama Natal"),
        CalendarDay(date=date(2026, 12, 25), kind=DayKind.libur_nasional, name="Natal")])])
    # Tue 22nd -> Tue 29th: Wed 23, Mon 28, Tue 29 are working days (24th, 25th off, a weekend between).
    check(work_date=date(2026, 12, 22), today=date(2026, 12, 29), calendar=cal)
    with pytest.raises(InvalidField):
        check(work_date=date(2026, 12, 22), today=date(2026, 12, 29))  # plain Mon–Fri: 5 days


def test_submit_starts_submitted_and_a_refused_submit_makes_nothing():
    a = activity()
    assert a.status == ActivityStatus.SUBMITTED and a.revision == 0 and a.occupies_its_span
    with pytest.raises(InvalidField):
        Activity.submit(ctx(type_info=None), id="a2", nip="1", type_code="X", work_date=date(2026, 11, 20),
                        start_time=time(8), end_time=time(9), quantity=1, description="x", now=NOW)


@pytest.mark.parametrize("status", [ActivityStatus.SUBMITTED, ActivityStatus.REVISED])
def test_scoring_puts_it_before_the_superior(status):
    a = activity(status)
    a.record_score(minutes=120, points=Decimal(0), now=NOW)
    assert (a.status, a.minutes) == (ActivityStatus.PENDING_APPROVAL, 120)


@pytest.mark.parametrize("status", [ActivityStatus.APPROVED, ActivityStatus.REJECTED, ActivityStatus.RETURNED,
                                    ActivityStatus.WITHDRAWN, ActivityStatus.PENDING_APPROVAL])
def test_a_late_score_keeps_a_later_state(status):
    a = activity(status)
    a.record_score(minutes=60, points=Decimal(0), now=NOW)
    assert a.status == status and a.minutes == 60


@pytest.mark.parametrize("decision, outcome", [(Decision.approve, ActivityStatus.APPROVED),
                                               (Decision.reject, ActivityStatus.REJECTED),
                                               (Decision.return_, ActivityStatus.RETURNED)])
@pytest.mark.parametrize("status", list(ActivityStatus))
def test_a_decision_mirrors_the_approval_service(decision, outcome, status):
    a = activity(status)
    a.record_decision(decision=decision, reason="alasan", now=NOW)
    assert (a.status, a.decision_reason) == (outcome, "alasan")


def test_a_returned_activity_is_revised_and_checked_again():
    a = activity(ActivityStatus.RETURNED)
    a.decision_reason = "perbaiki"
    assert a.revise(ctx(taken_spans=[]), type_code="LAPORAN", work_date=date(2026, 11, 20), start_time=time(10),
                    end_time=time(11), quantity=2, description="diperbaiki", now=NOW) == 1
    assert (a.status, a.revision, a.quantity, a.decision_reason) == (ActivityStatus.REVISED, 1, 2, None)
    b = activity(ActivityStatus.RETURNED)
    with pytest.raises(InvalidField):
        b.revise(ctx(), type_code="LAPORAN", work_date=date(2026, 11, 20), start_time=time(10), end_time=time(9),
                 quantity=1, description="x", now=NOW)
    assert b.status == ActivityStatus.RETURNED and b.revision == 0


@pytest.mark.parametrize("status", sorted(set(ActivityStatus) - REVISABLE))
def test_revise_refused_unless_returned(status):
    with pytest.raises(TransitionRefused):
        activity(status).revise(ctx(), type_code="LAPORAN", work_date=date(2026, 11, 20), start_time=time(10),
                                end_time=time(11), quantity=1, description="x", now=NOW)


@pytest.mark.parametrize("status", sorted(WITHDRAWABLE))
def test_withdraw_before_a_final_decision(status):
    a = activity(status)
    a.withdraw(now=NOW)
    assert a.status == ActivityStatus.WITHDRAWN and not a.occupies_its_span


@pytest.mark.parametrize("status", sorted(set(ActivityStatus) - WITHDRAWABLE))
def test_withdraw_refused_once_decided_for_good(status):
    with pytest.raises(TransitionRefused) as e:
        activity(status).withdraw(now=NOW)
    assert e.value.state == status


def test_rejected_and_withdrawn_free_their_time_span():
    assert set(ActivityStatus) - OCCUPYING == {ActivityStatus.REJECTED, ActivityStatus.WITHDRAWN}


def test_org_csv_reports_every_row_error():
    text = HEADER + (
        "197501012000031001,Budi,DISKOMINFO,Dinas Kominfo,Kepala Bidang,struktural,III.a,11,,PNS\n"
        "198503302010011002,Ani,DISKOMINFO,Dinas Kominfo,Pranata Komputer,fungsional,,8,197501012000031001,PNS\n"
        "12,Short,DISKOMINFO,Dinas Kominfo,Staf,pelaksana,,5,197501012000031001,PNS\n"
        "199001012020011003,Cici,DISKOMINFO,Dinas Kominfo,Staf,pelaksana,,5,199999999999999999,PNS\n"
        "199001012020011004,Dedi,DISKOMINFO,Dinas Kominfo,Staf,pelaksana,,5,199001012020011003,PNS\n"
    )
    r = parse_org_csv(text, set())
    # (the route refuses the whole file; a row under an erroneous row of the file is not an error itself)
    assert [e.nip for e in r.employees] == ["197501012000031001", "198503302010011002", "199001012020011004"]
    assert [(e["row"], e["field"]) for e in r.errors] == [(4, "nip"), (5, "supervisor_nip")]


def test_org_csv_header_must_name_every_column():
    with pytest.raises(HeaderError):
        parse_org_csv("nip,name\n1,2\n", set())
