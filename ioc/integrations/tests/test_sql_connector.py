"""The SQL connector against the real PostgreSQL (127.0.0.1:5432) and MariaDB (127.0.0.1:3306):
tables and queries, Vietnamese text, types, chunked streaming, incremental reads by a
watermark, read-only queries, and errors that are bilingual and never show the password."""

from __future__ import annotations

import datetime as dt
import importlib.util
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa
from django.utils import timezone
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine

from ioc.conftest import port_open, require
from ioc.integrations.connectors import sql
from ioc.integrations.connectors.base import ConnectorError

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MARIA_URL = "mysql+pymysql://root@127.0.0.1:3306/test"
PASSWORD = "Mk-bi-mat-9271"  # must never show up anywhere

MICRO_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


@dataclass
class Server:
    """A real database and the uniquely named tables a test made in it (dropped after)."""

    kind: str
    url: str
    engine: Engine
    schema: str
    metadata: sa.MetaData = field(default_factory=sa.MetaData)

    def table(self, *columns: sa.Column[Any]) -> tuple[sa.Table, str]:
        """A new table; (the table, its name as the connector's config gives it)."""
        name = f"ioc_sql_{uuid.uuid4().hex[:10]}"
        table = sa.Table(
            name,
            self.metadata,
            *columns,
            schema=self.schema,
            mysql_charset="utf8mb4",
            mysql_engine="InnoDB",
        )
        table.create(self.engine)
        return table, f"{self.schema}.{name}"

    def insert(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        with self.engine.begin() as conn:
            conn.execute(table.insert(), rows)

    def run(self, statement: str) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(statement)

    def scalar(self, statement: str) -> Any:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql(statement).scalar()

    def with_password(self, password: str, port: int | None = None) -> str:
        url = sa.make_url(self.url).set(password=password)
        return (url.set(port=port) if port else url).render_as_string(hide_password=False)


@pytest.fixture
def postgres() -> Iterator[Server]:
    require(port_open("127.0.0.1", 5432), "PostgreSQL on 127.0.0.1:5432")
    engine = sa.create_engine(PG_URL)
    schema = f"ioc_sql_{uuid.uuid4().hex[:10]}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield Server("postgresql", PG_URL, engine, schema)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


@pytest.fixture
def mariadb() -> Iterator[Server]:
    require(port_open("127.0.0.1", 3306), "MariaDB on 127.0.0.1:3306")
    engine = sa.create_engine(MARIA_URL)
    server = Server("mariadb", MARIA_URL, engine, "test")
    try:
        yield server
    finally:
        server.metadata.drop_all(engine)
        engine.dispose()


@pytest.fixture(params=["postgresql", "mariadb"])
def server(request: pytest.FixtureRequest) -> Server:
    return request.getfixturevalue("postgres" if request.param == "postgresql" else "mariadb")


def connector(watermark: str | None = None, **config: Any) -> sql.SqlConnector:
    return sql.SqlConnector(sql.SqlConnector.parse_config(config), watermark=watermark)


def read_all(conn: sql.SqlConnector) -> list[pa.Table]:
    return list(conn.read())


def rows_of(tables: list[pa.Table]) -> list[dict[str, Any]]:
    return [row for table in tables for row in table.to_pylist()]


def bilingual(message: str) -> None:
    assert " / " in message, message


PLACES = [
    {
        "id": 1,
        "ten": "Phường Thủ Dầu Một",
        "ngay": dt.date(2025, 7, 1),
        "luc": dt.datetime(2025, 7, 1, 8, 30, 15, 123456),
        "gia": Decimal("1234.56"),
        "anh": b"\x00\xff",
    },
    {"id": 2, "ten": "Xã Bạch Đằng “mới” 😀", "ngay": None, "luc": None, "gia": None, "anh": None},
    {
        "id": 3,
        "ten": "Đắk Lắk",
        "ngay": dt.date(2026, 1, 5),
        "luc": dt.datetime(2026, 1, 5, 23, 59, 59),
        "gia": Decimal("-0.5"),
        "anh": b"ab",
    },
]


def places(server: Server) -> tuple[sa.Table, str]:
    table, name = server.table(
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("ten", sa.String(200)),
        sa.Column("ngay", sa.Date),
        sa.Column("luc", MICRO_DATETIME),
        sa.Column("gia", sa.Numeric(12, 2)),
        sa.Column("anh", sa.LargeBinary),
    )
    server.insert(table, PLACES)
    return table, name


# -- reading ---------------------------------------------------------------------------------


def test_a_table_with_vietnamese_text_dates_decimals_and_nulls(server: Server) -> None:
    _, name = places(server)
    conn = connector(url=server.url, table=name)
    assert conn.check() == f"{server.kind}, table {name} reachable"
    tables = read_all(conn)
    assert len(tables) == 1
    schema = tables[0].schema
    assert schema.field("id").type == pa.int64()
    assert schema.field("ten").type == pa.string()
    assert schema.field("ngay").type == pa.date32()
    assert schema.field("luc").type == pa.timestamp("us")
    assert schema.field("gia").type == pa.float64()
    assert sorted(rows_of(tables), key=lambda r: r["id"]) == [
        {**PLACES[0], "gia": 1234.56, "anh": "00ff"},
        {**PLACES[1]},
        {**PLACES[2], "gia": -0.5, "anh": "6162"},
    ]
    assert conn.state.watermark is None
    assert conn.state.bytes_read > 0
    assert conn.state.source_id.startswith("sql:")
    assert "3 rows in 1 batches" in conn.state.log


def test_a_query_is_wrapped_as_a_subquery(server: Server) -> None:
    _, name = places(server)
    query = (
        "-- các phường, kèm giá\n"
        f"SELECT id, ten AS ten_xa, gia FROM {name}\n"
        "WHERE ten LIKE '%Phường%' OR ten = 'a:b' OR ten = '10:30'  /* không phải tham số */;"
        "  -- hết"
    )
    conn = connector(url=server.url, query=query)
    assert conn.check() == f"{server.kind}, query reachable"
    assert rows_of(read_all(conn)) == [{"id": 1, "ten_xa": "Phường Thủ Dầu Một", "gia": 1234.56}]

    only = connector(url=server.url, query=f"WITH x AS (SELECT * FROM {name}) SELECT * FROM x")
    only.config.columns = ["ten"]  # type: ignore[attr-defined]
    assert sorted(r["ten"] for r in rows_of(read_all(only))) == sorted(p["ten"] for p in PLACES)


def test_chosen_columns_of_a_table(server: Server) -> None:
    _, name = places(server)
    tables = read_all(connector(url=server.url, table=name, columns=["ten", "id"]))
    assert tables[0].column_names == ["ten", "id"]


def test_a_big_table_streams_in_chunks_and_a_read_can_stop_half_way(server: Server) -> None:
    _, name = server.table(
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("v", sa.String(20)),
    )
    if server.kind == "postgresql":
        server.run(f"INSERT INTO {name} SELECT g, 'x' || g FROM generate_series(1, 120000) g")
    else:
        server.run(f"INSERT INTO {name} SELECT seq, concat('x', seq) FROM seq_1_to_120000")
    conn = connector(url=server.url, table=name, chunk_rows=50_000, watermark_column="id")
    sizes, total = [], 0
    for batch in conn.read():
        sizes.append(batch.num_rows)
        total += sum(batch.column("id").to_pylist())
    assert sizes == [50_000, 50_000, 20_000]
    assert total == 120_000 * 120_001 // 2
    assert conn.state.watermark == "120000"

    # The pipeline fails after the first batch: close() ends the stream without reading on.
    stopped = connector(url=server.url, table=name, chunk_rows=10_000)
    batches = stopped.read()
    assert next(batches).num_rows == 10_000
    started = time.monotonic()
    stopped.close()
    assert time.monotonic() - started < 5
    assert server.scalar(f"SELECT count(*) FROM {name}") == 120_000


def test_incremental_by_a_datetime_column(server: Server) -> None:
    table, name = server.table(
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("cap_nhat", MICRO_DATETIME),
        sa.Column("muc_nuoc", sa.Float),
    )
    base = dt.datetime(2026, 11, 26, 7, 0, 0, 250000)
    server.insert(
        table,
        [
            {"id": i, "cap_nhat": base + dt.timedelta(minutes=i), "muc_nuoc": i / 10}
            for i in range(1, 4)
        ]
        + [{"id": 99, "cap_nhat": None, "muc_nuoc": 0.0}],
    )
    first = connector(url=server.url, table=name, watermark_column="cap_nhat")
    assert sorted(r["id"] for r in rows_of(read_all(first))) == [1, 2, 3, 99]
    assert first.state.watermark == "2026-11-26T07:03:00.250000"

    server.insert(
        table,
        [
            {"id": 4, "cap_nhat": base + dt.timedelta(minutes=4), "muc_nuoc": 0.4},
            {"id": 5, "cap_nhat": base + dt.timedelta(minutes=3, microseconds=1), "muc_nuoc": 0.5},
            {"id": 6, "cap_nhat": base - dt.timedelta(days=1), "muc_nuoc": 0.6},  # late: missed
        ],
    )
    second = connector(
        first.state.watermark, url=server.url, table=name, watermark_column="cap_nhat"
    )
    assert [r["id"] for r in rows_of(read_all(second))] == [5, 4]  # in watermark order
    assert second.state.watermark == "2026-11-26T07:04:00.250000"
    assert second.state.source_id != first.state.source_id

    third = connector(
        second.state.watermark, url=server.url, table=name, watermark_column="cap_nhat"
    )
    assert read_all(third) == []
    assert third.state.watermark == second.state.watermark
    # The same window again (a failed run re-run) is the same source: its rows are replaced.
    again = connector(
        first.state.watermark, url=server.url, table=name, watermark_column="cap_nhat"
    )
    read_all(again)
    assert again.state.source_id == second.state.source_id


def test_incremental_by_an_integer_id_from_an_initial_mark(server: Server) -> None:
    table, name = server.table(
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("ten", sa.String(50)),
    )
    server.insert(table, [{"id": i, "ten": f"hồ sơ {i}"} for i in (1, 2, 3, 5_000_000_000)])
    query = f"SELECT id, ten FROM {name} WHERE ten LIKE 'hồ sơ%'"
    first = connector(url=server.url, query=query, watermark_column="id", initial_since="2")
    assert [r["id"] for r in rows_of(read_all(first))] == [3, 5_000_000_000]
    assert first.state.watermark == "5000000000"

    server.insert(table, [{"id": 5_000_000_001, "ten": "hồ sơ mới"}, {"id": 4, "ten": "hồ sơ 4"}])
    second = connector(first.state.watermark, url=server.url, query=query, watermark_column="id")
    assert [r["ten"] for r in rows_of(read_all(second))] == ["hồ sơ mới"]
    assert second.state.watermark == "5000000001"
    assert any("id > 5000000000" in line for line in second.state.log)


def test_a_watermark_with_a_time_zone_round_trips(postgres: Server) -> None:
    table, name = postgres.table(
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("luc", sa.DateTime(timezone=True)),
    )
    utc = dt.UTC
    postgres.insert(table, [{"id": 1, "luc": dt.datetime(2026, 1, 1, 1, 0, tzinfo=utc)}])
    first = connector(url=postgres.url, table=name, watermark_column="luc")
    (row,) = rows_of(read_all(first))
    local = dt.datetime(2026, 1, 1, 1, 0, tzinfo=utc).astimezone(timezone.get_default_timezone())
    assert row["luc"] == local.replace(tzinfo=None)  # local time, naive
    assert dt.datetime.fromisoformat(first.state.watermark or "") == local

    postgres.insert(table, [{"id": 2, "luc": dt.datetime(2026, 1, 1, 1, 0, 1, tzinfo=utc)}])
    second = connector(first.state.watermark, url=postgres.url, table=name, watermark_column="luc")
    assert [r["id"] for r in rows_of(read_all(second))] == [2]


def test_values_of_other_types(postgres: Server) -> None:
    query = (
        "SELECT '{\"a\": [1, \"Huế\"]}'::jsonb AS j, interval '1 day 2 hours' AS i,"
        " '3fa85f64-5717-4562-b3fc-2c963f66afa6'::uuid AS u, true AS b,"
        " 12345678901234567890 AS big,"
        " ARRAY[1, 2] AS arr, 'NaN'::numeric AS nan, time '08:30' AS t"
    )
    (row,) = rows_of(read_all(connector(url=postgres.url, query=query)))
    assert row["j"] == '{"a": [1, "Huế"]}'
    assert row["i"] == "26:00:00"
    assert row["u"] == "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    assert row["b"] is True
    assert row["big"] == 1.2345678901234567e19
    assert row["arr"] == "[1, 2]"
    assert row["t"] == dt.time(8, 30)


# -- safety ------------------------------------------------------------------------------------

REFUSED = [
    "DELETE FROM {t}",
    "SELECT 1; DROP TABLE {t}",
    "SELECT 1;\nDROP TABLE {t};",
    "DROP TABLE {t}",
    "/* trông như SELECT */ UPDATE {t} SET ten = 'x'",
    "-- SELECT\nTRUNCATE {t}",
    "SELECT * FROM {t} INTO OUTFILE '/tmp/x'",
    "SELECT 1 /*!50000 ; DROP TABLE {t} */",
    "SELECT 'a;b' FROM {t}; DROP TABLE {t}",
    "WITH d AS (SELECT 1) DELETE FROM {t}; ",
    "WITH d AS (DELETE FROM {t} RETURNING *) SELECT * FROM d",
    "SELECT * FROM {t} FOR UPDATE",
    "SELECT * INTO copy_of_t FROM {t}",
]


def test_anything_but_one_select_is_refused_before_the_server_is_reached(server: Server) -> None:
    _, name = places(server)
    for query in REFUSED:
        text = query.format(t=name)
        # Port 1: had the connector tried to connect, the error would say so.
        with pytest.raises(ConnectorError) as refused:
            connector(url=server.with_password(PASSWORD, port=1), query=text)
        message = str(refused.value)
        bilingual(message)
        assert "query: " in message and "single read-only SELECT" in message, text
        assert "cannot connect" not in message and PASSWORD not in message
        # A config changed after it was validated is refused again when it runs.
        changed = connector(url=server.url, query="SELECT 1 AS a")
        changed.config.query = text  # type: ignore[attr-defined]
        with pytest.raises(ConnectorError, match="single read-only SELECT"):
            read_all(changed)
        with pytest.raises(ConnectorError, match="single read-only SELECT"):
            changed.check()
    assert server.scalar(f"SELECT count(*) FROM {name}") == len(PLACES)


def test_queries_that_write_through_a_function_hit_the_read_only_transaction(
    server: Server,
) -> None:
    _, name = server.table(sa.Column("id", sa.Integer))
    if server.kind == "postgresql":
        server.run(f"CREATE SEQUENCE {server.schema}.so_thu_tu")
        query = f"SELECT nextval('{server.schema}.so_thu_tu') AS n"
    else:
        function = f"{name}_f"
        server.run(
            f"CREATE FUNCTION {function}() RETURNS INT MODIFIES SQL DATA"
            f" BEGIN INSERT INTO {name} VALUES (1); RETURN 1; END"
        )
        query = f"SELECT {function}() AS n"
    try:
        with pytest.raises(ConnectorError, match=r"(?i)read.only") as failed:
            read_all(connector(url=server.url, query=query))
        bilingual(str(failed.value))
        assert server.scalar(f"SELECT count(*) FROM {name}") == 0
        if server.kind == "postgresql":
            assert server.scalar(f"SELECT is_called FROM {server.schema}.so_thu_tu") is False
    finally:
        if server.kind == "mariadb":
            server.run(f"DROP FUNCTION IF EXISTS {name}_f")


def test_names_are_validated_and_quoted(postgres: Server) -> None:
    for bad in ("x; DROP TABLE y", 'a"b', "a.b.c.d", "t`", "a--b;"):
        with pytest.raises(ConnectorError, match="invalid table name") as refused:
            connector(url=postgres.url, table=bad)
        bilingual(str(refused.value))
    with pytest.raises(ConnectorError, match="invalid column name"):
        connector(url=postgres.url, table="t", columns=["a", "b) FROM x --"])
    with pytest.raises(ConnectorError, match="invalid column name"):
        connector(url=postgres.url, table="t", watermark_column="a'")
    # A name with capitals and spaces is quoted, so it is found exactly.
    postgres.run(f'CREATE TABLE {postgres.schema}."Khám Bệnh" ("Số ca" int)')
    postgres.run(f'INSERT INTO {postgres.schema}."Khám Bệnh" VALUES (7)')
    conn = connector(
        url=postgres.url,
        table=f"{postgres.schema}.Khám Bệnh",
        columns=["Số ca"],
        watermark_column="Số ca",
        initial_since="1",
    )
    assert rows_of(read_all(conn)) == [{"Số ca": 7}]
    assert conn.state.watermark == "7"


# -- errors ------------------------------------------------------------------------------------


def test_an_unknown_table_or_column(server: Server) -> None:
    conn = connector(url=server.url, table=f"{server.schema}.khong_co_bang_nay")
    with pytest.raises(ConnectorError, match="no table") as missing:
        conn.check()
    bilingual(str(missing.value))
    with pytest.raises(ConnectorError, match="no table"):
        read_all(conn)
    _, name = places(server)
    with pytest.raises(ConnectorError, match="failed") as failed:
        read_all(connector(url=server.url, table=name, columns=["khong_co_cot"]))
    bilingual(str(failed.value))
    assert "khong_co_cot" in str(failed.value)


def test_a_server_that_does_not_answer(server: Server) -> None:
    url = server.with_password(PASSWORD, port=1)
    conn = connector(url=url, table="t")
    started = time.monotonic()
    with pytest.raises(ConnectorError, match="cannot connect") as refused:
        conn.check()
    with pytest.raises(ConnectorError, match="cannot connect") as again:
        read_all(conn)
    assert time.monotonic() - started < 10
    for message in (str(refused.value), str(again.value), *conn.state.log):
        assert PASSWORD not in message
    bilingual(str(refused.value))
    assert "127.0.0.1:1" in str(refused.value) and "***" in str(refused.value)


def test_a_query_over_the_time_limit(server: Server) -> None:
    sleep = "pg_sleep(3)" if server.kind == "postgresql" else "SLEEP(3)"
    conn = connector(url=server.url, query=f"SELECT {sleep} AS s", timeout_seconds=1)
    started = time.monotonic()
    with pytest.raises(ConnectorError, match="timeout_seconds") as slow:
        read_all(conn)
    assert time.monotonic() - started < 2.5
    bilingual(str(slow.value))


def test_a_wrong_password(mariadb: Server) -> None:
    conn = connector(url=mariadb.with_password(PASSWORD), table="test.t")
    with pytest.raises(ConnectorError, match="cannot connect") as denied:
        conn.check()
    message = str(denied.value)
    bilingual(message)
    assert "Access denied" in message
    assert PASSWORD not in message


def test_a_driver_that_is_not_installed() -> None:
    for url, package in [
        (f"mssql+pyodbc://u:{PASSWORD}@db.example/x", "pyodbc"),
        (f"oracle+oracledb://u:{PASSWORD}@db.example/x", "oracledb"),
        (f"mysql://u:{PASSWORD}@db.example/x", "mysqlclient"),
    ]:
        module = "MySQLdb" if package == "mysqlclient" else package
        if importlib.util.find_spec(module) is not None:
            continue
        with pytest.raises(ConnectorError, match=f"pip install {package}") as missing:
            connector(url=url, table="t").check()
        bilingual(str(missing.value))
        assert PASSWORD not in str(missing.value)
    with pytest.raises(ConnectorError, match=r"mysql\+pymysql"):
        connector(url="mysql://u@h/x", table="t").check()
    with pytest.raises(ConnectorError, match="unsupported database kind"):
        connector(url="khongco://u@h/x", table="t").check()
    with pytest.raises(ConnectorError, match="asynchronous"):
        connector(url="postgresql+asyncpg://u@h/x", table="t").check()


def test_options_of_the_url_are_not_shown() -> None:
    odbc = f"DRIVER={{ODBC Driver 18 for SQL Server}};SERVER=h;UID=u;PWD={PASSWORD}"
    conn = connector(url=f"mssql+pyodbc:///?odbc_connect={odbc}", table="t")
    assert conn.safe_url == "mssql+pyodbc:///?…"
    conn = connector(url=f"postgresql+psycopg://u:{PASSWORD}@h:1/db?sslmode=require", table="t")
    assert conn.safe_url == "postgresql+psycopg://u:***@h:1/db?…"


def test_settings_are_checked() -> None:
    url = f"postgresql+psycopg://u:{PASSWORD}@h/x"
    for config, expected in [
        ({"url": url}, "exactly one of table or query"),
        ({"url": url, "table": "t", "query": "SELECT 1"}, "exactly one of table or query"),
        ({"url": "không phải url", "table": "t"}, "URL is not valid"),
        ({"url": url, "table": "t", "watermark_type": "integer", "initial_since": "x"}, "not a"),
        ({"url": url, "table": "t", "chunk_rows": 0}, "chunk_rows"),
        ({"url": url, "table": "t", "extra": 1}, "extra"),
    ]:
        with pytest.raises(ConnectorError, match=expected) as invalid:
            sql.SqlConnector.parse_config(config)
        assert PASSWORD not in str(invalid.value)
    cfg = sql.SqlConnector.parse_config({"url": url, "table": " t ", "query": "", "columns": []})
    assert isinstance(cfg, sql.SqlConfig)
    assert (cfg.table, cfg.query, cfg.columns) == ("t", None, None)
    assert PASSWORD not in repr(cfg)


# -- the parts -------------------------------------------------------------------------------


def test_accepted_queries() -> None:
    assert sql.check_query("SELECT 1") == "SELECT 1\n"
    assert sql.check_query(" /* x */ -- y\n select 1 ; -- z\n/* w */ ") == (
        "/* x */ -- y\n select 1\n"
    )
    assert sql.check_query("WITH a AS (SELECT 1) SELECT * FROM a")
    assert sql.check_query("(SELECT 1) UNION (SELECT 2)")
    assert sql.check_query("SELECT /*+ INDEX(t) */ 1 FROM t")
    # Words that write are fine inside quotes, comments and longer names.
    assert sql.check_query(
        "SELECT \"update\", `delete`, 'DROP TABLE x' AS s, $$insert$$, updated_at"
        " FROM audit_log -- delete\n WHERE action = 'DELETE' /* update */"
    )
    for bad in ("", "  ", "SELECT 1; SELECT 2", "VALUES (1)", "SHOW TABLES", "EXPLAIN SELECT 1"):
        with pytest.raises(ConnectorError):
            sql.check_query(bad)
    with pytest.raises(ConnectorError):
        sql.check_query("SELECTED")


def test_watermark_text_round_trips() -> None:
    parse = sql.parse_watermark
    assert parse("2026-11-26T07:03:00.250000") == dt.datetime(2026, 11, 26, 7, 3, 0, 250000)
    assert parse("2026-11-26 07:03:00+07:00").utcoffset() == dt.timedelta(hours=7)
    assert parse("2026-11-26") == dt.date(2026, 11, 26)
    assert parse("20261126") == 20261126
    assert parse("-42") == -42
    assert parse("12.50") == Decimal("12.50")
    assert parse("HS-0001") == "HS-0001"
    assert parse("2026-11-26", "text") == "2026-11-26"
    assert parse("7", "number") == Decimal(7)
    with pytest.raises(ConnectorError):
        parse("abc", "date")
    for value in (
        dt.datetime(2026, 1, 2, 3, 4, 5, 6),
        dt.date(2026, 1, 2),
        12,
        Decimal("1.25"),
        "HS-1",
    ):
        assert parse(sql.format_watermark(value)) == value


def test_rows_become_arrow_without_failing_on_mixed_values() -> None:
    tz = timezone.get_default_timezone()
    names = sql.column_names(["a", "a", "", "d", "e", "f", "g"])
    assert names == ["a", "a_2", "column_3", "d", "e", "f", "g"]
    rows = [
        (1, "x", Decimal("1.5"), dt.date(2026, 1, 1), None, b"\x01", 2**70),
        ("hai", 2, Decimal("2"), dt.datetime(2026, 1, 1, 5), None, bytearray(b"\x02"), 1),
    ]
    table = sql.to_arrow(names, rows, tz)
    assert table.column("a").to_pylist() == ["1", "hai"]
    assert table.column("a_2").to_pylist() == ["x", "2"]
    assert table.column("column_3").to_pylist() == [1.5, 2.0]
    assert table.column("d").to_pylist() == ["2026-01-01", "2026-01-01 05:00:00"]
    assert table.column("e").type == pa.null()
    assert table.column("f").to_pylist() == ["01", "02"]
    assert table.column("g").to_pylist() == [str(2**70), "1"]
    # The next chunk keeps the types the first one had.
    seen: dict[str, pa.DataType] = {}
    sql.to_arrow(["n", "t"], [(1.5, "x")], tz, seen)
    later = sql.to_arrow(["n", "t"], [(2, None)], tz, seen)
    assert later.schema.field("n").type == pa.float64()
    assert later.schema.field("t").type == pa.string()


# -- the whole path ----------------------------------------------------------------------------


def test_a_connection_loads_a_table_incrementally(postgres: Server, make_dataset: Any) -> None:
    from ioc.integrations.models import Connection, RunStatus
    from ioc.integrations.services import configure_connection, run_connection
    from ioc.warehouse import writer

    table, name = postgres.table(
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("phuong", sa.Text),
        sa.Column("luc", sa.DateTime),
        sa.Column("so_ca", sa.Numeric(10, 1)),
    )
    postgres.insert(
        table,
        [
            {"id": 1, "phuong": "Phú Cường", "luc": dt.datetime(2026, 1, 5, 8), "so_ca": 12.5},
            {"id": 2, "phuong": "Phú Lợi", "luc": dt.datetime(2026, 1, 5, 9), "so_ca": None},
        ],
    )
    dataset = make_dataset(
        "kham_benh",
        [
            {"name": "phuong", "type": "text", "role": "dimension"},
            {"name": "luc", "type": "timestamp", "role": "time"},
            {"name": "so_ca", "type": "decimal", "role": "measure"},
        ],
        key=["phuong", "luc"],
    )
    conn = Connection.objects.create(name="Khám bệnh (SQL)", kind="sql", dataset=dataset)
    configure_connection(
        conn,
        {"url": postgres.with_password(PASSWORD), "table": name, "watermark_column": "luc"},
        actor=None,
    )
    assert PASSWORD not in str(conn.config)
    first = run_connection(conn)
    assert first.status == RunStatus.SUCCEEDED, first.error
    assert (first.rows_read, first.rows_accepted) == (2, 2)
    conn.refresh_from_db()
    assert conn.watermark == "2026-01-05T09:00:00"

    postgres.insert(
        table,
        [{"id": 3, "phuong": "Phú Thọ", "luc": dt.datetime(2026, 1, 5, 10), "so_ca": 3}],
    )
    second = run_connection(conn)
    assert (second.rows_read, second.rows_accepted) == (1, 1), second.error
    conn.refresh_from_db()
    assert conn.watermark == "2026-01-05T10:00:00"
    assert writer.execute("SELECT phuong, so_ca FROM data.kham_benh ORDER BY luc") == [
        ("Phú Cường", 12.5),
        ("Phú Lợi", None),
        ("Phú Thọ", 3.0),
    ]
    for run in (first, second):
        assert PASSWORD not in " ".join(run.log) + run.error
    assert any("postgres:***@127.0.0.1" in line for line in second.log)
