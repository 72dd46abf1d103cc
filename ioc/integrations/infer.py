"""Propose a dataset schema (and the mapping to it) from a sample of a source.

Used by ``ioc ingest FILE --create`` and by the upload page. Headers become column names
("Số lượng" → ``so_luong``, the header kept as the label); each column gets the narrowest type
every sampled value reads as, with Vietnamese numbers ("1.234,5") and dates ("05/01/2026")
understood; roles are guessed from the type and the header (a unit column from "Phường/xã",
"Đơn vị"; the first date column is the time column; numbers are measures).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import duckdb
import pyarrow as pa

from ioc.core.text import fold
from ioc.integrations.mapping import DATE_FORMATS, FieldMap, Mapping, number_expr
from ioc.warehouse.schema import Column, ColumnType, Role, Schema, quote

UNIT_WORDS = (
    "phuong",
    "xa",
    "don vi hanh chinh",
    "dia ban",
    "ma xa",
    "commune",
    "ward",
    "huyen",
    "district",
    "quan",
    "thi tran",
    "unit_code",
    "ma dvhc",
    "dvhc",
)
LAT_WORDS = ("lat", "latitude", "vi do")
LON_WORDS = ("lon", "lng", "longitude", "kinh do")
SAMPLE_ROWS = 20_000


def column_name(header: str, taken: set[str], position: int) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", fold(header)).strip("_")[:55] or f"column_{position}"
    if base[0].isdigit():
        base = f"c_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _has_word(header: str, words: tuple[str, ...]) -> bool:
    folded = f" {re.sub(r'[^a-z0-9]+', ' ', fold(header))} "
    return any(f" {w} " in folded for w in words)


UnitLookup = Callable[[list[str]], dict[str, str | None]]
UNIT_PROBE = 20  # distinct values tried against the unit names


def looks_like_units(values: list[str], lookup: UnitLookup) -> bool:
    """Most of these values name administrative units ("Phường Phú Cường", "25747")."""
    if not values:
        return False
    found = lookup(values)
    return sum(1 for v in values if found.get(v)) >= 0.8 * len(values)


def infer(sample: pa.Table, unit_lookup: UnitLookup | None = None) -> tuple[Schema, Mapping]:
    sample = sample.slice(0, SAMPLE_ROWS)
    con = duckdb.connect()
    con.register("s", sample)
    taken: set[str] = set()
    columns: list[Column] = []
    fields: list[FieldMap] = []
    have_time = have_unit = False
    for position, source in enumerate(sample.column_names, start=1):
        name = column_name(source, taken, position)
        q = quote(source)
        arrow_type = sample.schema.field(source).type
        x = f"NULLIF(trim(CAST({q} AS VARCHAR)), '')"
        en_pattern = r"[0-9]\.[0-9]{1,2}$|[0-9]\.[0-9]{4,}$|,[0-9]{3}\."
        # Each value's text and number computed once, in inner layers (not once per use).
        stats = con.execute(
            "SELECT count(x), count(DISTINCT x),"
            " count(num),"
            " count(CASE WHEN num = round(num) THEN 1 END),"
            " count(CASE WHEN regexp_full_match(x, '0[0-9]+') THEN 1 END),"
            " count(CASE WHEN regexp_matches(x, '^[0-9]+,[0-9]+$|\\.[0-9]{3},') THEN 1 END),"
            " count(CASE WHEN regexp_matches(x, $en) THEN 1 END),"
            # Every format has a separator: text without one is not tried (a failed
            # strptime is costly).
            " count(coalesce(TRY_CAST(x AS DATE), CASE WHEN contains(x, '/')"
            " OR contains(x, '.') OR contains(x, '-')"
            " THEN try_strptime(x, $formats::VARCHAR[]) END)),"
            " count(CASE WHEN regexp_matches(x, '[0-9]{1,2}:[0-9]{2}') THEN 1 END),"
            " count(TRY_CAST(x AS TIMESTAMP))"
            f" FROM (SELECT x, {number_expr('x', 'auto')} AS num FROM (SELECT {x} AS x FROM s))",
            {"formats": DATE_FORMATS, "en": en_pattern},
        ).fetchone()
        assert stats is not None
        (
            filled,
            distinct,
            numeric,
            integral,
            leading_zero,
            vi_marks,
            en_marks,
            dates,
            times,
            stamps,
        ) = stats
        fm = FieldMap(column=name, source=source)
        kind = ColumnType.TEXT
        # A few bad values do not decide the type: they will be rejected with a reason.
        tolerance = max(1, filled // 20)

        def nearly_all(n: int, filled: int = filled, tolerance: int = tolerance) -> bool:
            return n >= 2 and filled - n <= tolerance

        if nearly_all(dates) and numeric < dates and not pa.types.is_integer(arrow_type):
            kind = ColumnType.TIMESTAMP if times else ColumnType.DATE
            if times and not nearly_all(stamps):
                kind = ColumnType.TEXT  # a date and time in a form we do not read safely
        elif _has_word(source, UNIT_WORDS) and not have_unit and integral == filled and filled:
            # Unit codes ("25747") are written as numbers but are names of places.
            kind = ColumnType.TEXT
        elif nearly_all(numeric) and not leading_zero:
            kind = ColumnType.INTEGER if integral == numeric else ColumnType.DECIMAL
            if vi_marks and not en_marks:
                fm = fm.model_copy(update={"number_format": "vi"})
            elif en_marks and not vi_marks:
                fm = fm.model_copy(update={"number_format": "en"})
        role = Role.ATTRIBUTE
        if kind in (ColumnType.DATE, ColumnType.TIMESTAMP) and not have_time:
            role, have_time = Role.TIME, True
        elif (kind == ColumnType.TEXT and not have_unit and _has_word(source, UNIT_WORDS)) or (
            kind == ColumnType.TEXT
            and not have_unit
            and unit_lookup is not None
            and looks_like_units(_distinct(con, x, UNIT_PROBE), unit_lookup)
        ):
            role, have_unit = Role.UNIT, True
        elif kind == ColumnType.DECIMAL and _has_word(source, LAT_WORDS):
            role = Role.LAT
        elif kind == ColumnType.DECIMAL and _has_word(source, LON_WORDS):
            role = Role.LON
        elif kind in (ColumnType.INTEGER, ColumnType.DECIMAL):
            role = Role.MEASURE
        elif kind == ColumnType.TEXT and filled and distinct <= max(50, filled // 5):
            role = Role.DIMENSION
        columns.append(Column(name=name, type=kind, role=role, label=source.strip()[:200]))
        fields.append(fm)
    con.close()
    if not columns:
        raise ValueError("Tệp không có cột nào / the file has no columns")
    return Schema(columns=columns), Mapping(fields=fields)


def _distinct(con: duckdb.DuckDBPyConnection, x: str, limit: int) -> list[str]:
    rows = con.execute(f"SELECT DISTINCT {x} AS v FROM s WHERE v IS NOT NULL LIMIT {int(limit)}")
    return [str(r[0]) for r in rows.fetchall()]
