"""Expected cadences against arrival times, in Vietnamese local time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ioc.warehouse.freshness import Status, freshness

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN)


@pytest.mark.parametrize(
    ("cadence", "due_time", "due_day", "now", "arrived", "status", "lag_hours"),
    [
        # daily by 17:00
        (
            "daily",
            dt.time(17),
            None,
            at(2026, 11, 26, 18),
            at(2026, 11, 26, 16),
            Status.ON_TIME,
            None,
        ),
        ("daily", dt.time(17), None, at(2026, 11, 26, 18), at(2026, 11, 25, 16), Status.LATE, 1),
        (
            "daily",
            dt.time(17),
            None,
            at(2026, 11, 26, 10),
            at(2026, 11, 25, 16),
            Status.ON_TIME,
            None,
        ),
        ("daily", dt.time(17), None, at(2026, 11, 26, 18), at(2026, 11, 22, 16), Status.MISSING, 1),
        ("daily", dt.time(17), None, at(2026, 11, 26, 18), None, Status.MISSING, 1),
        # monthly by the 5th (end of day)
        ("monthly", None, 5, at(2026, 11, 26, 9), at(2026, 11, 3, 9), Status.ON_TIME, None),
        ("monthly", None, 5, at(2026, 11, 26, 9), at(2026, 10, 4, 9), Status.LATE, None),
        ("monthly", None, 5, at(2026, 11, 4, 9), at(2026, 10, 4, 9), Status.ON_TIME, None),
        ("monthly", None, 31, at(2026, 3, 1, 9), at(2026, 2, 27, 9), Status.ON_TIME, None),
        ("monthly", None, 31, at(2026, 3, 1, 9), at(2026, 1, 30, 9), Status.LATE, None),
        # weekly on Mondays
        ("weekly", dt.time(9), 1, at(2026, 11, 26, 9), at(2026, 11, 23, 8), Status.ON_TIME, None),
        ("weekly", dt.time(9), 1, at(2026, 11, 26, 9), at(2026, 11, 15, 8), Status.LATE, None),
        # quarterly by the 15th of the quarter's first month
        ("quarterly", None, 15, at(2026, 11, 26, 9), at(2026, 10, 10, 9), Status.ON_TIME, None),
        ("quarterly", None, 15, at(2026, 11, 26, 9), at(2026, 7, 10, 9), Status.LATE, None),
        # sensors: every 30 minutes
        (
            "continuous",
            None,
            None,
            at(2026, 11, 26, 9, 40),
            at(2026, 11, 26, 9, 10),
            Status.ON_TIME,
            None,
        ),
        (
            "continuous",
            None,
            None,
            at(2026, 11, 26, 9, 40),
            at(2026, 11, 26, 8, 50),
            Status.LATE,
            None,
        ),
        (
            "hourly",
            None,
            None,
            at(2026, 11, 26, 9, 40),
            at(2026, 11, 26, 8, 50),
            Status.ON_TIME,
            None,
        ),
        ("irregular", None, None, at(2026, 11, 26, 9), None, Status.UNKNOWN, None),
    ],
)
def test_freshness(cadence, due_time, due_day, now, arrived, status, lag_hours):
    result = freshness(cadence, arrived, due_time=due_time, due_day=due_day, now=now)
    assert result.status == status
    if lag_hours is not None:
        assert result.lag == dt.timedelta(hours=lag_hours)
