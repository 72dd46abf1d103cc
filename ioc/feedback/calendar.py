"""The working-day calendar of Vietnam's public offices, for reports' deadlines.

Weekends are Saturday and Sunday; public holidays are the Labour Code's (New Year, Tết,
Hùng Kings, 30/4, 1/5, National Day) with the days off and make-up working Saturdays the
government announces each year, from the ``holidays`` package (it computes the lunar dates).

A deadline of N working days runs from the working day after the report arrives and ends at
the close of the Nth working day (17:00 local time): a report sent on Friday morning with a
1-working-day deadline is due on Monday at 17:00, or on Tuesday when Monday is a holiday.
A deadline in hours (urgent matters) is counted on the clock, nights and holidays included.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils import timezone

from ioc.feedback.choices import DeadlineUnit

CLOSE_OF_DAY = dt.time(17, 0)


@functools.cache
def _calendar() -> holidays.HolidayBase:
    return holidays.country_holidays("VN", language="vi")


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def is_working_day(day: dt.date) -> bool:
    return bool(_calendar().is_working_day(day))


def holiday_name(day: dt.date) -> str:
    return str(_calendar().get(day) or "")


def add_working_days(day: dt.date, n: int) -> dt.date:
    """The nth working day after ``day`` (n >= 1); ``day`` itself when n is 0."""
    return day if n <= 0 else _calendar().get_nth_working_day(day, n)


def working_days_between(start: dt.datetime, end: dt.datetime) -> int:
    """Whole working days after ``start``'s day up to and including ``end``'s day."""
    zone = local_zone()
    first = timezone.localtime(start, zone).date()
    last = timezone.localtime(end, zone).date()
    count = 0
    day = first + dt.timedelta(days=1)
    while day <= last:
        count += is_working_day(day)
        day += dt.timedelta(days=1)
    return count


def due_at(received: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """When a report received at ``received`` must be handled, its category's deadline being
    ``amount`` ``unit`` (working days or hours)."""
    if unit == DeadlineUnit.HOURS:
        return received + dt.timedelta(hours=amount)
    zone = local_zone()
    day = add_working_days(timezone.localtime(received, zone).date(), max(amount, 1))
    return dt.datetime.combine(day, CLOSE_OF_DAY, tzinfo=zone)
