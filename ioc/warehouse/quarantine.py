"""Reading the quarantine: rejected rows, kept in the warehouse (``meta.quarantine``) with
their reason and raw values until a replay (after the mapping is fixed) moves them in.

The writer is the only one that adds or removes quarantine rows (``write_batch``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ioc.warehouse.db import read_connection
from ioc.warehouse.writer import write_connection

REPLAY_BATCH = 50_000


@dataclass(frozen=True)
class QuarantinedRow:
    id: int
    connection_id: int | None
    run_id: int | None
    row_no: int | None
    reason: str
    raw: dict[str, Any]
    at: Any


def _where(dataset: str, connection_id: int | None) -> tuple[str, list[Any]]:
    if connection_id is None:
        return "dataset = ?", [dataset]
    return "dataset = ? AND connection_id = ?", [dataset, connection_id]


def count(dataset: str, connection_id: int | None = None) -> int:
    where, params = _where(dataset, connection_id)
    with read_connection() as con:
        row = con.execute(f"SELECT count(*) FROM meta.quarantine WHERE {where}", params).fetchone()
    return int(row[0]) if row else 0


def rows(
    dataset: str, connection_id: int | None = None, *, offset: int = 0, limit: int = 50
) -> list[QuarantinedRow]:
    where, params = _where(dataset, connection_id)
    with read_connection() as con:
        found = con.execute(
            "SELECT id, connection_id, run_id, row_no, reason, raw, quarantined_at"
            " FROM meta.quarantine"
            f" WHERE {where} ORDER BY id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
    return [QuarantinedRow(r[0], r[1], r[2], r[3], r[4], _loads(r[5]), r[6]) for r in found]


def reasons(
    dataset: str, connection_id: int | None = None, limit: int = 20
) -> list[tuple[str, int]]:
    """The most common reasons (the part before the quoted value), with how many rows."""
    where, params = _where(dataset, connection_id)
    with read_connection() as con:
        return [
            (str(r[0]), int(r[1]))
            for r in con.execute(
                "SELECT regexp_replace(regexp_replace(reason, '«[^»]*»', '«…»', 'g'),"
                " '(dòng|line) [0-9]+', '\\1 …', 'g') AS kind, count(*) AS n"
                f" FROM meta.quarantine WHERE {where} GROUP BY kind ORDER BY n DESC LIMIT ?",
                [*params, limit],
            ).fetchall()
        ]


def _loads(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {"line": raw}
    return value if isinstance(value, dict) else {"value": value}


def _text(value: Any) -> str | None:
    """Replayed values are read as text again (as from a CSV): one type per column."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def replayable(
    dataset: str, connection_id: int | None = None
) -> Iterator[tuple[str, pa.Table, list[int]]]:
    """(source, raw rows as a table with their original ``_row``, quarantine ids), by source
    and in batches. Read fully per batch before yielding, so the writer is free to write."""
    where, params = _where(dataset, connection_id)
    last_id = -1
    with write_connection() as con:
        top = con.execute(f"SELECT max(id) FROM meta.quarantine WHERE {where}", params).fetchone()
    max_id = top[0] if top and top[0] is not None else -1  # rows rejected again come after
    while True:
        with write_connection() as con:
            found = con.execute(
                f"SELECT id, coalesce(source, ''), row_no, raw FROM meta.quarantine WHERE {where}"
                " AND id > ? AND id <= ? ORDER BY id LIMIT ?",
                [*params, last_id, max_id, REPLAY_BATCH],
            ).fetchall()
        if not found:
            return
        last_id = found[-1][0]
        by_source: dict[str, list[tuple[int, int | None, dict[str, Any]]]] = {}
        for qid, source, row_no, raw in found:
            by_source.setdefault(source, []).append((qid, row_no, _loads(raw)))
        for source, items in by_source.items():
            records = [{k: _text(v) for k, v in raw.items() if k != "_row"} for _, _, raw in items]
            table = pa.Table.from_pylist(records) if records else pa.table({})
            table = table.append_column(
                "_row", pa.array([row_no or 0 for _, row_no, _ in items], pa.int64())
            )
            yield source, table, [qid for qid, _, _ in items]
