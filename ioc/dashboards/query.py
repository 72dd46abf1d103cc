"""Answering questions for a user: scope, rollup, cache, then the warehouse.

:func:`answer` is the one way a view, an export or a wall tile reads the warehouse for a
chart. It finds the dataset among those the user may see (an unknown dataset and one out
of scope give the same error, so nobody learns what exists), applies the user's row scope
(deny by default), picks a rollup when one answers, and caches the result. A cached
answer is used only while no change of its dataset touched its time range since it was
computed (:class:`~ioc.warehouse.models.DataChange`, seen by every process).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from ioc.dashboards import rollups
from ioc.dashboards.semantic import (
    Compiled,
    IndicatorDef,
    Question,
    QuestionError,
    compile_question,
    parse_question,
)
from ioc.warehouse.access import row_units, visible_datasets
from ioc.warehouse.db import engine, read_connection
from ioc.warehouse.freshness import Freshness
from ioc.warehouse.models import DataChange, Dataset, Indicator
from ioc.warehouse.units import ensure_units

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ioc.accounts.models import User

CACHE_SECONDS = 24 * 3600
CACHE_PREFIX = "ioc:answer:"


@dataclass
class Answer:
    dataset: Dataset
    columns: list[dict[str, str]]
    rows: list[list[Any]]
    rollup: str  # the rollup that answered, "" for raw rows
    cached: bool
    seconds: float  # time to answer (the warehouse's, or the cache's)
    time_range: tuple[str, str]
    computed_at: dt.datetime
    notes: list[str] = field(default_factory=list)

    @property
    def freshness(self) -> Freshness:
        return self.dataset.freshness

    def as_json(self) -> dict[str, Any]:
        fresh = self.freshness
        return {
            "dataset": self.dataset.slug,
            "columns": self.columns,
            "rows": self.rows,
            "rollup": self.rollup,
            "cached": self.cached,
            "seconds": round(self.seconds, 4),
            "time_range": list(self.time_range),
            "computed_at": self.computed_at.isoformat(),
            "freshness": {
                "status": fresh.status.value,
                "label": str(fresh.label),
                "last_arrival": (
                    self.dataset.last_arrival_at.isoformat()
                    if self.dataset.last_arrival_at
                    else None
                ),
                "deadline": fresh.deadline.isoformat() if fresh.deadline else None,
            },
        }


def _not_found(name: str) -> QuestionError:
    # The same words for "does not exist" and "not yours": scope leaks nothing.
    return QuestionError(
        f"không có bộ dữ liệu hay chỉ tiêu '{name}' / no dataset or indicator '{name}'"
    )


def resolve_dataset(
    question: Question, user: User | AnonymousUser | None
) -> tuple[Dataset, dict[str, IndicatorDef]]:
    """The question's dataset among those the user may see, and its indicators used."""
    visible = visible_datasets(user).select_related("sector", "owner")
    codes = [m.indicator for m in question.metrics if m.indicator]
    indicators: dict[str, IndicatorDef] = {}
    slugs = {question.dataset} if question.dataset else set()
    if codes:
        found = Indicator.objects.filter(code__in=codes, dataset__in=visible).select_related(
            "dataset"
        )
        for ind in found:
            indicators[ind.code] = IndicatorDef(
                code=ind.code,
                dataset=ind.dataset.slug,
                measure=ind.measure,
                aggregation=ind.aggregation,
                filters=ind.filters or {},
            )
            slugs.add(ind.dataset.slug)
        missing = [c for c in codes if c not in indicators]
        if missing:
            raise _not_found(missing[0])
    if not slugs:
        raise QuestionError(
            "câu hỏi cần một bộ dữ liệu hoặc chỉ tiêu /"
            " the question needs a dataset or an indicator"
        )
    if len(slugs) > 1:
        raise QuestionError(
            "mọi chỉ số của một câu hỏi phải cùng một bộ dữ liệu /"
            " every metric of a question must come from one dataset"
        )
    slug = slugs.pop()
    dataset = visible.filter(slug=slug).first()
    if dataset is None:
        raise _not_found(slug)
    return dataset, indicators


def plan(
    question: Question | dict[str, Any],
    user: User | AnonymousUser | None,
    *,
    now: dt.datetime | None = None,
    use_rollups: bool = True,
) -> tuple[Dataset, Compiled]:
    """The dataset and compiled SQL answering the question for this user (nothing run)."""
    q = question if isinstance(question, Question) else parse_question(question)
    dataset, indicators = resolve_dataset(q, user)
    moment = (now or timezone.localtime()).replace(tzinfo=None)
    rollup = rollups.choose(dataset, q, indicators, moment) if use_rollups else None
    compiled = compile_question(
        q,
        dataset.parsed_schema,
        dataset.slug,
        dialect=engine(),
        row_units=row_units(user),
        indicators=indicators,
        now=moment,
        rollup=rollup,
    )
    return dataset, compiled


def answer(
    question: Question | dict[str, Any],
    user: User | AnonymousUser | None,
    *,
    now: dt.datetime | None = None,
    use_rollups: bool = True,
    use_cache: bool = True,
) -> Answer:
    """The question's answer for this user. QuestionError for a question that cannot be
    asked (bilingual message); nothing from the question reaches SQL as text."""
    started = time.monotonic()
    dataset, compiled = plan(question, user, now=now, use_rollups=use_rollups)
    key = (
        CACHE_PREFIX
        + hashlib.sha256(
            json.dumps([engine(), compiled.sql, compiled.params], default=str).encode()
        ).hexdigest()
    )
    if use_cache:
        hit = cache.get(key)
        if hit is not None and still_valid(dataset, hit["change_id"], compiled.time_range):
            return Answer(
                dataset=dataset,
                columns=compiled.columns,
                rows=hit["rows"],
                rollup=compiled.rollup,
                cached=True,
                seconds=time.monotonic() - started,
                time_range=compiled.time_range,
                computed_at=hit["at"],
            )
    change_id = rollups.latest_change(dataset.pk)  # before reading: a later change invalidates
    if "meta.units" in compiled.sql:
        ensure_units()
    with read_connection() as con:
        rows = con.execute(compiled.sql, compiled.params).fetchall()
    values = [[_plain(v) for v in row] for row in rows]
    computed_at = timezone.now()
    if use_cache:
        cache.set(key, {"rows": values, "change_id": change_id, "at": computed_at}, CACHE_SECONDS)
    return Answer(
        dataset=dataset,
        columns=compiled.columns,
        rows=values,
        rollup=compiled.rollup,
        cached=False,
        seconds=time.monotonic() - started,
        time_range=compiled.time_range,
        computed_at=computed_at,
    )


def still_valid(dataset: Dataset, change_id: int, time_range: tuple[str, str]) -> bool:
    """No change of the dataset after ``change_id`` touched the time range (a change with
    an unknown range touches every range; see ``DataChange.overlaps``)."""
    start, end = time_range
    touching = Q(time_min="") | Q(time_max="")
    inside = Q()
    if end:
        inside &= Q(time_min__lt=end)
    if start:
        inside &= Q(time_max__gte=start)
    changes = DataChange.objects.filter(dataset=dataset, id__gt=change_id)
    return not changes.filter(touching | inside).exists()


def _plain(value: Any) -> Any:
    """A warehouse value as JSON: numbers, text, ISO dates; NaN and infinities as null."""
    if isinstance(value, decimal.Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return float(f"{value:.12g}")  # no float noise (0.30000000000000004) in JSON
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value
