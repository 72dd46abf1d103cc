"""Mapping and validation: source record batches → dataset rows + rejected rows with reasons.

A :class:`Mapping` says, for each dataset column, where its value comes from (a source field,
or a computed combination of several), how to read it (Vietnamese or English number format,
date format, a scale factor for unit conversion, a map of values) and which row rules hold
(ranges, allowed values, comparisons between columns). The administrative-unit column accepts
names with or without diacritics and prefixes, or codes, and stores the official code.

:class:`Mapper` compiles the mapping once into one DuckDB SQL statement and runs it on each
Arrow batch (vectorised: no Python loop per row). Every row comes out exactly once, either
accepted (typed, in the dataset's columns) or rejected with a reason in Vietnamese and
English and its raw values as JSON. Values from the mapping are bound as parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, model_validator

from ioc.core.units.locate import Locator
from ioc.warehouse.schema import Column, ColumnType, Role, Schema, quote
from ioc.warehouse.writer import MappedRows

NumberFormat = Literal["auto", "vi", "en"]
Compute = Literal["sum", "difference", "product", "ratio", "concat", "coalesce"]

# Day before month, as Vietnam writes dates; formats are tried by the separator the value
# uses (a failed strptime is costly, so each value meets only the formats that can fit).
DATE_FORMATS_BY_SEPARATOR = {
    "/": ["%d/%m/%Y", "%Y/%m/%d", "%m/%Y"],
    ".": ["%d.%m.%Y", "%Y.%m.%d"],
    "-": ["%Y-%m-%d", "%d-%m-%Y", "%Y-%m"],
}
TIME_SUFFIXES = [" %H:%M:%S", " %H:%M", "T%H:%M:%S", ""]
DATE_FORMATS = [f for group in DATE_FORMATS_BY_SEPARATOR.values() for f in group]


def date_expr(x: str, p: Callable[[object], str], *, with_time: bool) -> str:
    """SQL reading text ``x`` as a date (or a timestamp) in the usual Vietnamese and ISO forms."""
    cases = []
    for separator, formats in DATE_FORMATS_BY_SEPARATOR.items():
        if with_time:
            formats = [f + t for f in formats for t in TIME_SUFFIXES if "%d" in f or not t]
        cases.append(
            f"WHEN contains({x}, {p(separator)}) THEN try_strptime({x}, {p(formats)}::VARCHAR[])"
        )
    value = f"CASE {' '.join(cases)} END"
    if with_time:  # ISO 8601 with a zone or fractions: DuckDB's own reading
        return f"coalesce({value}, TRY_CAST({x} AS TIMESTAMP))"
    return f"{value}::DATE"


TRUE_WORDS = ["true", "1", "yes", "y", "x", "có", "co", "đúng", "dung", "đạt", "dat"]
FALSE_WORDS = ["false", "0", "no", "n", "không", "khong", "sai", "không đạt", "khong dat"]


class FieldMap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column: str
    source: str | None = None
    compute: Compute | None = None
    sources: list[str] = []
    number_format: NumberFormat = "auto"
    date_format: str | None = None
    scale: float | None = None  # unit conversion: value × scale + offset
    offset: float | None = None
    values: dict[str, str] = {}  # source text → stored text, applied before reading
    default: str | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> FieldMap:
        if self.compute and not self.sources:
            raise ValueError(f"{self.column}: compute needs sources")
        if not self.compute and not self.source and self.default is None:
            raise ValueError(f"{self.column}: needs a source, a compute or a default")
        return self

    def inputs(self) -> list[str]:
        return list(self.sources) if self.compute else [self.source] if self.source else []


class RowRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column: str
    min: float | None = None
    max: float | None = None
    allowed: list[str] | None = None
    op: Literal["<", "<=", ">", ">=", "=", "!="] | None = None
    other: str | None = None  # compare with this column (cross-field rule)

    @model_validator(mode="after")
    def _complete(self) -> RowRule:
        if (self.op is None) != (self.other is None):
            raise ValueError(f"{self.column}: a comparison needs both op and other")
        return self


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fields: list[FieldMap]
    rules: list[RowRule] = []

    @classmethod
    def by_name(cls, schema: Schema, source_fields: Iterable[str]) -> Mapping:
        """Each column from the source field of the same name or label, ignoring case and
        diacritics ("Số lượng" feeds so_luong)."""
        from ioc.core.text import fold

        def key(text: str) -> str:
            return "".join(ch for ch in fold(text) if ch.isalnum())

        by_key = {key(f): f for f in source_fields}
        fields = []
        for col in schema.columns:
            source = by_key.get(key(col.name)) or (
                by_key.get(key(col.label)) if col.label else None
            )
            if source is None and col.label_en:
                source = by_key.get(key(col.label_en))
            # Not found: expect the header the dataset was made from, so a missing field is
            # reported by the name the source's people know.
            fields.append(FieldMap(column=col.name, source=source or col.label or col.name))
        return cls(fields=fields)

    def completed(self, schema: Schema, source_fields: Iterable[str]) -> Mapping:
        """This mapping, plus the columns it does not name fed by the source field of the same
        name or label when the source has one (so a mapping need only name what differs)."""
        named = {f.column for f in self.fields}
        fields = list(source_fields)
        guessed = [
            f
            for f in Mapping.by_name(schema, fields).fields
            if f.column not in named and f.source in fields
        ]
        if not guessed:
            return self
        return Mapping(fields=[*self.fields, *guessed], rules=self.rules)


# Columns the mapper adds to a batch with coordinates: the commune holding the point, and
# "swapped" or "outside" when the point is in no commune (see Mapper._with_points).
POINT_UNIT = "_point_unit"
POINT_FLAG = "_point_flag"


class MappingError(ValueError):
    """The mapping does not fit the dataset (bilingual message)."""


@dataclass
class _Prepared:
    """A batch ready for the first pass: its rows numbered, its statement compiled."""

    table: pa.Table  # the source's columns + _row
    source_types: dict[str, pa.DataType]
    clean: frozenset[str]
    sql: str
    params: dict[str, object]
    missing: list[str]
    units: pa.Table  # units_map: raw unit values → codes


@dataclass
class Mapped:
    accepted: pa.Table  # the dataset's columns + _row
    rejected: pa.Table  # _row, _reason, _raw (JSON)
    missing_sources: list[str]


EMPTY_REJECTS = pa.table(
    {
        "_row": pa.array([], pa.int64()),
        "_reason": pa.array([], pa.string()),
        "_raw": pa.array([], pa.string()),
    }
)

UnitLookup = Callable[[list[str]], dict[str, str | None]]


def _is_text(arrow_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))


class _Params:
    def __init__(self, prefix: str = "p") -> None:
        self.prefix = prefix
        self.values: dict[str, object] = {}

    def __call__(self, value: object) -> str:
        name = f"{self.prefix}{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def number_expr(x: str, fmt: NumberFormat) -> str:
    """SQL reading text ``x`` as a DOUBLE in a Vietnamese or English number format."""
    vi = f"TRY_CAST(replace(replace({x}, '.', ''), ',', '.') AS DOUBLE)"
    en = f"TRY_CAST(replace({x}, ',', '') AS DOUBLE)"
    if fmt == "vi":
        return vi
    if fmt == "en":
        return en
    # auto: one comma is a decimal comma; dots in groups of three are thousands (1.234,5;
    # 1.500) except after a lone 0 (0.125); otherwise English (1,234.5; 12.5).
    return (
        f"CASE WHEN NOT (contains({x}, '.') OR contains({x}, ',')) THEN TRY_CAST({x} AS DOUBLE)"
        f" WHEN regexp_full_match({x}, '[-+]?[1-9][0-9]{{0,2}}(\\.[0-9]{{3}})+(,[0-9]+)?')"
        f" OR regexp_full_match({x}, '[-+]?[0-9]+,[0-9]+') THEN {vi} ELSE {en} END"
    )


class Mapper:
    """A compiled mapping for one dataset; call :meth:`map` on each batch."""

    def __init__(
        self,
        schema: Schema,
        mapping: Mapping,
        *,
        unit_lookup: UnitLookup | None = None,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        self.schema = schema
        self.mapping = mapping
        self.unit_lookup = unit_lookup
        self._unit_cache: dict[str, str | None] = {}
        self._locator: Any = None  # the point → commune lookup, built on first use
        self.con = con or duckdb.connect(config={"memory_limit": "256MB", "threads": 2})
        self._check()

    def _check(self) -> None:
        names = set(self.schema.names)
        problems = [f.column for f in self.mapping.fields if f.column not in names]
        problems += [r.column for r in self.mapping.rules if r.column not in names]
        problems += [r.other for r in self.mapping.rules if r.other and r.other not in names]
        if problems:
            raise MappingError(
                "Ánh xạ nhắc tới cột không có trong bộ dữ liệu / the mapping names columns the"
                f" dataset does not have: {', '.join(sorted(set(problems)))}"
            )

    # -- compiling -------------------------------------------------------------------

    def _typed(
        self,
        col: Column,
        fm: FieldMap,
        source_types: dict[str, pa.DataType],
        p: _Params,
        alias: str,
        clean: frozenset[str],
    ) -> tuple[str, str]:
        """(raw text expression over the source, typed expression over the source or over
        ``alias``, the raw text's name in the next layer). Integers come out as DOUBLE here;
        the last layer checks they are whole."""
        numeric = col.type in (ColumnType.INTEGER, ColumnType.DECIMAL)
        if fm.compute:
            parts = [self._text(s, source_types, clean) for s in fm.sources]
            raw = f"concat_ws(' ', {', '.join(parts)})"
            if fm.compute in ("concat", "coalesce"):
                joined = (
                    f"NULLIF(concat_ws(' ', {', '.join(parts)}), '')"
                    if fm.compute == "concat"
                    else f"coalesce({', '.join(parts)})"
                )
                return raw, self._cast(joined, col, fm, p)
            nums = [number_expr(x, fm.number_format) for x in parts]
            op = {"sum": " + ", "difference": " - ", "product": " * ", "ratio": " / "}[fm.compute]
            value = "(" + op.join(nums) + ")"
            if fm.compute == "ratio":
                value = f"CASE WHEN {nums[1]} = 0 THEN NULL ELSE {value} END"
            return raw, self._finish_number(value, col, fm, p)
        source_type = source_types.get(fm.source or "")
        if (
            source_type is not None
            and not _is_text(source_type)
            and not fm.values
            and fm.default is None
            and col.role != Role.UNIT
            and not pa.types.is_nested(source_type)
        ):
            # A typed source (Parquet, a database): keep its values, cast only what must be;
            # the text of a value is made only for a rejected row's reason.
            column = quote(fm.source or "")
            if numeric:
                if (
                    fm.scale is None
                    and fm.offset is None
                    and (
                        pa.types.is_integer(source_type)
                        if col.type == ColumnType.INTEGER
                        else pa.types.is_floating(source_type)
                    )
                ):
                    return column, column
                target = "DOUBLE"
            elif col.type in (ColumnType.DATE, ColumnType.TIMESTAMP, ColumnType.BOOLEAN):
                target = col.sql_type
            else:
                return column, f"CAST({column} AS VARCHAR)"
            direct = f"TRY_CAST({column} AS {target})"
            return column, self._finish_number(direct, col, fm, p) if numeric else direct
        raw = "NULL::VARCHAR" if fm.source is None else self._text(fm.source, source_types, clean)
        if fm.values:
            cases = " ".join(f"WHEN {p(k)} THEN {p(v)}" for k, v in fm.values.items())
            raw = f"CASE {raw} {cases} ELSE {raw} END"
        if fm.default is not None:
            raw = f"coalesce({raw}, {p(fm.default)})"
        return raw, self._cast(alias, col, fm, p)

    def _text(
        self, source: str, source_types: dict[str, pa.DataType], clean: frozenset[str]
    ) -> str:
        t = source_types.get(source)
        if t is None:
            return "NULL::VARCHAR"
        if _is_text(t):
            if source in clean:  # no value of this batch is empty or padded
                return quote(source)
            return f"NULLIF(trim({quote(source)}), '')"
        if pa.types.is_struct(t) or pa.types.is_list(t) or pa.types.is_map(t):
            return f"to_json({quote(source)})::VARCHAR"
        return f"CAST({quote(source)} AS VARCHAR)"

    def _finish_number(self, value: str, col: Column, fm: FieldMap, p: _Params) -> str:
        if fm.scale is not None:
            value = f"({value} * {p(fm.scale)})"
        if fm.offset is not None:
            value = f"({value} + {p(fm.offset)})"
        return value

    def _cast(self, x: str, col: Column, fm: FieldMap, p: _Params) -> str:
        match col.type:
            case ColumnType.TEXT:
                return x
            case ColumnType.INTEGER | ColumnType.DECIMAL:
                return self._finish_number(number_expr(x, fm.number_format), col, fm, p)
            case ColumnType.BOOLEAN:
                low = f"lower({x})"
                return (
                    f"CASE WHEN {low} IN (SELECT unnest({p(TRUE_WORDS)}::VARCHAR[])) THEN true"
                    f" WHEN {low} IN (SELECT unnest({p(FALSE_WORDS)}::VARCHAR[])) THEN false END"
                )
            case ColumnType.DATE:
                if fm.date_format:
                    return f"try_strptime({x}, {p(fm.date_format)})::DATE"
                return date_expr(x, p, with_time=False)
            case ColumnType.TIMESTAMP:
                if fm.date_format:
                    return f"try_strptime({x}, {p(fm.date_format)})"
                return date_expr(x, p, with_time=True)
        raise AssertionError(col.type)

    def compile(
        self,
        source_types: dict[str, pa.DataType],
        clean: frozenset[str] = frozenset(),
        *,
        reasons: bool = True,
    ) -> tuple[str, dict[str, object], list[str]]:
        """One SELECT over ``raw`` (and ``units_map``) giving the dataset's columns, ``_row``
        and ``_reason`` (NULL when the row is accepted). Layers, so each value is computed
        once: the source's text → typed values → whole-number check → reasons.

        With ``reasons=False`` the last column is ``_bad`` (true when the row would have a
        reason) instead: the same conditions, without making any text. ``clean`` names the
        text sources whose values need no trimming (none empty, none padded)."""
        p = _Params()
        by_column = {f.column: f for f in self.mapping.fields}
        missing = sorted(
            {s for f in self.mapping.fields for s in f.inputs() if s not in source_types}
        )
        raws: list[str] = []
        typed: list[str] = []
        # (condition, reason): the row is rejected when any condition holds.
        q = _Params("q")  # the reasons' texts: bound only when the reasons are made
        checks: list[tuple[str, str]] = []
        unit_col = self.schema.with_role(Role.UNIT)
        for i, col in enumerate(self.schema.columns):
            fm = by_column.get(col.name)
            if fm is None:
                raw, value = "NULL::VARCHAR", f"NULL::{col.sql_type}"
            else:
                raw, value = self._typed(col, fm, source_types, p, f"r{i}", clean)
            if unit_col is not None and col.name == unit_col.name and fm is not None:
                value = f"(SELECT code FROM units_map WHERE units_map.raw = r{i})"
            if unit_col is not None and col.name == unit_col.name and POINT_UNIT in source_types:
                # No unit given (or none found): the commune that holds the row's point.
                raw = f"COALESCE({raw}, {POINT_UNIT})"
                value = f"COALESCE({value}, {POINT_UNIT})"
            raws.append(f"{raw} AS r{i}")
            typed.append(f"{value} AS {quote(col.name)}")
            label = col.name
            if col.type != ColumnType.TEXT or col.role == Role.UNIT:
                what = {
                    ColumnType.INTEGER: "không phải số nguyên / is not a whole number",
                    ColumnType.DECIMAL: "không phải số / is not a number",
                    ColumnType.BOOLEAN: "không phải có/không / is not yes/no",
                    ColumnType.DATE: "không phải ngày / is not a date",
                    ColumnType.TIMESTAMP: "không phải thời điểm / is not a date and time",
                    ColumnType.TEXT: (
                        "không khớp đơn vị hành chính nào / matches no administrative unit"
                    ),
                }[col.type]
                checks.append(
                    (
                        f"r{i} IS NOT NULL AND {quote(col.name)} IS NULL",
                        (f"{q(label + ': «')} || left(r{i}::VARCHAR, 80) || {q('» ' + what)}"),
                    )
                )
            if col.required:
                checks.append(
                    (
                        f"r{i} IS NULL AND {quote(col.name)} IS NULL",
                        q(label + ": thiếu giá trị / missing value"),
                    )
                )
        for rule in self.mapping.rules:
            c = quote(rule.column)
            if rule.min is not None:
                checks.append(
                    (
                        f"{c} < {p(rule.min)}",
                        (
                            f"{q(rule.column + ': ')} || {c}::VARCHAR"
                            f" || {q(f' nhỏ hơn {rule.min:g} / below {rule.min:g}')}"
                        ),
                    )
                )
            if rule.max is not None:
                checks.append(
                    (
                        f"{c} > {p(rule.max)}",
                        (
                            f"{q(rule.column + ': ')} || {c}::VARCHAR"
                            f" || {q(f' lớn hơn {rule.max:g} / above {rule.max:g}')}"
                        ),
                    )
                )
            if rule.allowed is not None:
                checks.append(
                    (
                        f"{c} IS NOT NULL AND {c}::VARCHAR NOT IN"
                        f" (SELECT unnest({p(rule.allowed)}::VARCHAR[]))",
                        (
                            f"{q(rule.column + ': «')} || {c}::VARCHAR ||"
                            f" {q('» không nằm trong danh sách cho phép')}"
                            f" || {q(' / is not an allowed value')}"
                        ),
                    )
                )
            if rule.op and rule.other:
                o = quote(rule.other)
                text = f"{rule.column} {rule.op} {rule.other}"
                checks.append(
                    (
                        f"NOT ({c} {rule.op} {o})",
                        q(f"không thoả {text} / fails {text}"),
                    )
                )
        if POINT_FLAG in source_types:
            typed.append(POINT_FLAG)  # carried to the layer of the checks
            checks.append(
                (
                    f"{POINT_FLAG} = 'swapped'",
                    q("tọa độ có vẻ bị đảo vĩ độ/kinh độ / latitude and longitude look swapped"),
                )
            )
            checks.append(
                (
                    f"{POINT_FLAG} = 'outside'",
                    q("tọa độ nằm ngoài địa bàn / the coordinates lie outside the area"),
                )
            )
        all_null = " AND ".join(f"r{i} IS NULL" for i in range(len(self.schema.columns)))
        checks.insert(0, (all_null, q("dòng không có giá trị nào / the row has no values")))
        for name in missing:
            checks.append(
                (
                    "true",
                    q(f"thiếu trường nguồn «{name}» / source field «{name}» is missing"),
                )
            )
        if reasons:
            texts = [f"CASE WHEN {cond} THEN {reason} END" for cond, reason in checks]
            last = f"NULLIF(concat_ws('; ', {', '.join(texts)}), '') AS _reason"
        else:
            last = f"({' OR '.join(f'({cond}) IS TRUE' for cond, _ in checks)}) AS _bad"
        whole = [
            f"CASE WHEN {quote(c.name)} = round({quote(c.name)}) THEN {quote(c.name)}::BIGINT END"
            f" AS {quote(c.name)}"
            for c in self.schema.columns
            if c.type == ColumnType.INTEGER
        ]
        replace = f" REPLACE ({', '.join(whole)})" if whole else ""
        raw_names = [f"r{i}" for i in range(len(raws))]
        names = ", ".join(quote(c) for c in self.schema.names)
        sql = (
            f"SELECT {names}, _row, {last}"
            f" FROM (SELECT *{replace} FROM (SELECT _row, {', '.join(raw_names + typed)}"
            f" FROM (SELECT _row, {', '.join(raws)}{', ' if source_types else ''}"
            f"{', '.join(quote(n) for n in source_types)} FROM raw)))"
        )
        return sql, {**p.values, **q.values} if reasons else p.values, missing

    # -- running ---------------------------------------------------------------------

    def _units(self, batch: pa.Table) -> pa.Table:
        """The distinct raw unit values of the batch → official codes (looked up once each)."""
        unit_col = self.schema.with_role(Role.UNIT)
        fm = next((f for f in self.mapping.fields if unit_col and f.column == unit_col.name), None)
        raws: list[str] = []
        if fm is not None and fm.source and fm.source in batch.column_names:
            values = batch.column(fm.source).cast(pa.string()).unique().to_pylist()
            raws = [v.strip() for v in values if v is not None and v.strip()]
            raws = [fm.values.get(v, v) for v in raws]
        new = [v for v in raws if v not in self._unit_cache]
        if new:
            if self.unit_lookup is None:
                raise MappingError(
                    "Bộ dữ liệu có cột đơn vị hành chính nhưng không có cách tra mã /"
                    " the dataset has a unit column but no unit lookup was given"
                )
            self._unit_cache.update(self.unit_lookup(new))
        items = [(k, v) for k, v in self._unit_cache.items() if k in set(raws)]
        return pa.table(
            {
                "raw": pa.array([k for k, _ in items], pa.string()),
                "code": pa.array([v for _, v in items], pa.string()),
            }
        )

    def _prepare(self, batch: pa.Table | pa.RecordBatch, first_row: int) -> _Prepared:
        """The batch with its rows numbered from ``first_row`` (kept as ``_row``; a replay
        brings them), and the first pass's statement over it (``reasons=False``)."""
        table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
        if "_row" not in table.column_names:
            rows = pa.array(np.arange(first_row, first_row + table.num_rows, dtype=np.int64))
            table = table.append_column("_row", rows)
        table = self._with_points(table)
        source_types = {f.name: f.type for f in table.schema if f.name != "_row"}
        clean = _untrimmed(table, source_types)
        sql, params, missing = self.compile(source_types, clean, reasons=False)
        return _Prepared(table, source_types, clean, sql, params, missing, self._units(table))

    def _with_points(self, table: pa.Table) -> pa.Table:
        """For a dataset with coordinates and a unit column, in an area that has commune
        polygons: the batch with the commune holding each row's point (``_point_unit``) and
        what is wrong with the point (``_point_flag``: swapped, outside), for the unit column
        and the checks."""
        lat, lon = self.schema.with_role(Role.LAT), self.schema.with_role(Role.LON)
        unit = self.schema.with_role(Role.UNIT)
        by_column = {f.column: f for f in self.mapping.fields}
        if POINT_UNIT in table.column_names:  # a quarantined row replayed: look again
            table = table.drop_columns(
                [c for c in (POINT_UNIT, POINT_FLAG) if c in table.column_names]
            )
        if unit is None or lat is None or lon is None:
            return table
        if lat.name not in by_column or lon.name not in by_column:
            return table
        if self._locator is None:
            self._locator = Locator.for_day()
        locator = self._locator
        if not len(locator):
            return table  # no polygons: nothing to look up, nothing to check
        source_types = {f.name: f.type for f in table.schema if f.name != "_row"}
        if any(s not in source_types for f in (lat, lon) for s in by_column[f.name].inputs()):
            return table  # the missing source field is reported by the mapping itself
        p = _Params()
        clean: frozenset[str] = frozenset()
        raw_lat, typed_lat = self._typed(lat, by_column[lat.name], source_types, p, "a", clean)
        raw_lon, typed_lon = self._typed(lon, by_column[lon.name], source_types, p, "b", clean)
        sql = (
            f"SELECT {typed_lat} AS lat, {typed_lon} AS lon"
            f" FROM (SELECT {raw_lat} AS a, {raw_lon} AS b FROM raw)"
        )
        self.con.register("raw", table)
        try:
            points = self.con.sql(sql, params=p.values).fetchnumpy()
        finally:
            self.con.unregister("raw")
        # NULLs come back masked: they are no point at all (not 0, 0)
        lats: np.ndarray = np.ma.filled(np.ma.asarray(points["lat"], dtype="float64"), np.nan)
        lons: np.ndarray = np.ma.filled(np.ma.asarray(points["lon"], dtype="float64"), np.nan)
        codes = locator.codes(lons, lats)
        given = np.isfinite(lats) & np.isfinite(lons)
        swapped = locator.swapped(lons, lats)
        found = np.array([c is not None for c in codes], dtype=bool)
        flags = [
            None if ok else ("swapped" if flip else "outside")
            for ok, flip in zip((~given | found).tolist(), swapped.tolist(), strict=True)
        ]
        return table.append_column(POINT_UNIT, pa.array(codes, pa.string())).append_column(
            POINT_FLAG, pa.array(flags, pa.string())
        )

    def map(self, batch: pa.Table | pa.RecordBatch, first_row: int) -> Mapped:
        """Map one batch; its rows are numbered from ``first_row`` (kept as ``_row``).

        A first pass types every row and only tells which rows fail (no text is made); the
        reasons and the raw values are then made for the failing rows alone, by the same
        statement with its reasons, so a clean batch never pays for them."""
        prepared = self._prepare(batch, first_row)
        con = self.con
        con.register("raw", prepared.table)
        con.register("units_map", prepared.units)
        try:
            mapped = con.sql(prepared.sql, params=prepared.params).to_arrow_table()
        finally:
            con.unregister("raw")
            con.unregister("units_map")
        bad = mapped.column("_bad")
        accepted = mapped.drop_columns(["_bad"])
        rejected = EMPTY_REJECTS
        if pc.any(bad).as_py():
            accepted = accepted.filter(pc.invert(bad))
            rejected = self._rejects(prepared, mapped.filter(bad).column("_row"))
        return Mapped(accepted=accepted, rejected=rejected, missing_sources=prepared.missing)

    def to_write(
        self, batch: pa.Table | pa.RecordBatch, first_row: int
    ) -> tuple[MappedRows, list[str]]:
        """The batch for the writer to map as it inserts (:class:`MappedRows`: the first pass,
        run on the write connection; the reasons made here for the rows it rejects), and the
        source fields missing. Not for replays (their ``_row`` may repeat)."""
        prepared = self._prepare(batch, first_row)
        numbers = prepared.table.column("_row")
        rows = MappedRows(
            sql=prepared.sql,
            params=prepared.params,
            tables={"raw": prepared.table, "units_map": prepared.units},
            reject=lambda failing: self._rejects(prepared, failing),
            count=prepared.table.num_rows,
            first=int(pc.min(numbers).as_py() or 0),
            last=int(pc.max(numbers).as_py() or 0),
        )
        return rows, prepared.missing

    def _rejects(self, prepared: _Prepared, failing: pa.Array | pa.ChunkedArray) -> pa.Table:
        """``_row``, ``_reason`` and ``_raw`` of the rows of ``prepared`` numbered ``failing``
        (which the first pass rejected)."""
        table = prepared.table
        failing = failing.combine_chunks() if isinstance(failing, pa.ChunkedArray) else failing
        con = self.con
        con.register("units_map", prepared.units)
        try:
            rejected = self._reasons(
                table.filter(pc.is_in(table.column("_row"), failing)),
                prepared.source_types,
                prepared.clean,
            )
        finally:
            con.unregister("raw")
            con.unregister("units_map")
        if rejected.num_rows != len(failing):  # never expected: refuse, lose nothing
            raise AssertionError(f"{len(failing)} rows failed, {rejected.num_rows} reasons")
        return rejected

    def _reasons(
        self, failing: pa.Table, source_types: dict[str, pa.DataType], clean: frozenset[str]
    ) -> pa.Table:
        """``_row``, ``_reason`` and the raw values as JSON of the rows of ``failing`` that have
        a reason. The rows are told apart by their position (a replay's rows may share a
        ``_row``), which becomes their ``_row`` again at the end."""
        con = self.con
        rows = failing.column("_row")
        positions = pa.array(np.arange(failing.num_rows, dtype=np.int64))
        con.register(
            "raw", failing.set_column(failing.schema.get_field_index("_row"), "_row", positions)
        )
        sql, params, _missing = self.compile(source_types, clean)
        mapped = con.sql(sql, params=params).to_arrow_table()
        reasons = mapped.filter(pc.is_valid(mapped.column("_reason"))).select(["_row", "_reason"])
        con.register("reasons", reasons)
        try:
            keys: dict[str, object] = {}
            pairs = []
            for i, name in enumerate(source_types):
                if name in (POINT_UNIT, POINT_FLAG):
                    continue  # ours, not the source's: looked up again on replay
                keys[f"k{i}"] = name
                pairs.append(f"$k{i}, raw.{quote(name)}")
            out = con.sql(
                f"SELECT m._row, m._reason, json_object({', '.join(pairs)})::VARCHAR AS _raw"
                " FROM reasons m JOIN raw USING (_row) ORDER BY m._row",
                params=keys,
            ).to_arrow_table()
        finally:
            con.unregister("reasons")
        original = pc.take(rows, out.column("_row"))
        return out.set_column(0, "_row", original)


def _untrimmed(table: pa.Table, source_types: dict[str, pa.DataType]) -> frozenset[str]:
    """The text columns of ``table`` with no empty value and none that trimming would change
    (Arrow's whitespace includes every character DuckDB's ``trim`` removes), so the mapping
    can use them as they are."""
    clean = set()
    for name, arrow_type in source_types.items():
        if not _is_text(arrow_type):
            continue
        column = table.column(name)
        if column.null_count == len(column):
            continue
        if all(_chunk_clean(chunk) for chunk in column.chunks):
            clean.add(name)
    return frozenset(clean)


# The bytes UTF-8 text can start or end with when it starts or ends with whitespace as Arrow
# trims it: ASCII up to the space; U+0085, U+00A0, U+1680, U+2000–U+205F and U+3000 start
# with C2, E1, E2 or E3 and end with 80–8A, 85, 9F, A0, A8, A9 or AF.
_MAY_BEGIN = np.zeros(256, dtype=bool)
_MAY_BEGIN[[*range(0x21), 0xC2, 0xE1, 0xE2, 0xE3]] = True
_MAY_END = np.zeros(256, dtype=bool)
_MAY_END[[*range(0x21), *range(0x80, 0x8B), 0x9F, 0xA0, 0xA8, 0xA9, 0xAF]] = True


def _chunk_clean(chunk: pa.Array) -> bool:
    """No value of this string array is empty or padded. Only the values whose first or last
    byte may belong to whitespace are trimmed to find out: reading two bytes of each value
    costs half as much as trimming them all."""
    n = len(chunk)
    if chunk.null_count == n:
        return True
    wide = pa.types.is_large_string(chunk.type)
    offsets = np.frombuffer(chunk.buffers()[1], np.int64 if wide else np.int32)
    offsets = offsets[chunk.offset : chunk.offset + n + 1]
    starts, ends = offsets[:-1], offsets[1:]
    valid = None
    if chunk.null_count:
        valid = pc.is_valid(chunk).to_numpy(zero_copy_only=False)
        starts, ends = starts[valid], ends[valid]
    if (starts == ends).any():
        return False  # an empty value
    data = np.frombuffer(chunk.buffers()[2], np.uint8)
    suspect = _MAY_BEGIN[data[starts]] | _MAY_END[data[ends - 1]]
    if not suspect.any():
        return True
    if valid is not None:
        mask = np.zeros(n, dtype=bool)
        mask[valid] = suspect
        suspect = mask
    values = chunk.filter(pa.array(suspect))
    trimmed = pc.utf8_trim_whitespace(values)
    return bool(
        pc.sum(pc.binary_length(values)).as_py() == pc.sum(pc.binary_length(trimmed)).as_py()
    )
