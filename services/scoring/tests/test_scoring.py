from datetime import date, datetime, timezone
from decimal import Decimal
from kinerja_contracts.calendar.v1 import CalendarDay, CalendarYearV1, WorkCalendar

from scoring_service.domain.scoring import (
    CatalogType, applicable, credit_within_cap, period_of, price, productivity_minutes, productivity_points, workdays,
)

MIN = CatalogType("LAPORAN", "minutes", 120, None, date(2026, 1, 1))
PTS = CatalogType("PTS", "points", None, Decimal("2.5"), date(2026, 1, 1))


def test_minutes_are_standard_times_volume():
    assert price(MIN, 2).minutes == 240


def test_approved_minutes_count_up_to_the_daily_cap():
    assert credit_within_cap(0, 240, 450) == 240
    assert credit_within_cap(300, 360, 450) == 150  # only what is left of the day's cap
    assert credit_within_cap(450, 120, 450) == 0
    assert credit_within_cap(500, 10, 450) == 0


def test_points_mode_uses_weight():
    assert price(PTS, 4, Decimal("1.5")).points == Decimal("15.0")


def test_catalog_version_in_force_on_work_date():
    newer = CatalogType("LAPORAN", "minutes", 90, None, date(2026, 7, 1))
    assert applicable([MIN, newer], date(2026, 6, 30)) is MIN
    assert applicable([MIN, newer], date(2026, 7, 1)) is newer
    assert applicable([newer], date(2026, 6, 30)) is None


def test_workdays_skip_weekends_and_holidays():
    assert workdays("2026-11", WorkCalendar()) == 21
    august = WorkCalendar([CalendarYearV1(year=2026, revision=1, updated_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
                                          days=[CalendarDay(date=date(2026, 8, 17), kind="libur_nasional", name="HUT RI")])])
    assert workdays("2026-08", august) == 20
    assert period_of(date(2026, 3, 9)) == "2026-03"


def test_productivity():
    assert productivity_minutes(6100, 6300) == Decimal("0.96825")
    assert productivity_minutes(9000, 6300) == Decimal("1.00000")
    assert productivity_minutes(10, 0) == 0
    assert productivity_points(Decimal(50), Decimal(100)) == Decimal("0.50000")
