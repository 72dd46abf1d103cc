"""Access to the warehouse (DuckDB). One writer process; everyone else reads (ADR 0001).

The integration hub (a later issue) adds the writer queue. Here: opening connections and
the readiness check.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
from django.conf import settings


def warehouse_path() -> Path:
    return Path(settings.WAREHOUSE_PATH)


def ensure_warehouse() -> Path:
    """Create the warehouse file if it does not exist yet (done by `ioc migrate`)."""
    path = warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        try:
            con = duckdb.connect(str(path))
        except duckdb.IOException:
            # Another process is creating it right now (it holds the writer's lock).
            return path
        try:
            con.execute("CREATE SCHEMA IF NOT EXISTS meta")
            con.execute(
                "CREATE TABLE IF NOT EXISTS meta.info (key VARCHAR PRIMARY KEY, value VARCHAR)"
            )
            con.execute("INSERT OR REPLACE INTO meta.info VALUES ('created_by', 'ioc')")
        finally:
            con.close()
    return path


def read_connection(retries: int = 5) -> duckdb.DuckDBPyConnection:
    """A read-only connection, retrying briefly while the writer holds the lock."""
    path = warehouse_path()
    delay = 0.05
    for attempt in range(retries):
        try:
            return duckdb.connect(str(path), read_only=True)
        except duckdb.IOException:
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
