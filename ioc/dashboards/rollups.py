"""Rollups: pre-aggregations of a dataset that answer charts without reading raw rows.

A rollup keeps, per period of its grain (hour, day or month) × its dimensions (always the
dataset's unit column, plus chosen category columns), the number of rows and, for each
chosen measure, its sum, count, minimum and maximum, in the warehouse table
``rollup."<dataset>__<name>"``. Averages are sum ÷ count, so every ``sum``, ``count``,
``avg``, ``min`` and ``max`` question over those columns has the same answer from the
rollup as from the raw rows, and so has ``count_distinct`` of one of its dimensions (a rollup
row exists for each value present in each period); other distinct counts and ``last``
always read raw rows.

Refreshing is incremental: on each "dataset changed" event the periods the change touched
are deleted and aggregated again from the raw rows, in one transaction. A rollup is used
only when it has taken in every change of its dataset (``Rollup.change_id``), so a chart
never reads a rollup that is behind its data.

The semantic layer asks :func:`choose` for the smallest fresh rollup that answers a
question; :func:`define` adds rollups (per dataset, or from the charts in use by
:func:`suggest`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable

from django.utils import timezone
from sqlglot import exp

from ioc.dashboards.models import Rollup
from ioc.dashboards.semantic import (
    GRAINS,
    IndicatorDef,
    Question,
    QuestionError,
    RollupSource,
    _as_datetime,
    bucket_start,
    resolve_range,
    shift,
)
from ioc.warehouse.db import Connection, engine
from ioc.warehouse.models import DataChange, Dataset
from ioc.warehouse.schema import ColumnType, Role, Schema
from ioc.warehouse.writer import transaction, write_connection

log = logging.getLogger(__name__)

ROLLUP_AGGREGATES = ("sum", "count", "avg", "min", "max")
# A rollup of grain g answers questions of these grains.
ANSWERS: dict[str, tuple[str, ...]] = {
    "hour": GRAINS,
    "day": ("day", "week", "month", "quarter", "year"),
    "month": ("month", "quarter", "year"),
}


def source(rollup: Rollup) -> RollupSource:
    return RollupSource(
        table=rollup.table,
        grain=rollup.grain,
        dimensions=tuple(rollup.dimensions),
        measures=tuple(rollup.measures),
    )


def latest_change(dataset_id: int) -> int:
    last = (
        DataChange.objects.filter(dataset_id=dataset_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return int(last or 0)


# ---------------------------------------------------------------------------------------
# Defining and building
# ---------------------------------------------------------------------------------------


def define(
    dataset: Dataset,
    name: str,
    *,
    grain: str,
    dimensions: Iterable[str] = (),
    measures: Iterable[str] | None = None,
) -> Rollup:
    """A rollup of ``dataset`` (its unit column is always a dimension; every measure when
    ``measures`` is None), saved but not yet built."""
    schema = dataset.parsed_schema
    time_col = schema.with_role(Role.TIME)
    if time_col is None:
        raise QuestionError(
            "bộ dữ liệu không có cột thời gian: không tổng hợp trước được /"
            " the dataset has no time column: it cannot be rolled up"
        )
    if grain not in ANSWERS or (grain == "hour" and time_col.type == ColumnType.DATE):
        raise QuestionError(
            f"độ chi tiết '{grain}' không dùng được / grain '{grain}' is not usable"
        )
    dims = list(dict.fromkeys(dimensions))
    unit_col = schema.with_role(Role.UNIT)
    if unit_col is not None and unit_col.name not in dims:
        dims.insert(0, unit_col.name)
    chosen = (
        [c.name for c in schema.columns if c.role == Role.MEASURE]
        if measures is None
        else list(dict.fromkeys(measures))
    )
    for name_ in dims:
        col = _column(schema, name_)
        if col.role in (Role.TIME, Role.MEASURE) or col.type == ColumnType.DECIMAL:
            raise QuestionError(f"'{name_}' không làm chiều được / '{name_}' cannot be a dimension")
    for name_ in chosen:
        if _column(schema, name_).type not in (ColumnType.INTEGER, ColumnType.DECIMAL):
            raise QuestionError(f"'{name_}' không phải số đo / '{name_}' is not a measure")
    rollup, _ = Rollup.objects.update_or_create(
        dataset=dataset,
        name=name,
        defaults={
            "grain": grain,
            "dimensions": dims,
            "measures": chosen,
            "built": False,
            "change_id": 0,
        },
    )
    return rollup


def _column(schema: Schema, name: str):  # type: ignore[no-untyped-def]
    try:
        return schema.column(name)
    except KeyError:
        raise QuestionError(f"không có cột '{name}' / no column '{name}'") from None


def _aggregate_select(
    rollup: Rollup, schema: Schema, start: dt.datetime | None, end: dt.datetime | None
) -> tuple[exp.Select, list[object]]:
    """SELECT t, dims, measures' parts, _rows FROM the raw rows in [start, end)."""
    time_col = schema.with_role(Role.TIME)
    assert time_col is not None
    time = exp.column(time_col.name)
    kind = "date" if time_col.type == ColumnType.DATE else "timestamp"
    bucket = exp.cast(exp.func("date_trunc", exp.Literal.string(rollup.grain), time), kind)
    parts: list[exp.Expr] = [exp.alias_(bucket, "t")]
    parts += [exp.column(d) for d in rollup.dimensions]
    for m in rollup.measures:
        col = exp.column(m)
        parts += [
            exp.alias_(exp.func("sum", col), f"{m}__sum"),
            exp.alias_(exp.Count(this=col.copy()), f"{m}__count"),
            exp.alias_(exp.func("min", col.copy()), f"{m}__min"),
            exp.alias_(exp.func("max", col.copy()), f"{m}__max"),
        ]
    parts.append(exp.alias_(exp.Count(this=exp.Star()), "_rows"))
    select = exp.select(*parts).from_(exp.table_(rollup.dataset.slug, db="data"))
    params: list[object] = []
    as_date = time_col.type == ColumnType.DATE
    for bound, builder in ((start, exp.GTE), (end, exp.LT)):
        if bound is not None:
            params.append(bound.date() if as_date else bound)
            select = select.where(builder(this=time.copy(), expression=exp.Placeholder()))
    select = select.group_by(
        *(exp.Literal.number(i + 1) for i in range(1 + len(rollup.dimensions)))
    )
    return select, params


def _sql(tree: exp.Expr) -> str:
    sql = tree.sql(dialect=engine())
    return sql.replace("%s", "?") if engine() == "postgres" else sql


def build(rollup: Rollup) -> Rollup:
    """(Re)build the rollup's table from every raw row."""
    started = time.monotonic()
    change_id = latest_change(rollup.dataset_id)  # changes after this are refreshed later
    schema = rollup.dataset.parsed_schema
    select, params = _aggregate_select(rollup, schema, None, None)
    table = exp.table_(rollup.table, db="rollup")
    with transaction() as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS rollup").fetchall()
        con.execute(f"DROP TABLE IF EXISTS {_sql(table)}").fetchall()
        con.execute(f"CREATE TABLE {_sql(table)} AS {_sql(select)}", params).fetchall()
        rows = _count(con, table)
    _done(rollup, change_id=change_id, rows=rows, seconds=time.monotonic() - started)
    return rollup


def drop(rollup: Rollup) -> None:
    """Remove a rollup: its table, then its definition."""
    with write_connection() as con:
        con.execute(
            f"DROP TABLE IF EXISTS {_sql(exp.table_(rollup.table, db='rollup'))}"
        ).fetchall()
    rollup.delete()


def _count(con: Connection, table: exp.Table) -> int:
    row = con.execute(f"SELECT count(*) FROM {_sql(table)}").fetchall()
    return int(row[0][0]) if row else 0


def _done(rollup: Rollup, *, change_id: int, rows: int, seconds: float) -> None:
    rollup.built, rollup.change_id, rollup.rows = True, change_id, rows
    rollup.refreshed_at, rollup.refresh_seconds, rollup.error = timezone.now(), seconds, ""
    Rollup.objects.filter(pk=rollup.pk).update(
        built=True,
        change_id=change_id,
        rows=rows,
        refreshed_at=rollup.refreshed_at,
        refresh_seconds=seconds,
        error="",
    )


def refresh(rollup: Rollup) -> Rollup:
    """Take in the dataset's changes since the last refresh: only the periods they touched,
    or everything when a change's range is unknown or records may have moved in time."""
    if not rollup.built:
        return build(rollup)
    changes = list(
        DataChange.objects.filter(dataset_id=rollup.dataset_id, id__gt=rollup.change_id)
        .order_by("id")
        .values_list("id", "time_min", "time_max")
    )
    if not changes:
        return rollup
    schema = rollup.dataset.parsed_schema
    time_col = schema.with_role(Role.TIME)
    assert time_col is not None
    keyed_by_time = time_col.name in schema.key or not schema.key
    if not keyed_by_time or any(not lo or not hi for _, lo, hi in changes):
        # An upsert by a key without the time may have moved a record to another period.
        return build(rollup)
    started = time.monotonic()
    low = bucket_start(dt.datetime.fromisoformat(min(lo for _, lo, _ in changes)), rollup.grain)
    high = shift(
        bucket_start(dt.datetime.fromisoformat(max(hi for _, _, hi in changes)), rollup.grain),
        rollup.grain,
        1,
    )
    select, params = _aggregate_select(rollup, schema, low, high)
    table = exp.table_(rollup.table, db="rollup")
    as_date = time_col.type == ColumnType.DATE
    bounds = [low.date(), high.date()] if as_date else [low, high]
    with transaction() as con:
        con.execute(f"DELETE FROM {_sql(table)} WHERE t >= ? AND t < ?", bounds).fetchall()
        con.execute(f"INSERT INTO {_sql(table)} {_sql(select)}", params).fetchall()
        rows = _count(con, table)
    _done(rollup, change_id=changes[-1][0], rows=rows, seconds=time.monotonic() - started)
    return rollup


def refresh_dataset(dataset: Dataset) -> None:
    """Refresh each rollup of the dataset; a failure is kept on the rollup, never raised
    (the batch that triggered it is committed; the rollup stays unused until it catches up)."""
    for rollup in Rollup.objects.filter(dataset=dataset).select_related("dataset"):
        try:
            refresh(rollup)
        except Exception as exc:  # kept on the rollup, shown to engineers
            log.exception("rollup %s failed to refresh", rollup.table)
            Rollup.objects.filter(pk=rollup.pk).update(error=str(exc)[:2000])


# ---------------------------------------------------------------------------------------
# Choosing
# ---------------------------------------------------------------------------------------


def _aligned(value: dt.date | dt.datetime | None, grain: str) -> bool:
    if value is None:
        return True
    moment = _as_datetime(value)
    return bucket_start(moment, grain) == moment


def answers(
    rollup: RollupSource,
    question: Question,
    schema: Schema,
    indicators: dict[str, IndicatorDef],
    now: dt.datetime,
) -> bool:
    """Whether the rollup gives the same answer as the raw rows."""
    time_col = schema.with_role(Role.TIME)
    unit_col = schema.with_role(Role.UNIT)
    dims = set(rollup.dimensions)
    if unit_col is not None and unit_col.name not in dims:
        return False  # the row scope filters on it
    for metric in question.metrics:
        if metric.derived:
            continue
        agg: str | None = metric.agg
        column, filters = metric.column, {}
        if metric.indicator:
            ind = indicators.get(metric.indicator)
            if ind is None:
                return False
            agg, column, filters = ind.aggregation, ind.measure or None, ind.filters
        if agg == "count_distinct" and column in dims:
            pass  # distinct values of one of its own dimensions: exact
        elif agg not in ROLLUP_AGGREGATES or (column and column not in rollup.measures):
            return False
        if agg != "count" and not column:
            return False
        if any(name not in dims for name in filters):
            return False
    for dim in question.dimensions:
        if time_col is not None and dim.column == time_col.name:
            if (dim.grain or "day") not in ANSWERS[rollup.grain]:
                return False
        elif dim.column not in dims:
            return False
    # A period of a daily rollup of dates is one date: every comparison keeps its meaning.
    exact = rollup.grain == "day" and time_col is not None and time_col.type == ColumnType.DATE
    for flt in question.filters:
        if time_col is not None and flt.column == time_col.name:
            if exact:
                continue
            # Only "from a period's start" and "before a period's start" select whole periods.
            if flt.op not in ("gte", "lt"):
                return False
            try:
                if not _aligned(_parse_time(flt.value), rollup.grain):
                    return False
            except (TypeError, ValueError):
                return False
        elif flt.column not in dims:
            return False
    try:
        start, end = resolve_range(question.time, now)
    except QuestionError:
        return False
    return _aligned(start, rollup.grain) and _aligned(end, rollup.grain)


def _parse_time(value: object) -> dt.datetime:
    return _as_datetime(dt.datetime.fromisoformat(str(value)))


def choose(
    dataset: Dataset,
    question: Question,
    indicators: dict[str, IndicatorDef],
    now: dt.datetime,
) -> RollupSource | None:
    """The smallest rollup of the dataset that is up to date and answers the question."""
    latest = latest_change(dataset.pk)
    schema = dataset.parsed_schema
    for rollup in Rollup.objects.filter(
        dataset=dataset, built=True, change_id__gte=latest
    ).order_by("rows"):
        rollup.dataset = dataset
        candidate = source(rollup)
        if answers(candidate, question, schema, indicators, now):
            return candidate
    return None
