"""The warehouse's one writer (ADR 0001): every write goes through :func:`write_connection`.

Writers queue on a lock (a thread lock inside the process, an ``flock`` on
``<warehouse>.lock`` across processes), open the file, write one batch in one transaction
and close it, so readers find the file free between batches (a load from one local file
holds it across its batches for up to a second at a time: ``pipeline.HOLD_SECONDS``).

A batch (:func:`write_batch`) is atomic: the accepted rows (upserted by the dataset's dedup
key), the rejected rows (into ``meta.quarantine`` with their reason and raw values) and the
quarantine rows a replay fixed are committed together or not at all. A ``kill -9`` in the
middle of a load therefore leaves whole batches; re-running the load replaces the same
keys, so nothing is lost and nothing is doubled.

Datasets without a dedup key are keyed by where each row came from: ``(_source, _row)``,
the source's identity (a file's checksum, a connection's batch) and the row's number in it.

With ``IOC_WAREHOUSE_URL`` the same functions write to PostgreSQL (:mod:`ioc.warehouse.pg`):
the lock is an advisory lock, and the dedup key is a unique index.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ioc.warehouse import pg
from ioc.warehouse.db import BUSY_ERRORS, Connection, bootstrap, warehouse_path, warehouse_url
from ioc.warehouse.schema import ARROW_TYPES, Change, Role, Schema, quote


class WarehouseBusy(RuntimeError):
    """The writer's lock was not free within the timeout."""


_thread_lock = threading.RLock()
_bootstrapped: set[str] = set()  # warehouse files whose own tables this process checked
_local = threading.local()

WRITER_MEMORY_LIMIT = "512MB"
UNITS_LIMIT = 10_001  # a batch's units are named up to this many (more: "all units")


@contextmanager
def write_connection(timeout: float = 60.0) -> Iterator[Connection]:
    """The write connection, held for the duration of the ``with`` block. Re-entrant."""
    existing: Connection | None = getattr(_local, "connection", None)
    if existing is not None:
        yield existing
        return
    deadline = time.monotonic() + timeout
    if not _thread_lock.acquire(timeout=timeout):
        raise WarehouseBusy("warehouse writer busy")
    try:
        if url := warehouse_url():
            with _pg_writer(url, deadline) as server:
                yield server
            return
        path = warehouse_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(Path(f"{path}.lock"), "a") as lock_file:
            _flock(lock_file.fileno(), deadline)
            con = _open(path, deadline)
            _local.connection = con
            try:
                yield con
            finally:
                _local.connection = None
                con.close()
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)
    finally:
        _thread_lock.release()


@contextmanager
def transaction(timeout: float = 60.0) -> Iterator[Connection]:
    """The write connection inside one transaction: committed at the end of the ``with``
    block, rolled back if it raises."""
    with write_connection(timeout) as con:
        con.begin()
        try:
            yield con
            con.commit()
        except BaseException:
            con.rollback()
            raise


def _flock(fd: int, deadline: float) -> None:
    delay = 0.005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise WarehouseBusy("warehouse writer busy (another process)") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _open(path: Path, deadline: float) -> duckdb.DuckDBPyConnection:
    """Open read-write; a reader still holding the file (it closes soon) means wait."""
    delay = 0.005
    while True:
        try:
            con = duckdb.connect(
                str(path), config={"memory_limit": WRITER_MEMORY_LIMIT, "threads": 2}
            )
        except BUSY_ERRORS:
            if time.monotonic() > deadline:
                raise WarehouseBusy("warehouse file held by readers") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
            continue
        if str(path) not in _bootstrapped:
            bootstrap(con)
            _bootstrapped.add(str(path))
        return con


@contextmanager
def _pg_writer(url: str, deadline: float) -> Iterator[pg.Connection]:
    con = pg.connect(url)
    try:
        if not pg.lock_writer(con, deadline):
            raise WarehouseBusy("warehouse writer busy (another process)")
        if url not in _bootstrapped:
            bootstrap(con)
            _bootstrapped.add(url)
        _local.connection = con
        try:
            yield con
        finally:
            _local.connection = None
    finally:
        con.close()  # ends the session: the advisory lock goes with it


def forget_bootstrap() -> None:
    """Check the warehouse's own tables again on the next write (after they were dropped)."""
    _bootstrapped.clear()


# Table definition ----------------------------------------------------------------------


def create_table(slug: str, schema: Schema) -> None:
    columns = [f"{quote(c.name)} {c.sql_type}" for c in schema.columns]
    columns += ["_run BIGINT", "_source VARCHAR", "_row BIGINT", "_loaded_at TIMESTAMP"]
    table = f"data.{quote(slug)}"
    with write_connection() as con:
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(columns)})")
        if isinstance(con, pg.Connection):
            # DuckDB finds rows by zone maps; PostgreSQL needs indexes. The key's is unique
            # (nulls equal, as the upsert treats them) and makes the upsert an ON CONFLICT.
            name = quote(f"{slug[:50]}_key")
            if schema.key:
                keys = ", ".join(quote(k) for k in schema.key)
                con.execute(
                    f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {table} ({keys})"
                    " NULLS NOT DISTINCT"
                )
            else:
                con.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} (_source, _row)")


def apply_changes(slug: str, changes: list[Change]) -> None:
    """Add columns and widen types, in one transaction."""
    table = f"data.{quote(slug)}"
    with write_connection() as con:
        con.begin()
        for change in changes:
            column = change.column
            if change.op == "add":
                con.execute(
                    f"ALTER TABLE {table} ADD COLUMN {quote(column.name)} {column.sql_type}"
                )
            elif change.op == "widen":
                name, sql_type = quote(column.name), column.sql_type
                con.execute(
                    f"ALTER TABLE {table} ALTER COLUMN {name} TYPE {sql_type}"
                    f" USING {name}::{sql_type}"
                )
        con.commit()


def drop_table(slug: str) -> None:
    with write_connection() as con:
        con.execute(f"DROP TABLE IF EXISTS data.{quote(slug)}")
        con.execute("DELETE FROM meta.quarantine WHERE dataset = ?", [slug])


# Loading ----------------------------------------------------------------------------------


@dataclass
class MappedRows:
    """Rows mapped by the write connection as they are inserted (DuckDB warehouse, datasets
    without a dedup key), instead of handed over mapped, as Arrow, from another DuckDB: one
    copy of every row less. ``sql`` selects the schema's columns, ``_row`` and ``_bad``
    (true for a rejected row) from ``tables`` (Arrow, registered under their names), with
    its named ``params``; ``reject`` turns the ``_row`` values of the rejected rows into
    their quarantine rows (``_row``, ``_reason``, ``_raw``)."""

    sql: str
    params: dict[str, object]
    tables: dict[str, pa.Table]
    reject: Callable[[pa.ChunkedArray], pa.Table]
    count: int  # rows to map
    first: int  # their lowest and highest _row
    last: int


@dataclass
class BatchResult:
    accepted: int = 0
    rejected: int = 0
    replaced: int = 0  # existing rows overwritten by the same key
    time_min: dt.date | dt.datetime | None = None
    time_max: dt.date | dt.datetime | None = None
    units: set[str] = field(default_factory=set)
    total_rows: int = 0  # the table's rows after the batch


def write_batch(
    slug: str,
    schema: Schema,
    accepted: pa.Table | MappedRows,
    rejected: pa.Table | None = None,
    *,
    run_id: int | None = None,
    connection_id: int | None = None,
    source: str = "",
    replayed: list[int] | None = None,
    reset_source: bool = False,
    fresh_source: bool = False,
) -> BatchResult:
    """Upsert ``accepted`` (the schema's columns plus ``_row``) and keep ``rejected``
    (``_row``, ``_reason``, ``_raw``) in quarantine, atomically; drop the quarantine rows
    ``replayed`` (their ids) in the same transaction.

    ``reset_source`` (the first batch of a source read again from its start) first drops
    the quarantine rows of the same source, so a re-run keeps one copy of each rejected
    row, as it keeps one copy of each accepted one. ``fresh_source`` (the caller checked
    with :func:`source_exists`) skips looking for rows to replace in a keyless dataset.

    ``accepted`` may also be rows to map (:class:`MappedRows`): those the mapping rejects
    join ``rejected``."""
    table = f"data.{quote(slug)}"
    if isinstance(accepted, pa.Table):
        accepted = _typed_nulls(accepted, schema)
    result = BatchResult(accepted=accepted.num_rows if isinstance(accepted, pa.Table) else 0)
    with write_connection() as con:
        con.begin()
        try:
            if reset_source and source:
                con.execute(
                    "DELETE FROM meta.quarantine WHERE dataset = ? AND source = ?", [slug, source]
                )
            if isinstance(accepted, MappedRows):
                more = _insert_mapped(
                    con, table, schema, accepted, result, fresh_source, run_id, source
                )
                if more is not None:
                    rejected = more if rejected is None else pa.concat_tables([more, rejected])
            elif accepted.num_rows:
                _upsert(con, table, schema, accepted, result, fresh_source, run_id, source)
            if rejected is not None and rejected.num_rows:
                result.rejected = rejected.num_rows
                con.register("rejects", rejected)
                con.execute(
                    "INSERT INTO meta.quarantine"
                    " (dataset, connection_id, run_id, source, row_no, reason, raw, quarantined_at)"
                    " SELECT ?::VARCHAR, ?::BIGINT, ?::BIGINT, ?::VARCHAR, _row, _reason, _raw,"
                    " now()::TIMESTAMP FROM rejects",
                    [slug, connection_id, run_id, source],
                ).fetchall()
                con.unregister("rejects")
            if replayed:
                con.execute(
                    "DELETE FROM meta.quarantine WHERE dataset = ? AND id IN"
                    " (SELECT unnest(?::BIGINT[]))",
                    [slug, replayed],
                )
            row = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0]
            result.total_rows = int(row[0]) if row else 0
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return result


def _typed_nulls(accepted: pa.Table, schema: Schema) -> pa.Table:
    """A column with no value in the whole batch comes as Arrow's null type, which PostgreSQL
    takes for text: it is given its column's type."""
    types = {c.name: ARROW_TYPES[c.type] for c in schema.columns}
    for i, f in enumerate(accepted.schema):
        if pa.types.is_null(f.type) and f.name in types:
            column = pa.nulls(accepted.num_rows, types[f.name])
            accepted = accepted.set_column(i, pa.field(f.name, types[f.name]), column)
    return accepted


def _upsert(
    con: Connection,
    table: str,
    schema: Schema,
    accepted: pa.Table,
    result: BatchResult,
    fresh_source: bool,
    run_id: int | None,
    source: str,
) -> None:
    select = ", ".join(quote(n) for n in schema.names)
    insert = (
        f"INSERT INTO {table} ({select}, _run, _source, _row, _loaded_at)"
        f" SELECT {select}, ?::BIGINT, ?::VARCHAR, _row, now()::TIMESTAMP FROM batch"
    )
    if not schema.key:
        # Keyed by (_source, _row): unique within a batch by construction.
        con.register("batch", accepted)
        if not fresh_source:
            low, high = pc.min_max(accepted.column("_row")).values()
            deleted = con.execute(
                f"DELETE FROM {table} WHERE _source = ? AND _row BETWEEN ? AND ?",
                [source, low.as_py(), high.as_py()],
            ).fetchall()[0]
            result.replaced = int(deleted[0]) if deleted else 0
        con.execute(insert, [run_id, source]).fetchall()
        _summarise(con, schema, result)
        con.unregister("batch")
        return
    # The newest row of each key within the batch, then replace the table's.
    con.register("incoming", accepted)
    partition = ", ".join(quote(k) for k in schema.key)
    _temp_table(
        con,
        "batch",
        f"SELECT {select}, _row FROM (SELECT *, row_number() OVER (PARTITION BY {partition}"
        " ORDER BY _row DESC) AS _rank FROM incoming) AS ranked WHERE _rank = 1",
    )
    con.unregister("incoming")
    if isinstance(con, pg.Connection):
        # The key's unique index turns the upsert into one statement; xmax is not 0 on a
        # row version that replaced another.
        updates = ", ".join(
            f"{quote(n)} = excluded.{quote(n)}"
            for n in [*schema.names, "_run", "_source", "_row", "_loaded_at"]
            if n not in schema.key
        )
        row = con.execute(
            f"WITH written AS ({insert} ON CONFLICT ({partition}) DO UPDATE SET {updates}"
            " RETURNING xmax) SELECT count(*) FILTER (WHERE xmax::text <> '0') FROM written",
            [run_id, source],
        ).fetchone()
        result.replaced = int(row[0]) if row else 0
    else:
        _delete_replaced(con, table, schema, result)
        con.execute(insert, [run_id, source]).fetchall()
    _summarise(con, schema, result)
    con.execute("DROP TABLE batch")


def _insert_mapped(
    con: Connection,
    table: str,
    schema: Schema,
    rows: MappedRows,
    result: BatchResult,
    fresh_source: bool,
    run_id: int | None,
    source: str,
) -> pa.Table | None:
    """Map and insert in one statement (keyless datasets on DuckDB: no batch to deduplicate),
    then find the rows just inserted (this source's, in the batch's range, stamped with this
    run and this transaction's time) to summarise them and, for a source loaded before, to
    delete the older rows in their range: the rows the statement would have replaced had it
    run first. Returns the rejected rows, if any."""
    if not isinstance(con, duckdb.DuckDBPyConnection) or schema.key:
        raise ValueError("rows to map are written only to keyless DuckDB tables")
    mapped = f"({rows.sql}) AS mapped"
    select = ", ".join(quote(n) for n in schema.names)
    stamp = "_run IS NOT DISTINCT FROM $run::BIGINT AND _loaded_at = now()::TIMESTAMP"
    stats = ["min(_row)", "max(_row)"]
    time_col, unit_col = schema.with_role(Role.TIME), schema.with_role(Role.UNIT)
    if time_col is not None:
        stats += [f"min({quote(time_col.name)})", f"max({quote(time_col.name)})"]
    if unit_col is not None:
        u = quote(unit_col.name)
        stats.append(f"list(DISTINCT {u}) FILTER (WHERE {u} IS NOT NULL)")
    for name, arrow in rows.tables.items():
        con.register(name, arrow)
    try:
        inserted = con.execute(
            f"INSERT INTO {table} ({select}, _run, _source, _row, _loaded_at)"
            f" SELECT {select}, $ioc_run::BIGINT, $ioc_source::VARCHAR, _row, now()::TIMESTAMP"
            f" FROM {mapped} WHERE NOT _bad",
            {**rows.params, "ioc_run": run_id, "ioc_source": source},
        ).fetchall()[0]
        result.accepted = int(inserted[0])
        rejected = None
        if result.accepted < rows.count:
            failing = con.sql(f"SELECT _row FROM {mapped} WHERE _bad", params=rows.params)
            rejected = rows.reject(failing.to_arrow_table().column("_row"))
    finally:
        for name in rows.tables:
            con.unregister(name)
    if result.accepted + (rejected.num_rows if rejected else 0) != rows.count:
        raise AssertionError(f"{rows.count} rows: {result.accepted} inserted, not all rejected")
    if not result.accepted:
        return rejected
    found = con.execute(
        f"SELECT {', '.join(stats)} FROM {table}"
        f" WHERE _source = $source AND _row BETWEEN $first AND $last AND {stamp}",
        {"source": source, "first": rows.first, "last": rows.last, "run": run_id},
    ).fetchall()[0]
    low, high, *summary = found
    if not fresh_source:
        deleted = con.execute(
            f"DELETE FROM {table} WHERE _source = $source AND _row BETWEEN $low AND $high"
            f" AND NOT ({stamp})",
            {"source": source, "low": low, "high": high, "run": run_id},
        ).fetchall()[0]
        result.replaced = int(deleted[0]) if deleted else 0
    if time_col is not None:
        result.time_min, result.time_max = summary[0], summary[1]
    if unit_col is not None:
        result.units = {str(u) for u in (summary[-1] or [])[:UNITS_LIMIT]}
    return rejected


def _temp_table(con: Connection, name: str, select: str) -> None:
    if isinstance(con, pg.Connection):
        con.execute(f"DROP TABLE IF EXISTS pg_temp.{quote(name)}")
        con.execute(f"CREATE TEMP TABLE {quote(name)} AS {select}")
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {quote(name)} AS {select}")


def _delete_replaced(con: Connection, table: str, schema: Schema, result: BatchResult) -> None:
    """DuckDB: delete the table's rows whose key the batch holds again."""
    has_rows = con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchall()[0]
    if not (has_rows and has_rows[0]):
        return
    match = " AND ".join(f"t.{quote(k)} IS NOT DISTINCT FROM b.{quote(k)}" for k in schema.key)
    prune = ""
    time_col = schema.with_role(Role.TIME)
    if time_col is not None and time_col.name in schema.key:
        # Rows are mostly loaded in time order: zone maps skip the rest of the table.
        t = quote(time_col.name)
        prune = f" AND t.{t} BETWEEN (SELECT min({t}) FROM batch) AND (SELECT max({t}) FROM batch)"
    deleted = con.execute(
        f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM batch b WHERE {match}){prune}"
    ).fetchall()[0]
    result.replaced = int(deleted[0]) if deleted else 0


def source_exists(slug: str, source: str) -> bool:
    """Whether the dataset holds rows from this source already (one scan per source)."""
    with write_connection() as con:
        row = con.execute(
            f"SELECT EXISTS (SELECT 1 FROM data.{quote(slug)} WHERE _source = ?)", [source]
        ).fetchall()[0]
    return bool(row and row[0])


def _summarise(con: Connection, schema: Schema, result: BatchResult) -> None:
    """The batch's time range and units, for the "dataset changed" event."""
    time_col = schema.with_role(Role.TIME)
    if time_col is not None:
        row = con.execute(
            f"SELECT min({quote(time_col.name)}), max({quote(time_col.name)}) FROM batch"
        ).fetchall()[0]
        if row:
            result.time_min, result.time_max = row[0], row[1]
    unit_col = schema.with_role(Role.UNIT)
    if unit_col is not None:
        rows = con.execute(
            f"SELECT DISTINCT {quote(unit_col.name)} FROM batch"
            f" WHERE {quote(unit_col.name)} IS NOT NULL LIMIT {UNITS_LIMIT}"
        ).fetchall()
        result.units = {str(r[0]) for r in rows}


def checkpoint() -> None:
    """Write the committed batches into the DuckDB file and let go of their memory, as closing
    the file does (for a connection held across batches); nothing on PostgreSQL."""
    with write_connection() as con:
        if isinstance(con, duckdb.DuckDBPyConnection):
            con.execute("CHECKPOINT")


def execute(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Run one statement on the write connection (maintenance, tests)."""
    with write_connection() as con:
        return con.execute(sql, params or []).fetchall()
