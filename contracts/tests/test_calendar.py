"""The region calendar's one reading of working days, and its refusals."""

from datetime import date, datetime, timezone

import pytest
from pydantic import ValidationError

from kinerja_contracts.calendar.v1 import CalendarDay, CalendarYearV1, DayKind, WorkCalendar

NOW = datetime(2026, 12, 2, tzinfo=timezone.utc)


def year(days, y=2026):
    return CalendarYearV1(year=y, revision=1, updated_at=NOW, days=days)


def day(d, kind=DayKind.libur_nasional, name="libur"):
    return CalendarDay(date=d, kind=kind, name=name)


def test_off_days_and_worked_weekends_change_the_count():
    cal = WorkCalendar([year([day(date(2026, 12, 24), DayKind.cuti_bersama), day(date(2026, 12, 25)),
                              day(date(2026, 12, 19), DayKind.hari_kerja)])])  # a worked Saturday
    assert WorkCalendar().working_days(date(2026, 12, 1), date(2026, 12, 31)) == 23
    assert cal.working_days(date(2026, 12, 1), date(2026, 12, 31)) == 22
    assert not cal.is_working_day(date(2026, 12, 24)) and cal.is_working_day(date(2026, 12, 19))
    assert cal.working_days_between(date(2026, 12, 23), date(2026, 12, 28)) == 1
    assert cal.working_days_between(date(2026, 12, 28), date(2026, 12, 23)) == 0
    due = cal.add_working_days(datetime(2026, 12, 23, 9, tzinfo=timezone.utc), 2)
    assert due == datetime(2026, 12, 29, 9, tzinfo=timezone.utc)  # skips 24, 25 and the weekend
    assert cal.known_years == {2026}


@pytest.mark.parametrize("days, message", [
    ([day(date(2027, 1, 1))], "not in 2026"),
    ([day(date(2026, 1, 1)), day(date(2026, 1, 1), name="again")], "listed twice"),
    ([day(date(2026, 12, 2), DayKind.hari_kerja)], "Saturday or Sunday"),
])
def test_a_malformed_calendar_is_refused_naming_the_day(days, message):
    with pytest.raises(ValidationError) as e:
        year(days)
    assert message in str(e.value)


def test_an_unknown_kind_or_a_malformed_date_is_refused():
    with pytest.raises(ValidationError):
        CalendarDay.model_validate({"date": "2026-02-30", "kind": "libur_nasional", "name": "x"})
    with pytest.raises(ValidationError):
        CalendarDay.model_validate({"date": "2026-02-03", "kind": "libur", "name": "x"})
