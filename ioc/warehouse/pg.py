"""The warehouse on a PostgreSQL server (``IOC_WAREHOUSE_URL``), behind the same interface
as the DuckDB file (ADR 0008).

:class:`Connection` gives a psycopg connection the few DuckDB habits the warehouse's code
relies on, so the writer, the quarantine and the exports keep one body of SQL:

* ``?`` placeholders (rewritten to psycopg's ``%s``; values are still bound, never pasted);
* ``execute(...).fetchall()`` after an INSERT or DELETE gives ``[(rows affected,)]``;
* ``register(name, arrow_table)`` makes an Arrow table queryable by name (here: a temporary
  table filled by ``COPY``, since PostgreSQL cannot scan Python memory);
* ``begin()``, ``commit()``, ``rollback()`` on an autocommit connection.

One writer at a time, as with DuckDB: the writer holds a session advisory lock while it
writes. Readers are never blocked (MVCC). PostgreSQL 15 or newer (unique indexes with
``NULLS NOT DISTINCT`` make the dedup key an index).
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
import psycopg.conninfo
import psycopg.sql
import pyarrow as pa
import pyarrow.csv as pacsv

from ioc.warehouse.schema import quote

# The advisory lock that makes one writer at a time ("ioc warehouse writer").
WRITER_LOCK = 0x10C_3A7E

QUARANTINE_INDEX = (
    "CREATE INDEX IF NOT EXISTS quarantine_dataset ON meta.quarantine (dataset, connection_id, id)"
)

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")


def to_psycopg(sql: str) -> str:
    """``?`` → ``%s`` and ``%`` → ``%%``, leaving quoted literals' question marks alone."""

    def swap(match: re.Match[str]) -> str:
        text = match.group(0)
        return "%s" if text == "?" else text.replace("%", "%%")

    return _TOKENS.sub(swap, sql)


class Result:
    """A cursor's rows, or ``[(rows affected,)]`` for a statement that returns none."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self.cursor = cursor

    def fetchall(self) -> list[tuple[Any, ...]]:
        if self.cursor.description is None:
            return [(self.cursor.rowcount,)]
        return self.cursor.fetchall()

    def fetchone(self) -> tuple[Any, ...] | None:
        if self.cursor.description is None:
            return (self.cursor.rowcount,)
        return self.cursor.fetchone()

    def fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        return self.cursor.fetchmany(size)

    @property
    def description(self) -> Any:
        return self.cursor.description


def _pg_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "DOUBLE PRECISION"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ" if arrow_type.tz else "TIMESTAMP"
    return "VARCHAR"


class Connection:
    """A psycopg connection that speaks the warehouse's DuckDB-flavoured SQL (see above)."""

    def __init__(self, url: str, read_only: bool = False) -> None:
        options = "-c default_transaction_read_only=on" if read_only else ""
        self.raw = psycopg.connect(url, autocommit=True, options=options)
        self.registered: set[str] = set()

    # The DuckDB connection's protocol ------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Result:
        cursor = self.raw.cursor()
        if params:
            cursor.execute(to_psycopg(sql).encode(), list(params))
        else:
            cursor.execute(sql.encode())
        return Result(cursor)

    def begin(self) -> None:
        self.raw.execute(b"BEGIN")

    def commit(self) -> None:
        self.raw.execute(b"COMMIT")

    def rollback(self) -> None:
        if self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            self.raw.execute(b"ROLLBACK")

    def register(self, name: str, table: pa.Table) -> None:
        """The Arrow table as a temporary table ``name``, copied in as CSV (Arrow's writer
        and PostgreSQL's reader are both native code; no Python loop per row)."""
        self.unregister(name)
        columns = ", ".join(f"{quote(f.name)} {_pg_type(f.type)}" for f in table.schema)
        self.raw.execute(f"CREATE TEMP TABLE {quote(name)} ({columns})".encode())
        self.registered.add(name)
        if not table.num_rows:
            return
        names = ", ".join(quote(f.name) for f in table.schema)
        # Nulls are written as nothing and empty strings as "": PostgreSQL's CSV reader
        # tells them apart the same way.
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        with self.raw.cursor().copy(
            f"COPY {quote(name)} ({names}) FROM STDIN (FORMAT csv)".encode()
        ) as copy:
            for batch in table.to_batches(max_chunksize=100_000):
                buffer = io.BytesIO()
                pacsv.write_csv(pa.Table.from_batches([batch]), buffer, options)
                copy.write(buffer.getbuffer())

    def unregister(self, name: str) -> None:
        if name in self.registered:
            self.raw.execute(f"DROP TABLE IF EXISTS {quote(name)}".encode())
            self.registered.discard(name)

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Reading into Arrow (exports) ----------------------------------------------------------

    def arrow_batches(
        self, sql: str, params: Sequence[Any], schema: pa.Schema, size: int = 50_000
    ) -> pa.RecordBatchReader:
        """The query's rows as Arrow batches of ``schema``, streamed by a server cursor."""

        def batches() -> Iterator[pa.RecordBatch]:
            with self.raw.cursor(name="ioc_export") as cursor:
                if params:
                    cursor.execute(to_psycopg(sql).encode(), list(params))
                else:
                    cursor.execute(sql.encode())  # no parameters: "%" is plain text
                while rows := cursor.fetchmany(size):
                    columns = list(zip(*rows, strict=True))
                    yield pa.RecordBatch.from_arrays(
                        [pa.array(c, f.type) for c, f in zip(columns, schema, strict=True)],
                        schema=schema,
                    )

        self.raw.execute(b"BEGIN")  # a named cursor lives in a transaction
        return pa.RecordBatchReader.from_batches(schema, batches())


def connect(url: str, read_only: bool = False) -> Connection:
    return Connection(url, read_only)


def lock_writer(con: Connection, deadline: float) -> bool:
    """Take the writer's advisory lock, waiting until ``deadline``; False if not free."""
    delay = 0.005
    while True:
        row = con.execute("SELECT pg_try_advisory_lock(?)", [WRITER_LOCK]).fetchone()
        if row and row[0]:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def create_database(url: str) -> None:
    """Create the URL's database if the server has none by that name (first ``ioc migrate``).

    Whether it exists is asked of the server's catalogue (through its ``postgres`` database),
    not read from a connection error's text, which the server may write in any language."""
    try:
        psycopg.connect(url).close()
        return
    except psycopg.OperationalError as failed:
        refused = failed
    name = str(psycopg.conninfo.conninfo_to_dict(url).get("dbname") or "")
    try:
        admin = psycopg.connect(url, dbname="postgres", autocommit=True)
    except psycopg.OperationalError:
        raise refused from None  # the server itself is unreachable, or refuses us
    with admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            raise refused  # it exists: the first error (rights, password) is the one to show
        admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
