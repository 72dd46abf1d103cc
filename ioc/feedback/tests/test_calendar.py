import datetime as dt
from zoneinfo import ZoneInfo

from ioc.feedback import calendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN)


def test_working_days_skip_weekends_and_tet():
    # Friday 13/02/2026, the last working day before Tết (16-20/02): 1 working day is Monday 23.
    assert calendar.due_at(at(2026, 2, 13, 10), 1, "working_days") == at(2026, 2, 23, 17)
    # Thursday 3/12/2026, 3 working days: Friday, Monday, Tuesday 8/12 at close of day.
    assert calendar.due_at(at(2026, 12, 3, 9), 3, "working_days") == at(2026, 12, 8, 17)
    # Received on a Saturday evening: the count starts on Monday.
    assert calendar.due_at(at(2026, 12, 5, 21), 1, "working_days") == at(2026, 12, 7, 17)


def test_national_day_and_hung_kings():
    assert not calendar.is_working_day(dt.date(2026, 9, 2))
    assert not calendar.is_working_day(dt.date(2026, 4, 27))  # Hùng Kings, observed
    assert calendar.holiday_name(dt.date(2026, 2, 17))  # Tết, named in Vietnamese
    # 30/4 and 1/5 2026 (Thursday, Friday): 1 working day from Wednesday 29/4 is Monday 4/5.
    assert calendar.due_at(at(2026, 4, 29, 8), 1, "working_days") == at(2026, 5, 4, 17)


def test_hours_run_on_the_clock():
    assert calendar.due_at(at(2026, 2, 16, 22), 4, "hours") == at(2026, 2, 17, 2)


def test_working_days_between_counts_after_the_first_day():
    assert calendar.working_days_between(at(2026, 12, 4, 9), at(2026, 12, 11, 9)) == 5
    assert calendar.working_days_between(at(2026, 12, 4, 9), at(2026, 12, 4, 17)) == 0
