"""Periodic platform jobs: what must run every few minutes whatever else happens (reports'
deadlines and escalations, notifications to retry, ...), run by the scheduler's tick.

    from ioc.jobs.periodic import periodic

    @periodic("feedback.deadlines", every=dt.timedelta(minutes=5))
    def deadlines(now: dt.datetime) -> dict[str, object]: ...

The scheduler (``ioc.integrations.scheduler.tick``, which only the holder of the scheduler
lease runs, in ``ioc serve``'s embedded worker or an ``ioc worker``) calls :func:`run_due`
on every tick. Each run is a :class:`~ioc.jobs.models.JobRun` (status, result, error), so a
job that stopped running or fails is seen in the job runs, never silent. A failing job never
stops the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ioc.jobs.runner import JobRunner

Job = Callable[[dt.datetime], dict[str, Any]]


@dataclass(frozen=True)
class Periodic:
    name: str
    every: dt.timedelta
    func: Job


REGISTRY: dict[str, Periodic] = {}
_last: dict[str, dt.datetime] = {}


def periodic(name: str, *, every: dt.timedelta) -> Callable[[Job], Job]:
    def register(func: Job) -> Job:
        REGISTRY[name] = Periodic(name, every, func)
        return func

    return register


class _Run(JobRunner):
    def __init__(self, job: Periodic) -> None:
        super().__init__()
        self.job = job
        self.name = job.name  # type: ignore[misc]

    def handle(self, **kwargs: Any) -> dict[str, Any]:
        now: dt.datetime = kwargs["now"]
        return self.job.func(now)


def run_due(now: dt.datetime) -> list[str]:
    """Run every job whose period has passed since its last run in this process."""
    ran = []
    for job in list(REGISTRY.values()):
        last = _last.get(job.name)
        if last is not None and now - last < job.every:
            continue
        _last[job.name] = now
        _Run(job).run(now=now)
        ran.append(job.name)
    return ran


def forget() -> None:
    """Run every job at the next tick (tests, and a process taking over the lease)."""
    _last.clear()
