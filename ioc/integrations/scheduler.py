"""The scheduler: finds the connections that are due and hands them to the task workers.

Each active connection has an interval (every N minutes) or a cron schedule read in its time
zone (Asia/Ho_Chi_Minh by default). :func:`tick` claims the due ones by moving their
``next_run_at`` forward, then enqueues them in chunks (one task per chunk of
``CHUNK`` connections, not one per connection: 30,000 due connections are 60 tasks). Only the
holder of the scheduler lease ticks, so several `ioc worker` processes never dispatch a
connection twice. A failed run comes back sooner, with exponential backoff
(:func:`retry_at`), until the circuit breaker pauses it.

Schedules, run records and health live in the operational database; a tick is a few bulk
UPDATEs and INSERTs whatever the number of connections.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from collections import defaultdict
from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter  # type: ignore[import-untyped,unused-ignore]
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ioc.integrations.models import Connection, ConnectionState, SchedulerLease

logger = logging.getLogger(__name__)

CHUNK = 500
LEASE = dt.timedelta(seconds=60)
BACKOFF_BASE = dt.timedelta(minutes=1)
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class ScheduleError(ValueError):
    pass


def validate(interval_minutes: int | None, cron: str, tz: str) -> None:
    """A bilingual ScheduleError when the schedule cannot be read."""
    if cron and interval_minutes:
        raise ScheduleError(
            "Chọn chu kỳ hoặc lịch cron, không chọn cả hai / choose an interval or a cron"
            " schedule, not both"
        )
    if cron and not croniter.is_valid(cron):
        raise ScheduleError(f"Lịch cron không hợp lệ: «{cron}» / invalid cron schedule: «{cron}»")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"Múi giờ không có: «{tz}» / unknown time zone: «{tz}»") from None


def next_cron(cron: str, tz: str, after: dt.datetime) -> dt.datetime:
    local = after.astimezone(ZoneInfo(tz))
    nxt = cast("dt.datetime", croniter(cron, local).get_next(dt.datetime))
    return nxt.astimezone(dt.UTC)


def next_run(connection: Connection, after: dt.datetime) -> dt.datetime | None:
    if connection.cron:
        return next_cron(connection.cron, connection.timezone, after)
    if connection.interval_minutes:
        return after + dt.timedelta(minutes=connection.interval_minutes)
    return None


def retry_at(failures: int, now: dt.datetime, scheduled: dt.datetime | None) -> dt.datetime:
    """After a failure: 1, 2, 4, 8 ... minutes, never later than the next scheduled run."""
    retry: dt.datetime = now + BACKOFF_BASE * int(2 ** max(failures - 1, 0))
    if scheduled is not None and scheduled < retry:
        return scheduled
    return retry


def acquire_lease(now: dt.datetime | None = None, holder: str = HOLDER) -> bool:
    """Hold (or renew) the scheduler lease; False when another process holds it."""
    now = now or timezone.now()
    with transaction.atomic():
        lease, created = SchedulerLease.objects.get_or_create(
            name="scheduler", defaults={"holder": holder, "expires_at": now + LEASE}
        )
        if created:
            return True
        taken = SchedulerLease.objects.filter(
            Q(holder=holder) | Q(expires_at__lt=now), pk=lease.pk
        ).update(holder=holder, expires_at=now + LEASE)
        return bool(taken)


def due(now: dt.datetime) -> list[tuple[int, int | None, str, str]]:
    """(id, interval, cron, tz) of the active, scheduled connections whose time has come."""
    from ioc.integrations.connectors.base import registry

    pulling = [key for key, cls in registry().items() if cls.pulls]  # a push is never fetched
    return list(
        Connection.objects.filter(state=ConnectionState.ACTIVE, kind__in=pulling)
        .filter(Q(interval_minutes__isnull=False) | ~Q(cron=""))
        .filter(Q(next_run_at__lte=now) | Q(next_run_at__isnull=True))
        .order_by("next_run_at", "pk")
        .values_list("pk", "interval_minutes", "cron", "timezone")
    )


def tick(now: dt.datetime | None = None, *, holder: str = HOLDER) -> int:
    """Dispatch every due connection once; return how many were dispatched."""
    from ioc.integrations.tasks import sync_connections

    now = now or timezone.now()
    if not acquire_lease(now, holder):
        return 0
    from ioc.integrations.health import check_freshness_every

    check_freshness_every(now)  # late data → events, every few minutes
    from ioc.jobs.periodic import run_due

    run_due(now)  # the platform's periodic jobs (reports' deadlines, notifications, ...)
    rows = due(now)
    if not rows:
        return 0
    # Connections on the same schedule share their next run: one computation and one UPDATE
    # per schedule (a province has a few dozen), whatever the number of connections.
    groups: dict[tuple[int | None, str, str], list[int]] = defaultdict(list)
    for pk, interval, cron, tz in rows:
        groups[(None, cron, tz) if cron else (int(interval or 0), "", "")].append(pk)
    with transaction.atomic():
        for (interval, cron, tz), ids in groups.items():
            nxt = next_cron(cron, tz, now) if cron else now + dt.timedelta(minutes=interval or 0)
            for start in range(0, len(ids), 10_000):
                Connection.objects.filter(pk__in=ids[start : start + 10_000]).update(
                    next_run_at=nxt
                )
    ids = [pk for pk, *_ in rows]
    for start in range(0, len(ids), CHUNK):
        sync_connections.enqueue(ids[start : start + CHUNK], "schedule")
    logger.info("scheduler: %d connections dispatched in %d tasks", len(ids), -(-len(ids) // CHUNK))
    return len(ids)
