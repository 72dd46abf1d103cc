"""Health of the data: which datasets are late, who delivers on time (the agencies'
compliance scorecard), and events for operators when data is late.

In real centres the hardest problem is agencies not sending data: the scorecard puts each
owner agency's datasets side by side (on time, late, missing, and the longest lag), worst
first, and a late dataset raises a "late-data" event (once while it stays unresolved).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from ioc.core.models import Agency
from ioc.core.templatetags.vn import vn_duration
from ioc.operations.choices import UNRESOLVED
from ioc.operations.models import Event
from ioc.operations.services import raise_event
from ioc.warehouse.freshness import Freshness, Status
from ioc.warehouse.models import Dataset

CHECK_EVERY = dt.timedelta(minutes=5)
_last_check: dict[str, dt.datetime] = {}


@dataclass
class AgencyScore:
    agency: Agency
    on_time: int = 0
    late: int = 0
    missing: int = 0
    unscheduled: int = 0
    worst_lag: dt.timedelta | None = None
    behind: list[tuple[Dataset, Freshness]] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return self.on_time + self.late + self.missing

    @property
    def share_on_time(self) -> float | None:
        return self.on_time / self.expected if self.expected else None

    @property
    def percent_on_time(self) -> int:
        return round(100 * (self.share_on_time or 0))

    @property
    def percent_late(self) -> int:
        return round(100 * self.late / self.expected) if self.expected else 0

    @property
    def percent_missing(self) -> int:
        return 100 - self.percent_on_time - self.percent_late if self.expected else 0


def scorecard(datasets: QuerySet[Dataset], now: dt.datetime | None = None) -> list[AgencyScore]:
    """One line per owner agency, the worst deliverers first."""
    now = now or timezone.now()
    scores: dict[int, AgencyScore] = {}
    for dataset in datasets.select_related("owner"):
        score = scores.setdefault(dataset.owner_id, AgencyScore(dataset.owner))
        state = dataset.freshness_at(now)
        if state.status == Status.ON_TIME:
            score.on_time += 1
        elif state.status == Status.UNKNOWN:
            score.unscheduled += 1
        else:
            if state.status == Status.LATE:
                score.late += 1
            else:
                score.missing += 1
            score.behind.append((dataset, state))
            if state.lag is not None and (score.worst_lag is None or state.lag > score.worst_lag):
                score.worst_lag = state.lag
    for score in scores.values():
        score.behind.sort(key=lambda item: item[1].lag or dt.timedelta(0), reverse=True)
    return sorted(
        scores.values(),
        key=lambda s: (
            s.share_on_time if s.share_on_time is not None else 2.0,
            -(s.worst_lag or dt.timedelta(0)).total_seconds(),
            s.agency.name,
        ),
    )


def late(datasets: Iterable[Dataset], now: dt.datetime) -> list[tuple[Dataset, Freshness]]:
    out = []
    for dataset in datasets:
        state = dataset.freshness_at(now)
        if state.status in (Status.LATE, Status.MISSING):
            out.append((dataset, state))
    return out


def check_freshness(now: dt.datetime | None = None) -> int:
    """Raise a "late-data" event for each late dataset that has none unresolved; return how
    many were raised."""
    now = now or timezone.now()
    raised = 0
    datasets = Dataset.objects.select_related("owner__unit", "sector")
    for dataset, state in late(datasets, now):
        key = f"integrations:late:{dataset.pk}"
        if Event.objects.filter(dedup_key=key, status__in=UNRESOLVED).exists():
            continue
        lag = vn_duration(state.lag) if state.lag else ""
        missing = state.status == Status.MISSING
        raise_event(
            source="integrations",
            category="late-data",
            headline=(
                f"Thiếu dữ liệu «{dataset.name}» ({dataset.owner.short_name or dataset.owner.name})"
                if missing
                else f"Dữ liệu «{dataset.name}» trễ hạn {lag}"
                f" ({dataset.owner.short_name or dataset.owner.name})"
            ),
            description=(
                f"Hạn gần nhất: {timezone.localtime(state.deadline):%H:%M %d/%m/%Y}."
                if state.deadline
                else ""
            ),
            severity="severe" if missing else "moderate",
            urgency="expected",
            certainty="observed",
            occurred_at=state.deadline or now,
            link=reverse("integrations:dataset", args=[dataset.slug]),
            obj=dataset,
            unit=dataset.owner.unit,
            sector=dataset.sector,
            agency=dataset.owner,
            dedup_key=key,
        )
        raised += 1
    return raised


def check_freshness_every(now: dt.datetime, period: dt.timedelta = CHECK_EVERY) -> int:
    """check_freshness at most once per period in this process (called on each tick)."""
    last = _last_check.get("freshness")
    if last is not None and now - last < period:
        return 0
    _last_check["freshness"] = now
    return check_freshness(now)
