from datetime import datetime

from gis.db import transaction
from layers.ledger.calendar import TZ, WorkCalendar


def cal():
    with transaction() as s:
        return WorkCalendar.load(s)


def test_days_skip_the_national_day_holiday_and_count_the_make_up_saturday(database):
    c = cal()
    start = datetime(2026, 9, 30, 10, 0, tzinfo=TZ)  # Wednesday before 国庆
    assert c.add(start, 1, "days") == datetime(2026, 10, 8, 10, 0, tzinfo=TZ)  # Oct 1–7 off
    assert c.add(start, 3, "days") == datetime(2026, 10, 10, 10, 0, tzinfo=TZ)  # Saturday Oct 10 is a workday
    assert c.add(start, 4, "days") == datetime(2026, 10, 12, 10, 0, tzinfo=TZ)  # Sunday Oct 11 is not


def test_hours_count_inside_office_hours():
    c = WorkCalendar({})
    friday = datetime(2026, 11, 20, 16, 0, tzinfo=TZ)
    assert c.add(friday, 4, "hours") == datetime(2026, 11, 23, 12, 0, tzinfo=TZ)  # 1 h Friday + 3 h Monday
    night = datetime(2026, 11, 24, 20, 0, tzinfo=TZ)
    assert c.add(night, 2, "hours") == datetime(2026, 11, 25, 11, 0, tzinfo=TZ)


def test_reported_on_a_day_off_starts_next_working_morning(database):
    sunday = datetime(2026, 11, 22, 15, 30, tzinfo=TZ)
    assert cal().add(sunday, 1, "days") == datetime(2026, 11, 24, 9, 0, tzinfo=TZ)
