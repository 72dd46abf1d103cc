"""Is a dataset's data on time? Its expected cadence against when data last arrived.

Each cadence has deadlines: daily by ``due_time`` (default end of day), weekly on
``due_day`` (1 = Monday), monthly on day ``due_day`` (default the 5th), quarterly on day
``due_day`` of the quarter's first month, yearly on day ``due_day`` of January; hourly at
each hour; sensors ("continuous") every 30 minutes. Data is **on time** when something
arrived after the deadline before the latest one, **late** when not (the lag counts from the
latest deadline), and **missing** when nothing ever arrived or nothing for three periods.
Irregular datasets have no expectation.

Local time is the deployment's (``TIME_ZONE``, Asia/Ho_Chi_Minh by default).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

END_OF_DAY = dt.time(23, 59, 59)
CONTINUOUS_PERIOD = dt.timedelta(minutes=30)
MISSING_AFTER_PERIODS = 3


class Status(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    UNKNOWN = "unknown"


LABELS = {
    Status.ON_TIME: _("On time"),
    Status.LATE: _("Late"),
    Status.MISSING: _("Missing"),
    Status.UNKNOWN: _("No schedule"),
}


@dataclass(frozen=True)
class Freshness:
    status: Status
    deadline: dt.datetime | None  # the latest deadline that has passed
    lag: dt.timedelta | None  # how late (from that deadline), when late or missing

    @property
    def label(self) -> str:
        return str(LABELS[self.status])


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _on_day(first_of_month: dt.date, due_day: int) -> dt.date:
    """Day ``due_day`` of the month, or its last day when shorter."""
    next_month = _add_months(first_of_month, 1)
    last = (next_month - dt.timedelta(days=1)).day
    return first_of_month.replace(day=min(max(due_day, 1), last))


def deadlines(
    cadence: str, now: dt.datetime, due_time: dt.time | None, due_day: int | None
) -> tuple[dt.datetime, dt.datetime] | None:
    """(the deadline before the latest, the latest deadline ≤ now), in local time."""
    tz = timezone.get_current_timezone()
    local = timezone.localtime(now, tz)
    at = due_time or END_OF_DAY

    def stamp(day: dt.date, time: dt.time = at) -> dt.datetime:
        return dt.datetime.combine(day, time, tzinfo=tz)

    if cadence == "continuous":
        latest = (
            local - (local - local.replace(minute=0, second=0, microsecond=0)) % CONTINUOUS_PERIOD
        )
        return latest - CONTINUOUS_PERIOD, latest
    if cadence == "hourly":
        latest = local.replace(minute=(due_time.minute if due_time else 0), second=0, microsecond=0)
        if latest > local:
            latest -= dt.timedelta(hours=1)
        return latest - dt.timedelta(hours=1), latest
    if cadence == "daily":
        latest = stamp(local.date())
        if latest > local:
            latest -= dt.timedelta(days=1)
        return latest - dt.timedelta(days=1), latest
    if cadence == "weekly":
        weekday = (due_day or 1) - 1
        day = local.date() - dt.timedelta(days=(local.weekday() - weekday) % 7)
        latest = stamp(day)
        if latest > local:
            latest -= dt.timedelta(days=7)
        return latest - dt.timedelta(days=7), latest
    step = {"monthly": 1, "quarterly": 3, "yearly": 12}.get(cadence)
    if step is None:
        return None
    first = local.date().replace(day=1)
    if step == 3:
        first = first.replace(month=(first.month - 1) // 3 * 3 + 1)
    elif step == 12:
        first = first.replace(month=1)
    day_number = due_day or (5 if step < 12 else 31)
    latest = stamp(_on_day(first, day_number))
    if latest > local:
        latest = stamp(_on_day(_add_months(first, -step), day_number))
        first = _add_months(first, -step)
    previous = stamp(_on_day(_add_months(first, -step), day_number))
    return previous, latest


def freshness(
    cadence: str,
    last_arrival: dt.datetime | None,
    *,
    due_time: dt.time | None = None,
    due_day: int | None = None,
    now: dt.datetime | None = None,
) -> Freshness:
    now = now or timezone.now()
    bounds = deadlines(cadence, now, due_time, due_day)
    if bounds is None:
        return Freshness(Status.UNKNOWN, None, None)
    previous, latest = bounds
    if last_arrival is None:
        return Freshness(Status.MISSING, latest, now - latest)
    if last_arrival > previous:
        return Freshness(Status.ON_TIME, latest, None)
    period = latest - previous
    if last_arrival <= latest - MISSING_AFTER_PERIODS * period:
        return Freshness(Status.MISSING, latest, now - latest)
    return Freshness(Status.LATE, latest, now - latest)
