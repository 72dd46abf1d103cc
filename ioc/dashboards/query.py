"""Answering questions for a user: scope, rollup, cache, then the warehouse.

:func:`answer` is the one way a view, an export or a wall tile reads the warehouse for a
chart. It finds the dataset among those the user may see (an unknown dataset and one out
of scope give the same error, so nobody learns what exists), applies the user's row scope
(deny by default), picks a rollup when one answers, and caches the result. A cached
answer is used only while no change of its dataset touched its time range since it was
computed (:class:`~ioc.warehouse.models.DataChange`, seen by every process).

On DuckDB, answers that come close together (a dashboard's or a wall's tiles, a KPI and
its previous period) share one open database: :class:`_Keeper` holds a read-only
connection for ``KEEP_OPEN_SECONDS`` after the last answer, and lets go at once when a
writer waits for the file (the writer's ``flock`` on ``<warehouse>.lock``). Opening the
multi-GB file and reading its metadata again costs more than a rollup's whole answer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from ioc.dashboards import rollups
from ioc.dashboards.filters import previous_period
from ioc.dashboards.semantic import (
    Compiled,
    IndicatorDef,
    Question,
    QuestionError,
    compile_question,
    parse_question,
)
from ioc.warehouse.access import PublicReader, row_units, visible_datasets
from ioc.warehouse.db import Connection, engine, read_connection, warehouse_path
from ioc.warehouse.freshness import Freshness
from ioc.warehouse.models import DataChange, Dataset, Indicator
from ioc.warehouse.units import ensure_units

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.contrib.auth.models import AnonymousUser

    from ioc.accounts.models import User
    from ioc.dashboards.models import Chart

CACHE_SECONDS = 24 * 3600
CACHE_PREFIX = "ioc:answer:"
KEEP_OPEN_SECONDS = 1.0  # the warehouse file stays open this long after the last answer
WATCH_SECONDS = 0.02  # how often the keeper looks for a waiting writer


def _file_identity(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _writer_waiting(path: str) -> bool:
    """Whether a writer holds or waits for the warehouse (its exclusive ``flock`` on
    ``<warehouse>.lock``, see :func:`ioc.warehouse.writer.write_connection`)."""
    try:
        with open(f"{path}.lock", "a") as lock_file:
            try:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)
    except OSError:
        return False
    return False


class _Keeper:
    """Keeps the DuckDB warehouse open between answers that come close together.

    DuckDB opens a file once per process: while this idle read-only connection is open,
    every :func:`~ioc.warehouse.db.read_connection` of the process reuses the open
    database (no new open, its metadata and recently read blocks still in memory). A
    watcher thread closes it ``KEEP_OPEN_SECONDS`` after the last answer ended, or within
    ``WATCH_SECONDS`` when a writer (of any process) waits for the file; readers never
    hold the file against a writer longer than the answers running at that moment.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._con: Connection | None = None
        self._path = ""
        self._identity: tuple[int, int] | None = None
        self._last = 0.0

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection]:
        if engine() != "duckdb":
            with read_connection() as con:
                yield con
            return
        path = str(warehouse_path())
        with self._lock:
            if self._con is not None and (
                path != self._path or _file_identity(path) != self._identity
            ):
                self._close()  # another warehouse, or the file was replaced
        with read_connection() as con:
            self._hold(path)
            try:
                yield con
            finally:
                with self._lock:
                    self._last = time.monotonic()  # idle from the end of a long answer

    def _hold(self, path: str) -> None:
        with self._lock:
            self._last = time.monotonic()
            if self._con is not None or _writer_waiting(path):
                return
            try:
                # The database is open (the caller's connection): this only adds a handle.
                self._con = read_connection(retries=1)
            except Exception:  # nothing kept; the next answer opens the file again
                return
            self._path, self._identity = path, _file_identity(path)
            threading.Thread(target=self._watch, name="ioc-warehouse-keeper", daemon=True).start()

    def _watch(self) -> None:
        while True:
            time.sleep(WATCH_SECONDS)
            with self._lock:
                if self._con is None:
                    return
                idle = time.monotonic() - self._last
                if idle >= KEEP_OPEN_SECONDS or _writer_waiting(self._path):
                    self._close()
                    return

    def _close(self) -> None:
        con, self._con = self._con, None
        if con is not None:
            with contextlib.suppress(Exception):
                con.close()

    def close(self) -> None:
        """Let go of the warehouse now (tests, or before replacing the file)."""
        with self._lock:
            self._close()


_keeper = _Keeper()


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


# Questions are checked, not run: any moment resolves their relative time ranges.
CHECK_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC).replace(tzinfo=None)


def indicator_defs(indicators: Iterable[Indicator]) -> dict[str, IndicatorDef]:
    """Catalogue indicators (with their datasets) as the semantic layer reads them."""
    return {
        ind.code: IndicatorDef(
            code=ind.code,
            dataset=ind.dataset.slug,
            measure=ind.measure,
            aggregation=ind.aggregation,
            filters=ind.filters or {},
        )
        for ind in indicators
    }


def check_question(question: Any, datasets: dict[str, Dataset]) -> tuple[Question, Dataset]:
    """A question that can be asked of one of ``datasets`` (its names, types and grains
    checked by compiling it, without scope and without running it), or QuestionError."""
    q = parse_question(question)
    codes = [m.indicator for m in q.metrics if m.indicator]
    indicators = indicator_defs(Indicator.objects.filter(code__in=codes).select_related("dataset"))
    missing = sorted(set(codes) - set(indicators))
    if missing:
        raise QuestionError(f"không có chỉ tiêu '{missing[0]}' / no indicator '{missing[0]}'")
    slug = q.dataset or next((ind.dataset for ind in indicators.values()), "")
    dataset = datasets.get(slug)
    if dataset is None:
        raise QuestionError(f"không có bộ dữ liệu '{slug}' / no dataset '{slug}'")
    compile_question(
        q,
        dataset.parsed_schema,
        dataset.slug,
        dialect=engine(),
        row_units=None,
        indicators=indicators,
        now=CHECK_TIME,
    )
    return q, dataset


def _not_found(name: str) -> QuestionError:
    # The same words for "does not exist" and "not yours": scope leaks nothing.
    return QuestionError(
        f"không có bộ dữ liệu hay chỉ tiêu '{name}' / no dataset or indicator '{name}'"
    )


def resolve_dataset(
    question: Question, user: User | AnonymousUser | PublicReader | None
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
        indicators = indicator_defs(found)
        slugs |= {ind.dataset for ind in indicators.values()}
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
    user: User | AnonymousUser | PublicReader | None,
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
    user: User | AnonymousUser | PublicReader | None,
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
    with _keeper.connection() as con:
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


def figures(
    chart: Chart,
    question: dict[str, Any],
    result: Answer,
    reader: User | AnonymousUser | PublicReader | None,
) -> dict[str, Any]:
    """What a tile draws: the answer, and the previous period's when the chart compares."""
    data = {**result.as_json(), "chart": chart.pk}
    if chart.options.get("compare") == "previous":
        earlier = previous_period(question, timezone.localtime().replace(tzinfo=None))
        if earlier is not None:
            data["previous"] = answer(earlier, reader).rows
    return data
