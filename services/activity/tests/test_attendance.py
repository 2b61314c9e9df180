from datetime import date, time

import pytest

from activity_service.domain.attendance import AttendanceDay, WorkingHours
from kinerja_kit.errors import InvalidField

HOURS = WorkingHours(time(7, 30), time(16, 0))
TODAY = date(2026, 11, 20)


def day(**kw) -> AttendanceDay:
    base = dict(nip="199002022020121003", work_date=date(2026, 11, 19), status="hadir", check_in=time(7, 20),
                check_out=time(16, 5), late_minutes=None, early_leave_minutes=None, apel_missed=False,
                leave_type=None, hours=HOURS, today=TODAY)
    return AttendanceDay.record(**{**base, **kw})


def test_late_and_early_minutes_come_from_the_working_hours_when_not_sent():
    d = day(status="terlambat", check_in=time(7, 50), check_out=time(15, 29))
    assert (d.late_minutes, d.early_leave_minutes) == (20, 31)
    assert (day().late_minutes, day().early_leave_minutes) == (0, 0)


def test_sent_minutes_win_and_days_off_work_count_none():
    assert day(status="terlambat", check_in=time(7, 50), late_minutes=5).late_minutes == 5
    off = day(status="sakit", check_in=None, check_out=None)
    assert (off.late_minutes, off.early_leave_minutes) == (0, 0)
    leave = day(status="cuti", check_in=time(10), check_out=None, leave_type="cuti_tahunan")
    assert leave.late_minutes == 0, "minutes count only on a day due at work"


@pytest.mark.parametrize("kw, field", [
    ({"work_date": date(2026, 11, 21)}, "date"),
    ({"check_in": time(9), "check_out": time(8)}, "check_out"),
    ({"status": "cuti"}, "leave_type"),
])
def test_each_refusal_names_its_field(kw, field):
    with pytest.raises(InvalidField) as e:
        day(**kw)
    assert e.value.field == field
