"""Access to the warehouse: the DuckDB file by default (ADR 0001), or a PostgreSQL server
when ``IOC_WAREHOUSE_URL`` is set (ADR 0008). One writer at a time; everyone else reads.

Here: creating the warehouse, read-only connections and the readiness check. Writes go
through :mod:`ioc.warehouse.writer`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TypeAlias

import duckdb
from django.conf import settings

from ioc.warehouse import pg

# A connection to either engine; both take ``execute(sql, [params]).fetchall()`` with ``?``.
Connection: TypeAlias = duckdb.DuckDBPyConnection | pg.Connection

# What DuckDB raises while another connection holds the file in the other mode: another
# process (IOException) or this one (ConnectionException, "different configuration").
BUSY_ERRORS = (duckdb.IOException, duckdb.ConnectionException)


def warehouse_path() -> Path:
    return Path(settings.WAREHOUSE_PATH)


def warehouse_url() -> str:
    """The PostgreSQL warehouse's URL, or "" for the DuckDB file."""
    return str(getattr(settings, "WAREHOUSE_URL", "") or "")


def engine() -> str:
    """``duckdb`` or ``postgres``: which SQL dialect the warehouse speaks."""
    return "postgres" if warehouse_url() else "duckdb"


# The warehouse's own tables, in SQL both engines take; every statement may run again.
BOOTSTRAP_DDL = """
CREATE SCHEMA IF NOT EXISTS meta;
CREATE SCHEMA IF NOT EXISTS data;
CREATE TABLE IF NOT EXISTS meta.info (key VARCHAR PRIMARY KEY, value VARCHAR);
INSERT INTO meta.info VALUES ('created_by', 'ioc') ON CONFLICT DO NOTHING;
CREATE SEQUENCE IF NOT EXISTS meta.quarantine_id;
CREATE TABLE IF NOT EXISTS meta.quarantine (
    id BIGINT PRIMARY KEY DEFAULT nextval('meta.quarantine_id'),
    dataset VARCHAR NOT NULL,
    connection_id BIGINT,
    run_id BIGINT,
    source VARCHAR,
    row_no BIGINT,
    reason VARCHAR NOT NULL,
    raw VARCHAR NOT NULL,
    quarantined_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS meta.units (
    code VARCHAR NOT NULL,
    since DATE,
    until DATE,
    level INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    current_code VARCHAR,
    current_name VARCHAR,
    district_code VARCHAR,
    district_name VARCHAR,
    province_code VARCHAR,
    province_name VARCHAR
);
"""


def bootstrap(con: Connection) -> None:
    """Create the warehouse's own tables if missing (PostgreSQL also indexes the quarantine;
    DuckDB scans it, as it scans everything)."""
    con.execute(BOOTSTRAP_DDL)
    if isinstance(con, pg.Connection):
        con.execute(pg.QUARANTINE_INDEX)


def ensure_warehouse() -> Path | str:
    """Create the warehouse and its own tables if missing (done by `ioc migrate`)."""
    if url := warehouse_url():
        pg.create_database(url)
        with pg.connect(url) as server:
            bootstrap(server)
        return url
    path = warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
    except BUSY_ERRORS:
        # Another process holds it (the writer, or readers): it exists and is set up.
        return path
    try:
        bootstrap(con)
    finally:
        con.close()
    return path


def read_connection(retries: int = 8) -> Connection:
    """A read-only connection, retrying briefly while the writer holds the file.

    Close it soon (``with read_connection() as con:``): while it is open the writer waits
    (on DuckDB; PostgreSQL readers and the writer do not wait for each other).
    """
    if url := warehouse_url():
        return pg.connect(url, read_only=True)
    path = warehouse_path()
    delay = 0.02
    for attempt in range(retries):
        try:
            return duckdb.connect(str(path), read_only=True)
        except BUSY_ERRORS:
            if attempt == retries - 1:
                raise
            time.sleep(delay)
            delay *= 2
    raise RuntimeError("unreachable")


def check() -> str:
    """Raise if the warehouse cannot be read; return its engine version."""
    con = read_connection()
    try:
        row = con.execute("SELECT version()").fetchone()
    finally:
        con.close()
    return str(row[0]) if row else ""
