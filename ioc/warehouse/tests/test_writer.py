"""The writer's contract, on whichever engine the test pass uses: the DuckDB file on the
SQLite pass, the real PostgreSQL server on the PostgreSQL pass (ADR 0008)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from ioc.warehouse import db, pg, quarantine, writer
from ioc.warehouse.schema import Schema, parse_schema, plan_changes

D1, D2 = dt.date(2026, 11, 1), dt.date(2026, 11, 2)


def schema(key: list[str], so_ca_type: str = "integer") -> Schema:
    return parse_schema(
        {
            "columns": [
                {"name": "ngay", "type": "date", "role": "time"},
                {"name": "ma_xa", "type": "text", "role": "unit"},
                {"name": "ghi_chu", "type": "text"},
                {
                    "name": "so_ca",
                    "type": so_ca_type,
                    "role": "attribute" if so_ca_type == "text" else "measure",
                },
            ],
            "key": key,
        }
    )


def batch(rows: list[tuple[Any, ...]], first_row: int = 1) -> pa.Table:
    ngay, ma_xa, ghi_chu, so_ca = zip(*rows, strict=True)
    return pa.table(
        {
            "ngay": pa.array(ngay, pa.date32()),
            "ma_xa": pa.array(ma_xa, pa.string()),
            "ghi_chu": pa.array(ghi_chu, pa.string()),
            "so_ca": pa.array(so_ca, pa.int64()),
            "_row": pa.array(range(first_row, first_row + len(rows)), pa.int64()),
        }
    )


def rejects(*reasons: str) -> pa.Table:
    return pa.table(
        {
            "_row": pa.array(range(100, 100 + len(reasons)), pa.int64()),
            "_reason": pa.array(reasons, pa.string()),
            "_raw": pa.array(['{"so_ca": "không rõ"}'] * len(reasons), pa.string()),
        }
    )


def table(slug: str) -> list[tuple[Any, ...]]:
    return writer.execute(
        f"SELECT ngay, ma_xa, ghi_chu, so_ca FROM data.{slug} ORDER BY ngay, ma_xa NULLS FIRST"
    )


def test_the_key_upserts_the_newest_row_and_null_keys_are_equal(warehouse: Any) -> None:
    keyed = schema(["ngay", "ma_xa"])
    writer.create_table("kham", keyed)
    first = writer.write_batch(
        "kham", keyed, batch([(D1, "25747", "a", 1), (D1, None, "b", 2), (D2, "25747", "c", 3)])
    )
    assert (first.accepted, first.replaced, first.total_rows) == (3, 0, 3)
    assert (first.time_min, first.time_max, first.units) == (D1, D2, {"25747"})
    # Again: the same keys (a NULL unit included) replace; within the batch the last row wins.
    again = writer.write_batch(
        "kham",
        keyed,
        batch([(D1, "25747", "x", 10), (D1, "25747", "y", 11), (D1, None, "z", 12)]),
    )
    assert (again.accepted, again.replaced, again.total_rows) == (3, 2, 3)
    assert table("kham") == [(D1, None, "z", 12), (D1, "25747", "y", 11), (D2, "25747", "c", 3)]


def test_a_keyless_source_read_again_replaces_its_own_rows(warehouse: Any) -> None:
    keyless = schema([])
    writer.create_table("le", keyless)
    rows = [(D1, "25747", "a", 1), (D2, "25747", "b", 2)]
    writer.write_batch("le", keyless, batch(rows), source="tep-1", fresh_source=True)
    writer.write_batch("le", keyless, batch(rows), source="tep-2", fresh_source=True)
    assert writer.source_exists("le", "tep-1")
    replay = writer.write_batch("le", keyless, batch(rows), source="tep-1")
    assert (replay.replaced, replay.total_rows) == (2, 4)


def test_empty_text_and_missing_text_stay_apart(warehouse: Any) -> None:
    keyed = schema(["ngay", "ma_xa"])
    writer.create_table("rong", keyed)
    writer.write_batch("rong", keyed, batch([(D1, "1", "", 0), (D1, "2", None, None)]))
    assert writer.execute("SELECT ghi_chu, so_ca FROM data.rong ORDER BY ma_xa") == [
        ("", 0),
        (None, None),
    ]


def test_a_column_empty_in_the_whole_batch_takes_its_type(warehouse: Any) -> None:
    # pa.table() of Python lists types a column of Nones as null, which PostgreSQL read as
    # text ("so_ca is of type bigint but expression is of type character varying").
    for key in (["ngay", "ma_xa"], []):
        s = schema(key)
        slug = "trong_" + ("khoa" if key else "le")
        writer.create_table(slug, s)
        rows = pa.table(
            {
                "ngay": [D1, D2],
                "ma_xa": ["25747", "25750"],
                "ghi_chu": [None, None],
                "so_ca": [None, None],
                "_row": [1, 2],
            }
        )
        assert rows.schema.field("so_ca").type == pa.null()
        writer.write_batch(slug, s, rows, source="tep")
        assert table(slug) == [(D1, "25747", None, None), (D2, "25750", None, None)]


def test_rejected_rows_commit_with_the_batch_and_a_replay_removes_them(warehouse: Any) -> None:
    keyed = schema(["ngay", "ma_xa"])
    writer.create_table("cach_ly", keyed)
    writer.write_batch(
        "cach_ly",
        keyed,
        batch([(D1, "25747", "a", 1)]),
        rejects("Số ca «không rõ» không phải số / 100% sure: not a number?"),
        source="tep",
        connection_id=7,
    )
    [kept] = quarantine.rows("cach_ly")
    assert (kept.connection_id, kept.row_no, kept.raw) == (7, 100, {"so_ca": "không rõ"})
    assert kept.reason.endswith("100% sure: not a number?")  # % and ? are text, not params
    assert quarantine.count("cach_ly", connection_id=7) == 1
    assert quarantine.reasons("cach_ly") == [
        ("Số ca «…» không phải số / 100% sure: not a number?", 1)
    ]
    writer.write_batch("cach_ly", keyed, batch([(D2, "25747", "b", 2)]), replayed=[kept.id])
    assert quarantine.count("cach_ly") == 0


def test_a_batch_that_fails_half_way_leaves_nothing(warehouse: Any) -> None:
    keyed = schema(["ngay", "ma_xa"])
    writer.create_table("nua", keyed)
    broken = rejects("lý do").drop_columns(["_raw"])  # the quarantine insert fails, late
    with pytest.raises(Exception, match="_raw"):
        writer.write_batch("nua", keyed, batch([(D1, "25747", "a", 1)]), broken)
    assert table("nua") == []
    assert quarantine.count("nua") == 0


def test_widening_a_column_keeps_its_values(warehouse: Any) -> None:
    old = schema(["ngay", "ma_xa"])
    writer.create_table("rong_ra", old)
    writer.write_batch("rong_ra", old, batch([(D1, "25747", "a", 7)]))
    writer.apply_changes("rong_ra", plan_changes(old, schema(["ngay", "ma_xa"], "decimal")))
    assert writer.execute("SELECT so_ca FROM data.rong_ra") == [(7.0,)]
    writer.apply_changes("rong_ra", plan_changes(old, schema(["ngay", "ma_xa"], "text")))
    assert writer.execute("SELECT so_ca FROM data.rong_ra")[0][0] in ("7.0", "7")


def test_the_engine_is_the_one_configured(warehouse: Any, settings: Any) -> None:
    con = db.read_connection()
    try:
        expected = pg.Connection if settings.WAREHOUSE_URL else type(con)
        assert isinstance(con, expected)
        assert db.engine() == ("postgres" if settings.WAREHOUSE_URL else "duckdb")
    finally:
        con.close()


def test_question_marks_become_parameters_only_outside_quoted_text() -> None:
    assert pg.to_psycopg("SELECT '?', \"a?\", ? WHERE x LIKE '5%'") == (
        "SELECT '?', \"a?\", %s WHERE x LIKE '5%%'"
    )


def test_migrate_creates_a_missing_postgresql_database_and_reports_an_unreachable_one() -> None:
    import uuid

    import psycopg

    from ioc.conftest import port_open, require

    require(port_open("127.0.0.1", 5432), "PostgreSQL on 127.0.0.1:5432")
    name = f"ioc_test_created_{uuid.uuid4().hex[:8]}"
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    pg.create_database(url)
    try:
        pg.create_database(url)  # there now: nothing to do
        with pg.connect(url) as con:
            db.bootstrap(con)
            db.bootstrap(con)  # every statement may run again
            assert con.execute("SELECT value FROM meta.info").fetchall() == [("ioc",)]
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as a:
            a.execute(f'DROP DATABASE "{name}"')
    with pytest.raises(psycopg.OperationalError):
        pg.create_database("postgresql://postgres@127.0.0.1:1/nowhere")
