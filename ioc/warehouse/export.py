"""Downloading a dataset: CSV (UTF-8 with BOM, so Excel opens Vietnamese text right),
Parquet or XLSX, optionally only the rows of some administrative units (the caller's scope).
"""

from __future__ import annotations

import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow as pa

from ioc.warehouse import pg
from ioc.warehouse.db import read_connection
from ioc.warehouse.models import Dataset
from ioc.warehouse.schema import ARROW_TYPES, Role, quote

FORMATS = {".csv": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}
EXCEL_MAX_ROWS = 1_048_575
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportError(ValueError):
    pass


def select(dataset: Dataset, units: Collection[str] | None) -> tuple[str, list[Any]]:
    """The dataset's rows (declared columns only), limited to ``units`` when given.

    ``units`` None means every row; an empty collection means none (deny by default)."""
    schema = dataset.parsed_schema
    columns = ", ".join(quote(c.name) for c in schema.columns)
    sql = f"SELECT {columns} FROM {dataset.table}"
    params: list[Any] = []
    if units is not None:
        unit_col = schema.with_role(Role.UNIT)
        if unit_col is None or not units:
            sql += " WHERE false"
        else:
            sql += f" WHERE {quote(unit_col.name)} IN (SELECT unnest(?::VARCHAR[]))"
            params.append(sorted(units))
    return sql, params


def write_file(dataset: Dataset, path: Path, units: Collection[str] | None = None) -> int:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ExportError(
            "Chỉ xuất được .csv, .parquet, .xlsx / only .csv, .parquet and .xlsx can be written"
        )
    sql, params = select(dataset, units)
    with read_connection() as source:
        count_row = source.execute(f"SELECT count(*) FROM ({sql}) AS q", params).fetchone()
        count = int(count_row[0]) if count_row else 0
        if fmt == "xlsx":
            if count > EXCEL_MAX_ROWS:
                raise ExportError(
                    f"{count} dòng, quá giới hạn của Excel; hãy tải CSV hoặc Parquet /"
                    f" {count} rows is more than Excel holds; download CSV or Parquet"
                )
            _write_xlsx(dataset, source.execute(sql, params), path)
            return count
        if isinstance(source, pg.Connection):
            # DuckDB writes the files either way (one format, the same bytes): here it
            # reads the PostgreSQL rows as they stream in.
            with duckdb.connect() as transcoder:
                transcoder.register("src", source.arrow_batches(sql, params, arrow_schema(dataset)))
                _copy(transcoder, "SELECT * FROM src", [], fmt, path)
        else:
            _copy(source, sql, params, fmt, path)
    return count


def _copy(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any], fmt: str, path: Path
) -> None:
    if fmt == "parquet":
        con.execute(f"COPY ({sql}) TO '{_literal(path)}' (FORMAT parquet)", params)
        return
    tmp = path.with_suffix(".csv.part")
    con.execute(f"COPY ({sql}) TO '{_literal(tmp)}' (HEADER, DELIMITER ',')", params)
    with path.open("wb") as out, tmp.open("rb") as body:
        out.write("\ufeff".encode())  # the BOM: Excel then reads the Vietnamese text right
        while chunk := body.read(1 << 20):
            out.write(chunk)
    tmp.unlink()


def arrow_schema(dataset: Dataset) -> pa.Schema:
    return pa.schema([(c.name, ARROW_TYPES[c.type]) for c in dataset.parsed_schema.columns])


def _literal(path: Path) -> str:
    """A file path as an SQL string literal (COPY cannot take it as a parameter)."""
    return str(path).replace("'", "''")


def _write_xlsx(dataset: Dataset, cursor: Any, path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(dataset.slug[:31])
    sheet.append([c.label or c.name for c in dataset.parsed_schema.columns])
    while rows := cursor.fetchmany(10_000):
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)


def open_export(
    dataset: Dataset, fmt: str, units: Collection[str] | None = None
) -> tuple[BinaryIO, int]:
    """The dataset written as ``fmt`` into a temporary file, open for reading, and its row
    count; the file is already unlinked (the handle keeps it until closed, e.g. by a
    FileResponse once sent)."""
    tmp = Path(tempfile.mkdtemp(prefix="ioc-export-")) / f"{dataset.slug}.{fmt}"
    try:
        rows = write_file(dataset, tmp, units)
        handle = tmp.open("rb")
    finally:
        tmp.unlink(missing_ok=True)
        tmp.parent.rmdir()
    return handle, rows
