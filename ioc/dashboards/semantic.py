"""The semantic layer: a chart's question, checked against its dataset, compiled to SQL.

A :class:`Question` asks for metrics of one dataset by dimensions, under filters, over a
time range::

    {"dataset": "kham_chua_benh",
     "metrics": [{"id": "visits", "agg": "sum", "column": "luot_kham"},
                 {"id": "growth", "growth": "visits"}],
     "dimensions": [{"column": "ngay", "grain": "month"}, {"column": "ma_xa", "level": "commune"}],
     "filters": [{"column": "loai", "op": "in", "value": ["Nội trú"]}],
     "time": {"last": "12 months"}, "order": [{"by": "visits", "desc": true}], "limit": 10}

* **metrics**: ``sum``, ``avg``, ``min``, ``max``, ``count`` (rows, or non-empty values of a
  column), ``count_distinct``, ``last`` (the latest value in each period, summed over the
  other dimensions: stocks such as pupils or staff), an ``indicator`` of the catalogue (its
  measure, aggregation and filters), and over those: ``ratio`` of two metrics, ``growth``
  against the previous period (percent, needs a time dimension) and ``share`` of the total
  (percent; of each period's total when the question has a time dimension and others).
* **dimensions**: the time column at a ``grain`` (hour, day, week, month, quarter, year);
  the administrative-unit column at a ``level`` (``commune``: old communes rolled up to the
  ones that replaced them, the default; ``recorded``: as the records hold it; ``district``
  of the old three-level tree; ``province``), with the units' names; any category column.
* **filters**: ``eq``, ``ne``, ``in``, ``not_in``, ``gt``, ``gte``, ``lt``, ``lte``,
  ``between``, ``is_null``, ``not_null``; on the unit column at a ``level`` too (a click on
  a district filters its communes' records, old and new).
* **time**: ``start`` (inclusive) and ``end`` (exclusive) dates or times, or ``last``
  ("30 days", "12 months", "5 years", "24 hours": the periods up to and including the
  current one).

Every name is checked against the dataset's declared schema and every value is cast to its
column's type and bound as a parameter: nothing from a question is ever pasted into SQL
text. SQL is built as a SQLGlot tree and written in the warehouse's dialect (DuckDB or
PostgreSQL). The caller's row scope (the unit codes it may read, ``None`` for all) is added
here, on the server; a dataset with no unit column shows no rows to a unit-scoped caller.

A question that a rollup answers (see :mod:`ioc.dashboards.rollups`) is compiled against
the rollup's table instead, with the same result.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlglot import exp

from ioc.warehouse.schema import ColumnType, Role, Schema

Grain = Literal["hour", "day", "week", "month", "quarter", "year"]
UnitLevel = Literal["recorded", "commune", "district", "province"]
Aggregation = Literal["sum", "avg", "min", "max", "count", "count_distinct", "last"]
Op = Literal[
    "eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "between", "is_null", "not_null"
]  # fmt: skip

GRAINS: tuple[str, ...] = ("hour", "day", "week", "month", "quarter", "year")
MAX_LIMIT = 10_000
MAX_VALUES = 1_000  # values in one "in" filter
MAX_TEXT = 200
IDENT = r"^[a-z][a-z0-9_]{0,62}$"
_LAST = re.compile(r"^\s*(\d{1,4})\s+(hour|day|week|month|quarter|year)s?\s*$")
# The unit map's columns for each level (meta.units, see ioc.warehouse.units).
LEVEL_COLUMNS: dict[str, tuple[str, str]] = {
    "commune": ("current_code", "current_name"),
    "district": ("district_code", "district_name"),
    "province": ("province_code", "province_name"),
    "recorded": ("code", "name"),
}


class QuestionError(ValueError):
    """A question that cannot be asked of its dataset; the message is Vietnamese / English."""


def _error(vi: str, en: str) -> QuestionError:
    return QuestionError(f"{vi} / {en}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Metric(_Strict):
    id: Annotated[str, Field(pattern=IDENT)]
    agg: Aggregation | None = None
    column: Annotated[str, Field(max_length=63)] | None = None
    indicator: Annotated[str, Field(max_length=80)] | None = None
    ratio: tuple[str, str] | None = None
    growth: str | None = None
    share: str | None = None
    label: Annotated[str, Field(max_length=200)] = ""

    @model_validator(mode="after")
    def _one_kind(self) -> Metric:
        kinds = [self.agg, self.indicator, self.ratio, self.growth, self.share]
        if sum(k is not None for k in kinds) != 1:
            raise ValueError(
                f"chỉ số '{self.id}' cần đúng một trong agg, indicator, ratio, growth, share /"
                f" metric '{self.id}' needs exactly one of agg, indicator, ratio, growth, share"
            )
        return self

    @property
    def derived(self) -> bool:
        return self.ratio is not None or self.growth is not None or self.share is not None


class Dimension(_Strict):
    column: Annotated[str, Field(max_length=63)]
    grain: Grain | None = None
    level: UnitLevel | None = None


class Filter(_Strict):
    column: Annotated[str, Field(max_length=63)]
    op: Op = "eq"
    value: Any = None
    level: UnitLevel | None = None


class TimeRange(_Strict):
    start: dt.datetime | dt.date | None = None
    end: dt.datetime | dt.date | None = None
    last: Annotated[str, Field(max_length=20)] | None = None


class Order(_Strict):
    by: Annotated[str, Field(max_length=63)]
    desc: bool = False


class Question(_Strict):
    dataset: Annotated[str, Field(pattern=IDENT)] | None = None
    metrics: Annotated[list[Metric], Field(min_length=1, max_length=12)]
    dimensions: Annotated[list[Dimension], Field(max_length=4)] = []
    filters: Annotated[list[Filter], Field(max_length=20)] = []
    time: TimeRange | None = None
    order: Annotated[list[Order], Field(max_length=6)] = []
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 5_000


def parse_question(data: Any) -> Question:
    """A Question from JSON (a dict); errors become one bilingual QuestionError."""
    try:
        return Question.model_validate(data)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()))
            msg = str(err.get("msg", "")).removeprefix("Value error, ")
            parts.append(f"{where}: {msg}" if where else msg)
        raise QuestionError(
            "Câu hỏi không hợp lệ / invalid question: " + "; ".join(parts)
        ) from None


@dataclass(frozen=True)
class IndicatorDef:
    """What the semantic layer needs of a catalogue indicator."""

    code: str
    dataset: str
    measure: str
    aggregation: str
    filters: dict[str, Any]


@dataclass(frozen=True)
class RollupSource:
    """A rollup table a question may be answered from (see :mod:`ioc.dashboards.rollups`)."""

    table: str  # the rollup's table name in the ``rollup`` schema
    grain: str
    dimensions: tuple[str, ...]
    measures: tuple[str, ...]


@dataclass
class Compiled:
    sql: str
    params: list[Any]
    columns: list[dict[str, str]]  # name, kind (time|unit|unit_name|category|metric), label
    time_range: tuple[str, str]  # wall time [start, end) as sortable text, "" = open
    rollup: str = ""  # the rollup table answering, or "" for the raw rows
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------


def _coerce(value: Any, ctype: ColumnType, column: str) -> Any:
    """One filter value as its column's Python type, or a QuestionError."""
    try:
        if ctype == ColumnType.TEXT:
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise TypeError
            text = str(value)
            if len(text) > MAX_TEXT:
                raise ValueError
            return text
        if ctype == ColumnType.INTEGER:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise TypeError
            number = float(value)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if ctype == ColumnType.DECIMAL:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise TypeError
            return float(value)
        if ctype == ColumnType.BOOLEAN:
            if isinstance(value, bool):
                return value
            raise TypeError
        if ctype == ColumnType.DATE:
            return dt.date.fromisoformat(str(value)[:10])
        if ctype == ColumnType.TIMESTAMP:
            return _as_datetime(dt.datetime.fromisoformat(str(value)))
    except (TypeError, ValueError):
        pass
    raise _error(
        f"giá trị {str(value)[:40]!r} không hợp kiểu {ctype.value} của cột '{column}'",
        f"value {str(value)[:40]!r} does not fit column '{column}' of type {ctype.value}",
    )


def _as_datetime(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)  # the warehouse keeps local wall time
    return dt.datetime.combine(value, dt.time())


def bucket_start(value: dt.date | dt.datetime, grain: str) -> dt.datetime:
    """The start of the period of ``grain`` that holds ``value`` (weeks start on Monday)."""
    moment = _as_datetime(value)
    if grain == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = dt.datetime.combine(moment.date(), dt.time())
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def shift(moment: dt.datetime, grain: str, n: int) -> dt.datetime:
    """``moment`` moved by n periods of ``grain`` (months keep the day, clamped)."""
    if grain == "hour":
        return moment + dt.timedelta(hours=n)
    if grain == "day":
        return moment + dt.timedelta(days=n)
    if grain == "week":
        return moment + dt.timedelta(weeks=n)
    months = {"month": 1, "quarter": 3, "year": 12}[grain] * n
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    return moment.replace(year=year, month=month + 1, day=min(moment.day, 28))


def resolve_range(time: TimeRange | None, now: dt.datetime) -> tuple[dt.datetime | None, ...]:
    """[start, end) of a question's time range as wall-time datetimes (None = open)."""
    if time is None:
        return None, None
    if time.last:
        match = _LAST.match(time.last)
        if not match:
            raise _error(
                f"khoảng thời gian '{time.last}' không hiểu được (ví dụ: 30 days, 12 months)",
                f"time range '{time.last}' is not understood (e.g. 30 days, 12 months)",
            )
        count, grain = int(match.group(1)), match.group(2)
        if count < 1:
            raise _error("khoảng thời gian phải dương", "the time range must be positive")
        until = shift(bucket_start(now, grain), grain, 1)
        return shift(until, grain, -count), until
    start: dt.datetime | None = _as_datetime(time.start) if time.start is not None else None
    end: dt.datetime | None = _as_datetime(time.end) if time.end is not None else None
    if start and end and end <= start:
        raise _error(
            "thời điểm kết thúc phải sau thời điểm bắt đầu", "the end must come after the start"
        )
    return start, end


# ---------------------------------------------------------------------------------------
# Compiling
# ---------------------------------------------------------------------------------------


def _agg(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.func(name, *args)


def _param(params: list[Any], value: Any) -> exp.Expr:
    """A named placeholder for ``value``; :func:`positional` orders them as the SQL reads."""
    params.append(value)
    return exp.Placeholder(this=f"p{len(params) - 1}")


@dataclass
class _Source:
    """Where the rows come from: the dataset's table, or a rollup that answers."""

    table: exp.Table
    rollup: RollupSource | None

    def time(self, column: str) -> exp.Expr:
        return exp.column("t" if self.rollup else column, "r")

    def col(self, column: str) -> exp.Expr:
        return exp.column(column, "r")


class Compiler:
    def __init__(
        self,
        question: Question,
        schema: Schema,
        slug: str,
        *,
        dialect: str,
        row_units: frozenset[str] | None,
        indicators: dict[str, IndicatorDef],
        now: dt.datetime,
        rollup: RollupSource | None = None,
    ) -> None:
        self.q = question
        self.schema = schema
        self.slug = slug
        self.dialect = dialect
        self.row_units = row_units
        self.indicators = indicators
        self.now = now
        self.rollup = rollup
        self.params: list[Any] = []
        self.time_col = schema.with_role(Role.TIME)
        self.unit_col = schema.with_role(Role.UNIT)
        self.needs_units = False
        table = (
            exp.table_(rollup.table, db="rollup", alias="r")
            if rollup
            else exp.table_(slug, db="data", alias="r")
        )
        self.source = _Source(table, rollup)

    # -- checks ----------------------------------------------------------------------

    def column(self, name: str, what: str) -> Any:
        try:
            return self.schema.column(name)
        except KeyError:
            raise _error(
                f"{what}: bộ dữ liệu '{self.slug}' không có cột '{name}'",
                f"{what}: dataset '{self.slug}' has no column '{name}'",
            ) from None

    def _unit_expr(self, level: str | None) -> tuple[exp.Expr, exp.Expr | None]:
        """The unit column's code at a level, and its name (None when not joined)."""
        assert self.unit_col is not None
        level = level or "commune"
        code_col, name_col = LEVEL_COLUMNS[level]
        if level == "recorded":
            return self.source.col(self.unit_col.name), exp.column(name_col, "u")
        self.needs_units = True
        return exp.column(code_col, "u"), exp.column(name_col, "u")

    # -- parts -------------------------------------------------------------------------

    def dimensions(self) -> tuple[list[exp.Expr], list[dict[str, str]]]:
        selects: list[exp.Expr] = []
        columns: list[dict[str, str]] = []
        seen: set[str] = set()
        for index, dim in enumerate(self.q.dimensions):
            col = self.column(dim.column, "chiều / dimension")
            alias = f"d{index}"
            if dim.column in seen:
                raise _error(
                    f"chiều '{dim.column}' được chọn hai lần",
                    f"dimension '{dim.column}' is chosen twice",
                )
            seen.add(dim.column)
            if col.role == Role.TIME:
                grain = dim.grain or "day"
                if dim.level:
                    raise _error("cột thời gian không có cấp", "the time column has no level")
                if grain == "hour" and col.type == ColumnType.DATE:
                    raise _error(
                        f"cột '{col.name}' chỉ có ngày, không chia theo giờ được",
                        f"column '{col.name}' holds dates: it has no hours to group by",
                    )
                if self.rollup and GRAINS.index(grain) < GRAINS.index(self.rollup.grain):
                    raise AssertionError("rollup chosen for a finer grain")  # matcher's job
                value: exp.Expr = exp.func(
                    "date_trunc", exp.Literal.string(grain), self.source.time(col.name)
                )
                if col.type == ColumnType.DATE or grain != "hour":
                    value = exp.cast(value, "date" if col.type == ColumnType.DATE else "timestamp")
                selects.append(exp.alias_(value, alias))
                columns.append(
                    {
                        "name": alias,
                        "kind": "time",
                        "column": col.name,
                        "grain": grain,
                        "label": col.label or col.name,
                        "label_en": col.label_en or col.label or col.name,
                    }
                )
                continue
            if dim.grain:
                raise _error(
                    f"chỉ cột thời gian mới có độ chi tiết (grain), '{col.name}' thì không",
                    f"only the time column has a grain, '{col.name}' has not",
                )
            if col.role == Role.UNIT:
                code, name = self._unit_expr(dim.level)
                selects.append(exp.alias_(code, alias))
                columns.append(
                    {
                        "name": alias,
                        "kind": "unit",
                        "column": col.name,
                        "level": dim.level or "commune",
                        "label": col.label or col.name,
                        "label_en": col.label_en or col.label or col.name,
                    }
                )
                if name is not None:
                    self.needs_units = True
                    # Codes as recorded are grouped with their name (a reused code is two
                    # units); at other levels the name follows from the code.
                    recorded = dim.level == "recorded"
                    selects.append(
                        exp.alias_(name if recorded else _agg("min", name), f"{alias}_name")
                    )
                    columns.append(
                        {
                            "name": f"{alias}_name",
                            "kind": "unit_name",
                            "column": col.name,
                            "grouped": "yes" if recorded else "",
                        }
                    )
                continue
            if dim.level:
                raise _error(
                    f"chỉ cột đơn vị hành chính mới có cấp, '{col.name}' thì không",
                    f"only the administrative-unit column has a level, '{col.name}' has not",
                )
            if col.role == Role.MEASURE or col.type == ColumnType.DECIMAL:
                raise _error(
                    f"'{col.name}' là số đo, không dùng làm chiều được",
                    f"'{col.name}' is a measure and cannot be a dimension",
                )
            selects.append(exp.alias_(self.source.col(col.name), alias))
            columns.append(
                {
                    "name": alias,
                    "kind": "category",
                    "column": col.name,
                    "label": col.label or col.name,
                    "label_en": col.label_en or col.label or col.name,
                }
            )
        return selects, columns

    def condition(self, flt: Filter) -> exp.Expr:
        col = self.column(flt.column, "bộ lọc / filter")
        if flt.level and col.role != Role.UNIT:
            raise _error(
                f"chỉ cột đơn vị hành chính mới lọc theo cấp, '{col.name}' thì không",
                f"only the administrative-unit column filters by level, '{col.name}' does not",
            )
        if col.role == Role.UNIT:
            target, _ = self._unit_expr(flt.level or "recorded")
        elif col.role == Role.TIME and self.rollup:
            target = self.source.time(col.name)
        else:
            target = self.source.col(col.name)
        op = flt.op
        if op == "is_null":
            return exp.Is(this=target, expression=exp.Null())
        if op == "not_null":
            return exp.not_(exp.Is(this=target, expression=exp.Null()))
        if op in ("in", "not_in"):
            values = flt.value if isinstance(flt.value, list) else [flt.value]
            if not values or len(values) > MAX_VALUES:
                raise _error(
                    f"bộ lọc '{col.name}' cần từ 1 đến {MAX_VALUES} giá trị",
                    f"filter on '{col.name}' needs 1 to {MAX_VALUES} values",
                )
            cast = [_coerce(v, col.type, col.name) for v in values]
            holders = [_param(self.params, v) for v in cast]
            inside = exp.In(this=target, expressions=holders)
            return exp.not_(inside) if op == "not_in" else inside
        if op == "between":
            if not isinstance(flt.value, list) or len(flt.value) != 2:
                raise _error(
                    f"bộ lọc between trên '{col.name}' cần hai giá trị [từ, đến]",
                    f"a between filter on '{col.name}' needs two values [from, to]",
                )
            low, high = (_coerce(v, col.type, col.name) for v in flt.value)
            return exp.Between(
                this=target, low=_param(self.params, low), high=_param(self.params, high)
            )
        if isinstance(flt.value, list | dict) or flt.value is None:
            raise _error(
                f"bộ lọc {op} trên '{col.name}' cần một giá trị",
                f"a {op} filter on '{col.name}' needs one value",
            )
        value = _param(self.params, _coerce(flt.value, col.type, col.name))
        builders = {
            "eq": exp.EQ,
            "ne": exp.NEQ,
            "gt": exp.GT,
            "gte": exp.GTE,
            "lt": exp.LT,
            "lte": exp.LTE,
        }
        return builders[op](this=target, expression=value)

    def base_metric(self, metric: Metric) -> tuple[exp.Expr, str]:
        """The aggregate for a metric of kind agg or indicator, and its label."""
        agg: str | None = metric.agg
        column, filters = metric.column, {}
        label = metric.label
        if metric.indicator:
            ind = self.indicators.get(metric.indicator)
            if ind is None or ind.dataset != self.slug:
                raise _error(
                    f"chỉ tiêu '{metric.indicator}' không có trong bộ dữ liệu '{self.slug}'",
                    f"indicator '{metric.indicator}' is not one of dataset '{self.slug}'",
                )
            agg, column, filters = ind.aggregation, ind.measure or None, ind.filters
        assert agg is not None
        if agg != "count" and not column:
            raise _error(
                f"chỉ số '{metric.id}' ({agg}) cần một cột",
                f"metric '{metric.id}' ({agg}) needs a column",
            )
        if column:
            col = self.column(column, f"chỉ số / metric '{metric.id}'")
            numeric = col.type in (ColumnType.INTEGER, ColumnType.DECIMAL)
            if agg in ("sum", "avg", "last") and not numeric:
                raise _error(
                    f"không tính {agg} được trên cột '{column}' kiểu {col.type.value}",
                    f"{agg} cannot apply to column '{column}' of type {col.type.value}",
                )
            if agg in ("min", "max") and col.type in (ColumnType.TEXT, ColumnType.BOOLEAN):
                raise _error(
                    f"không tính {agg} được trên cột '{column}' kiểu {col.type.value}",
                    f"{agg} cannot apply to column '{column}' of type {col.type.value}",
                )
            label = label or col.label or col.name
        expression = self._aggregate(agg, column)
        conditions = [
            self.condition(Filter(column=name, op="in" if isinstance(v, list) else "eq", value=v))
            for name, v in sorted(filters.items())
        ]
        if agg == "last":
            conditions.append(exp.column("_latest", "r").eq(self._time_for_last()))
        if conditions:
            expression = exp.Filter(
                this=expression, expression=exp.Where(this=exp.and_(*conditions))
            )
        return expression, label or metric.id

    def _aggregate(self, agg: str, column: str | None) -> exp.Expr:
        rollup = self.source.rollup
        if rollup is None:
            target: exp.Expr = exp.column(column, "r") if column else exp.Star()
            if agg == "count_distinct":
                return exp.Count(this=exp.Distinct(expressions=[target]))
            if agg == "count":
                return exp.Count(this=target)
            return _agg({"last": "sum"}.get(agg, agg), target)

        def measure(part: str) -> exp.Expr:
            return exp.column(f"{column}__{part}", "r")

        if agg == "count":
            return _agg("sum", measure("count") if column else exp.column("_rows", "r"))
        if agg == "sum":
            return _agg("sum", measure("sum"))
        if agg == "avg":
            return exp.Div(
                this=exp.cast(_agg("sum", measure("sum")), "double"),
                expression=_agg("nullif", _agg("sum", measure("count")), exp.Literal.number(0)),
            )
        if agg in ("min", "max"):
            return _agg(agg, measure(agg))
        if agg == "count_distinct" and column in rollup.dimensions:
            # The rollup has a row for each value present in each period: exact.
            return exp.Count(this=exp.Distinct(expressions=[exp.column(column, "r")]))
        raise AssertionError(f"a rollup cannot answer {agg}")  # the matcher checks

    def _time_for_last(self) -> exp.Expr:
        assert self.time_col is not None
        return self.source.col(self.time_col.name)

    # -- the query ---------------------------------------------------------------------

    def compile(self) -> Compiled:
        q = self.q
        ids = [m.id for m in q.metrics]
        if len(set(ids)) != len(ids):
            raise _error("hai chỉ số trùng tên", "two metrics have the same id")
        dim_selects, columns = self.dimensions()
        where: list[exp.Expr] = [self.condition(f) for f in q.filters]
        start, end = resolve_range(q.time, self.now)
        if (start or end) and self.time_col is None:
            raise _error(
                f"bộ dữ liệu '{self.slug}' không có cột thời gian để lọc",
                f"dataset '{self.slug}' has no time column to filter on",
            )
        in_range: list[exp.Expr] = []
        if self.time_col is not None:
            time_expr = self.source.time(self.time_col.name)
            as_date = self.time_col.type == ColumnType.DATE
            for bound, builder in ((start, exp.GTE), (end, exp.LT)):
                if bound is not None:
                    value = bound.date() if as_date and bound.time() == dt.time() else bound
                    in_range.append(builder(this=time_expr, expression=_param(self.params, value)))
        if self.row_units is not None:
            if self.unit_col is None or not self.row_units:
                where.append(exp.false())  # deny by default
            else:
                where.append(
                    exp.In(
                        this=self.source.col(self.unit_col.name),
                        expressions=[_param(self.params, c) for c in sorted(self.row_units)],
                    )
                )

        base: dict[str, exp.Expr] = {}
        labels: dict[str, str] = {}
        needs_latest = False
        for metric in q.metrics:
            if metric.derived:
                continue
            indicator = self.indicators.get(metric.indicator or "")
            if metric.agg == "last" or (indicator and indicator.aggregation == "last"):
                needs_latest = True
                if self.time_col is None:
                    raise _error(
                        "'last' cần cột thời gian", "'last' needs the dataset's time column"
                    )
            base[metric.id], labels[metric.id] = self.base_metric(metric)

        inner = exp.select(*dim_selects, *(exp.alias_(e, m) for m, e in base.items()))
        if needs_latest:
            # The latest time within each period of the range (params bound in order).
            inner = inner.from_(self._latest_source(in_range))
        else:
            inner = inner.from_(self.source.table)
            where = in_range + where
        if self.needs_units:
            inner = inner.join(
                exp.table_("units", db="meta", alias="u"), on=self._unit_join(), join_type="left"
            )
        if where:
            inner = inner.where(exp.and_(*where))
        positions = [
            i + 1 for i, c in enumerate(columns) if c["kind"] != "unit_name" or c.get("grouped")
        ]
        if positions:
            inner = inner.group_by(*(exp.Literal.number(p) for p in positions))

        outer_selects: list[exp.Expr] = [exp.column(c["name"], "q") for c in columns]
        time_dim = next((c["name"] for c in columns if c["kind"] == "time"), None)
        others: list[exp.Expr] = [
            exp.column(c["name"], "q") for c in columns if c["kind"] in ("unit", "category")
        ]
        metric_columns: list[dict[str, str]] = []
        for metric in q.metrics:
            expression = self._outer_metric(metric, base, time_dim, others)
            outer_selects.append(exp.alias_(expression, metric.id))
            label = metric.label or labels.get(metric.id, metric.id)
            metric_columns.append({"name": metric.id, "kind": "metric", "label": label})
        outer = exp.select(*outer_selects).from_(inner.subquery("q"))
        known = {c["name"]: c for c in columns} | {m.id: {} for m in q.metrics}
        dim_by_column = {c["column"]: c["name"] for c in columns if c["kind"] != "unit_name"}
        orders = []
        for order in q.order:
            name = dim_by_column.get(order.by, order.by)
            if name not in known:
                raise _error(
                    f"không sắp xếp được theo '{order.by}':"
                    " không phải chiều hay chỉ số của câu hỏi",
                    f"cannot order by '{order.by}': not a dimension or metric of the question",
                )
            orders.append(exp.Ordered(this=exp.column(name), desc=order.desc, nulls_first=False))
        # Then by the dimensions: ties come out in the same order every time (and a rollup's
        # answer is the raw rows' answer row for row).
        ordered = {o.this.name for o in orders}
        orders += [
            exp.Ordered(this=exp.column(c["name"]))
            for c in columns
            if (c["kind"] != "unit_name" or c.get("grouped")) and c["name"] not in ordered
        ]
        if orders:
            outer = outer.order_by(*orders)
        outer = outer.limit(_param(self.params, q.limit))
        sql, params = positional(outer.sql(dialect=self.dialect), self.params)
        return Compiled(
            sql=sql,
            params=params,
            columns=columns + metric_columns,
            time_range=(_text(start), _text(end)),
            rollup=self.rollup.table if self.rollup else "",
        )

    def _unit_join(self) -> exp.Expr:
        """A record's unit: its code's version for the record's date (codes are reused)."""
        assert self.unit_col is not None
        on: list[exp.Expr] = [exp.column("code", "u").eq(self.source.col(self.unit_col.name))]
        until = exp.column("until", "u")
        if self.time_col is None:
            on.append(exp.Is(this=until, expression=exp.Null()))
        else:
            when = self.source.time(self.time_col.name)
            since = exp.column("since", "u")
            on.append(
                exp.or_(
                    exp.Is(this=since, expression=exp.Null()), exp.GTE(this=when, expression=since)
                )
            )
            on.append(
                exp.or_(
                    exp.Is(this=until.copy(), expression=exp.Null()),
                    exp.LT(this=when.copy(), expression=until),
                )
            )
        return exp.and_(*on)

    def _latest_source(self, in_range: list[exp.Expr]) -> exp.Expr:
        """The dataset's rows in the time range with ``_latest``: the latest time within
        each period of the question's time grain (within the whole range without one)."""
        assert self.time_col is not None
        time_dim = next((d for d in self.q.dimensions if d.column == self.time_col.name), None)
        time = exp.column(self.time_col.name)
        partition = (
            [exp.func("date_trunc", exp.Literal.string(time_dim.grain or "day"), time)]
            if time_dim
            else []
        )
        latest = exp.Window(this=_agg("max", time), partition_by=partition)
        rows = exp.select(exp.Star(), exp.alias_(latest, "_latest")).from_(
            exp.table_(self.slug, db="data", alias="r")
        )
        if in_range:
            rows = rows.where(exp.and_(*in_range))
        return rows.subquery("r")

    def _outer_metric(
        self,
        metric: Metric,
        base: dict[str, exp.Expr],
        time_dim: str | None,
        others: list[exp.Expr],
    ) -> exp.Expr:
        def ref(name: str) -> exp.Expr:
            if name not in base:
                raise _error(
                    f"chỉ số '{metric.id}' dựa trên '{name}', không phải chỉ số gốc của câu hỏi",
                    f"metric '{metric.id}' refers to '{name}', not a base metric of the question",
                )
            return exp.cast(exp.column(name, "q"), "double")

        if metric.ratio:
            top, bottom = metric.ratio
            return exp.Div(
                this=ref(top),
                expression=_agg("nullif", ref(bottom), exp.Literal.number(0)),
            )
        if metric.growth:
            if time_dim is None:
                raise _error(
                    f"'{metric.id}': tăng trưởng cần một chiều thời gian",
                    f"'{metric.id}': growth needs a time dimension",
                )
            previous = exp.Window(
                this=_agg("lag", ref(metric.growth)),
                partition_by=others,
                order=exp.Order(expressions=[exp.Ordered(this=exp.column(time_dim, "q"))]),
            )
            return exp.Mul(
                this=exp.Div(
                    this=exp.Paren(this=exp.Sub(this=ref(metric.growth), expression=previous)),
                    expression=_agg("nullif", _agg("abs", previous.copy()), exp.Literal.number(0)),
                ),
                expression=exp.Literal.number(100),
            )
        if metric.share:
            total = exp.Window(
                this=_agg("sum", ref(metric.share)),
                # Within each period when there is more to split it by; else of the whole.
                partition_by=[exp.column(time_dim, "q")] if time_dim and others else [],
            )
            return exp.Mul(
                this=exp.Div(
                    this=ref(metric.share),
                    expression=_agg("nullif", total, exp.Literal.number(0)),
                ),
                expression=exp.Literal.number(100),
            )
        return exp.column(metric.id, "q")


# Quoted text is skipped; what is left is a named placeholder in DuckDB's or PostgreSQL's form.
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\$p(\d+)\b|%\(p(\d+)\)s")


def positional(sql: str, values: list[Any]) -> tuple[str, list[Any]]:
    """Named placeholders (``$p3``, ``%(p3)s``) → ``?`` and the values in the order the SQL
    reads them (the tree is built in another order: filters before the SELECT list)."""
    ordered: list[Any] = []

    def swap(match: re.Match[str]) -> str:
        number = match.group(1) or match.group(2)
        if number is None:
            return match.group(0)
        ordered.append(values[int(number)])
        return "?"

    return _PLACEHOLDER.sub(swap, sql), ordered


def _text(value: dt.datetime | None) -> str:
    return value.replace(microsecond=0).isoformat() if value else ""


def compile_question(
    question: Question,
    schema: Schema,
    slug: str,
    *,
    dialect: str,
    row_units: frozenset[str] | None,
    indicators: dict[str, IndicatorDef] | None = None,
    now: dt.datetime,
    rollup: RollupSource | None = None,
) -> Compiled:
    """The SQL and parameters answering ``question`` over dataset ``slug`` (or a rollup)."""
    return Compiler(
        question,
        schema,
        slug,
        dialect=dialect,
        row_units=row_units,
        indicators=indicators or {},
        now=now,
        rollup=rollup,
    ).compile()
