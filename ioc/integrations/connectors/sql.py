"""SQL databases (pull): one table, or a read-only query, whole or incremental by a watermark.

Any SQLAlchemy URL whose driver is installed: ``postgresql+psycopg://``,
``mysql+pymysql://`` (MySQL and MariaDB), ``mssql+pyodbc://``, ``oracle+oracledb://``...
The URL is a secret (the vault keeps it encrypted); messages and the run's log show it with
the password hidden.

What is read is never pasted into SQL: a ``table`` ("schema.table") is a validated name
quoted by SQLAlchemy; a ``query`` written by the data engineer must be one SELECT (or WITH)
statement, is wrapped as a subquery (``SELECT * FROM (<query>) AS src``), and runs in a
transaction that is set read-only where the database allows it (PostgreSQL, MySQL/MariaDB,
Oracle) and is always rolled back. The watermark is a bound parameter::

    SELECT * FROM (<table or query>) AS src WHERE <watermark_column> > :since
    ORDER BY <watermark_column>

Rows are streamed (a server-side cursor, ``chunk_rows`` at a time), so a large table is
never held whole; each chunk becomes one Arrow table with the database's types where Arrow
has them (numbers, text, dates, naive date-times, booleans); decimals become floats (the
warehouse's decimals are DOUBLE), date-times with a time zone become local time, bytes become
hex text, JSON becomes JSON text, and a column whose values Arrow cannot hold together
becomes text.

After a run the watermark is the largest value seen, as text (ISO for dates and date-times);
the next run reads it back as a date-time, a date, an integer, a number or text (or as
``watermark_type`` says) and binds it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager, suppress
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import quote, quote_plus

import pyarrow as pa
import sqlalchemy as sa
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from sqlalchemy.engine import URL, Connection, CursorResult, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import TextClause

from ioc.integrations.connectors.base import Connector, ConnectorError, register

WatermarkType = Literal["auto", "datetime", "date", "integer", "number", "text"]

# A name part: letters (Vietnamese too), digits, _ $ # @, spaces and hyphens; SQLAlchemy
# quotes it when needed. No dots (they separate schema and table), quotes or semicolons.
IDENTIFIER = re.compile(r"[\w$#@](?:[\w$#@ \-]{0,126}[\w$#@])?")

# Python packages of the SQLAlchemy drivers (what `pip install` needs).
DRIVER_PACKAGES = {
    "psycopg": "psycopg[binary]",
    "psycopg2": "psycopg2-binary",
    "pg8000": "pg8000",
    "pymysql": "PyMySQL",
    "mysqldb": "mysqlclient",
    "mysqlconnector": "mysql-connector-python",
    "mariadbconnector": "mariadb",
    "pyodbc": "pyodbc",
    "pymssql": "pymssql",
    "oracledb": "oracledb",
    "cx_oracle": "cx_Oracle",
}
_PYMYSQL_HINT = (
    " (PyMySQL đã có sẵn: dùng mysql+pymysql://)",
    " (PyMySQL is installed: use mysql+pymysql://)",
)
DRIVER_HINTS = {
    "mysql": _PYMYSQL_HINT,
    "mariadb": _PYMYSQL_HINT,
    "mssql": (
        ", và Microsoft ODBC Driver 18 for SQL Server",
        ", and Microsoft's ODBC Driver 18 for SQL Server",
    ),
}
# MySQL/MariaDB: how long the server waits for us to take the next rows of a stream while
# the pipeline writes a chunk (the default, 60 s, can cut a slow load short).
NET_WRITE_SECONDS = 3600


def _both(vi: str, en: str) -> str:
    return f"{vi} / {en}"


# -- the query and the names ---------------------------------------------------------------

_LEADING = re.compile(r"\s+|--[^\n]*(?:\n|$)|/\*(?!!).*?\*/", re.S)
_TAIL = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*(?!!).*?\*/)*", re.S)
_FIRST_WORD = re.compile(r"[(\s]*(select|with)\b", re.I)
# Quoted text, quoted names and comments, blanked before looking for words that write.
_QUOTED = re.compile(
    r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"]|\"\")*\"|`(?:[^`]|``)*`|(\$\w*\$).*?\1"
    r"|--[^\n]*|/\*.*?\*/",
    re.S,
)
# (A column named like one of these must be quoted in the query: "update", `update`.)
_WRITES = re.compile(
    r"\b(insert|update|delete|merge|upsert|drop|alter|create|truncate|grant|revoke|into"
    r"|exec|execute)\b",
    re.I,
)


def check_query(query: str) -> str:
    """The query made ready to wrap as a subquery, or ConnectorError when it is not one
    SELECT (or WITH) statement. Deliberately simple and strict: no ``;`` anywhere but at
    the end (not even inside a string: write ``chr(59)``), no MySQL executable comments, and
    no word that writes (INSERT, UPDATE, DELETE, INTO, FOR UPDATE...) outside quotes."""
    text = query.strip()
    refuse = _both(
        "Truy vấn phải là một câu lệnh SELECT (hoặc WITH) duy nhất, chỉ để đọc",
        "the query must be a single read-only SELECT (or WITH) statement",
    )
    if not text or "\x00" in text:
        raise ConnectorError(refuse)
    if text.count(";") > 1:
        raise ConnectorError(f"{refuse}: ';'")
    if ";" in text:
        body, tail = text.split(";")
        if not _TAIL.fullmatch(tail):
            raise ConnectorError(f"{refuse}: ';'")
        text = body.rstrip()
    if "/*!" in text:
        raise ConnectorError(f"{refuse}: /*! */")
    # Belt and braces (the subquery and the read-only transaction are what stop writes):
    # a word that writes, outside quotes and comments, e.g. WITH ... DELETE, FOR UPDATE.
    if found := _WRITES.search(_QUOTED.sub(" ", text)):
        raise ConnectorError(f"{refuse}: {found.group(1).upper()}")
    start = 0
    while match := _LEADING.match(text, start):
        if match.end() == start:
            break
        start = match.end()
    if not _FIRST_WORD.match(text, start):
        first = text[start : start + 30].split()
        raise ConnectorError(f"{refuse}: {first[0] if first else ''!r}")
    # A trailing "-- comment" must not swallow what the wrapper adds after the query.
    return text + "\n"


def check_identifier(name: str, what: str = "column") -> str:
    if not IDENTIFIER.fullmatch(name):
        vi = {"column": "cột", "table": "bảng"}.get(what, what)
        raise ConnectorError(
            _both(
                f"Tên {vi} không hợp lệ: {name!r} (chữ, số, _ $ # @, dấu cách, gạch ngang)",
                f"invalid {what} name: {name!r} (letters, digits, _ $ # @, spaces, hyphens)",
            )
        )
    return name


def split_table(name: str) -> tuple[str | None, str]:
    """("schema", "table") from "schema.table" (SQL Server: "database.schema.table")."""
    parts = [p.strip() for p in name.strip().split(".")]
    if not 1 <= len(parts) <= 3:
        raise ConnectorError(
            _both(f"Tên bảng không hợp lệ: {name!r}", f"invalid table name: {name!r}")
        )
    for part in parts:
        check_identifier(part, "table")
    return (".".join(parts[:-1]) or None), parts[-1]


class _QueryText(TextClause):
    """The engineer's query, rendered verbatim: ``:name`` in it is not a bind parameter."""

    inherit_cache = True

    def __init__(self, text: str) -> None:
        self._bindparams = {}
        self.text = text


@compiles(_QueryText)
def _render_query_text(element: _QueryText, compiler: Any, **kw: Any) -> str:
    return str(compiler.post_process_text(element.text))  # doubles % for pyformat drivers


# -- watermarks ----------------------------------------------------------------------------

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*")
_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def parse_watermark(text: str, kind: WatermarkType = "auto") -> Any:
    """A stored watermark back as the value to bind: a date-time, a date, an integer, a
    (decimal) number or text; ``auto`` tries them in that order."""
    text = text.strip()
    try:
        if kind == "datetime" or (kind == "auto" and _DATETIME.fullmatch(text)):
            return dt.datetime.fromisoformat(text)
        if kind == "date" or (kind == "auto" and _DATE.fullmatch(text)):
            return dt.date.fromisoformat(text)
        if kind == "integer" or (kind == "auto" and _INTEGER.fullmatch(text)):
            return int(text)
        if kind == "number" or (kind == "auto" and _NUMBER.fullmatch(text)):
            value = Decimal(text)
            if not value.is_finite():
                raise ValueError(text)
            return value
    except (ValueError, InvalidOperation):
        raise ConnectorError(
            _both(
                f"Mốc đọc tăng dần {text!r} không phải {kind}",
                f"the watermark {text!r} is not a {kind}",
            )
        ) from None
    return text


def format_watermark(value: Any) -> str:
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    return str(value)


def _bind_type(value: Any) -> sa.types.TypeEngine[Any]:
    if isinstance(value, dt.datetime):
        return sa.DateTime(timezone=value.tzinfo is not None)
    if isinstance(value, dt.date):
        return sa.Date()
    if isinstance(value, int):
        return sa.BigInteger()
    if isinstance(value, Decimal):
        return sa.Numeric()
    return sa.String()


def _largest(values: list[Any]) -> Any:
    try:
        return max(values)
    except TypeError:  # values of mixed types (text columns in SQLite...): compare as text
        return max(values, key=str)


# -- rows → Arrow --------------------------------------------------------------------------

_NATIVE = {int, float, str, bool, dt.date, dt.time}
_TOGETHER = [{int}, {float}, {int, float}, {str}, {bool}, {dt.date}, {dt.datetime}, {dt.time}]


def _duration_text(value: dt.timedelta) -> str:
    """MySQL TIME and PostgreSQL interval values, as [-]HH:MM:SS[.ffffff]."""
    micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    sign, micros = ("-" if micros < 0 else ""), abs(micros)
    seconds, micros = divmod(micros, 1_000_000)
    hours, rest = divmod(seconds, 3600)
    text = f"{sign}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{text}.{micros:06d}" if micros else text


def normalise(value: Any, tz: dt.tzinfo) -> Any:
    """One value as something Arrow keeps (see the module's docstring)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(tz).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dt.timedelta):
        return _duration_text(value)
    if isinstance(value, dt.time) and value.tzinfo is not None:
        return value.isoformat()
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    if type(value) in _NATIVE:
        return value
    return str(value)  # UUID, network addresses, ranges, enums...


def column_array(values: Sequence[Any], tz: dt.tzinfo) -> pa.Array | pa.ChunkedArray:
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return pa.nulls(len(values))
    if not kinds <= _NATIVE:
        values = [None if v is None else normalise(v, tz) for v in values]
        kinds = {type(v) for v in values if v is not None}
    if kinds in _TOGETHER:
        with suppress(pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, ValueError):
            return pa.array(values)
    return pa.array([None if v is None else str(v) for v in values], pa.string())


def column_names(keys: Sequence[Any]) -> list[str]:
    """Result column names, made unique (``id``, ``id_2``) and never empty."""
    seen: set[str] = set()
    names = []
    for position, key in enumerate(keys, start=1):
        base = str(key) or f"column_{position}"
        name, n = base, 2
        while name in seen:
            name, n = f"{base}_{n}", n + 1
        seen.add(name)
        names.append(name)
    return names


def to_arrow(
    names: list[str],
    rows: Sequence[Sequence[Any]],
    tz: dt.tzinfo,
    seen_types: dict[str, pa.DataType] | None = None,
) -> pa.Table:
    """One chunk of rows as an Arrow table. ``seen_types`` (the earlier chunks' types) keeps a
    column's type from one chunk to the next where it can: an all-NULL chunk, or a column that
    had to become text earlier."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    arrays = []
    for name, values in zip(names, columns, strict=True):
        array = column_array(values, tz)
        if seen_types is not None:
            before = seen_types.get(name)
            if before is not None and array.type != before:
                if pa.types.is_null(array.type):
                    array = pa.nulls(len(values), before)
                elif pa.types.is_string(before) or (
                    pa.types.is_floating(before) and pa.types.is_integer(array.type)
                ):
                    with suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
                        array = array.cast(before)
            if not pa.types.is_null(array.type):
                seen_types.setdefault(name, array.type)
        arrays.append(array)
    return pa.Table.from_arrays(arrays, names=names)


# -- the config ----------------------------------------------------------------------------


class SqlConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: SecretStr = Field(description="SQLAlchemy URL, e.g. postgresql+psycopg://u:p@host/db")
    table: str | None = Field(None, description='A table or view: "table" or "schema.table"')
    query: str | None = Field(None, description="Or one read-only SELECT / WITH statement")
    columns: list[str] | None = Field(None, description="Only these columns (default: all)")
    watermark_column: str | None = Field(None, description="Incremental: read rows above it")
    watermark_type: WatermarkType = "auto"
    initial_since: str | None = Field(None, description="The first run reads rows above this")
    chunk_rows: int = Field(50_000, ge=1, le=1_000_000)
    timeout_seconds: int = Field(60, ge=1, le=86_400)

    @field_validator("table", "query", "watermark_column", "initial_since", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("columns", mode="before")
    @classmethod
    def _no_columns_is_none(cls, value: Any) -> Any:
        return value or None

    @field_validator("url")
    @classmethod
    def _url(cls, value: SecretStr) -> SecretStr:
        try:
            sa.make_url(value.get_secret_value())
        except Exception:
            raise ValueError(
                _both(
                    "Địa chỉ cơ sở dữ liệu không đúng dạng (vd. postgresql+psycopg://"
                    "người_dùng:mật_khẩu@máy:5432/csdl)",
                    "the database URL is not valid (e.g. postgresql+psycopg://user:password"
                    "@host:5432/db)",
                )
            ) from None
        return value

    @field_validator("table")
    @classmethod
    def _table(cls, value: str | None) -> str | None:
        if value is not None:
            _as_value_error(split_table, value)
        return value

    @field_validator("query")
    @classmethod
    def _query(cls, value: str | None) -> str | None:
        if value is not None:
            _as_value_error(check_query, value)
        return value

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: list[str] | None) -> list[str] | None:
        for name in value or []:
            _as_value_error(check_identifier, name)
        return value

    @field_validator("watermark_column")
    @classmethod
    def _watermark_column(cls, value: str | None) -> str | None:
        if value is not None:
            _as_value_error(check_identifier, value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SqlConfig:
        if (self.table is None) == (self.query is None):
            raise ValueError(
                _both(
                    "Cần đúng một trong hai: bảng (table) hoặc truy vấn (query)",
                    "give exactly one of table or query",
                )
            )
        if self.initial_since is not None:
            _as_value_error(parse_watermark, self.initial_since, self.watermark_type)
        return self


def _as_value_error(check: Any, *args: Any) -> None:
    """Run one of the checks above for pydantic, which reports ValueErrors."""
    try:
        check(*args)
    except ConnectorError as exc:
        raise ValueError(str(exc)) from None


# -- the connector ---------------------------------------------------------------------------


@register
class SqlConnector(Connector):
    key = "sql"
    label = _("SQL database (pull)")
    Config = SqlConfig

    def __init__(self, config: BaseModel, *, watermark: str | None = None) -> None:
        super().__init__(config, watermark=watermark)
        self._reading: Generator[pa.Table, None, None] | None = None

    @property
    def cfg(self) -> SqlConfig:
        assert isinstance(self.config, SqlConfig)
        return self.config

    # -- the engine and errors

    @property
    def url(self) -> URL:
        return sa.make_url(self.cfg.url.get_secret_value())

    @property
    def safe_url(self) -> str:
        """The URL to show: password hidden, options left out (they can hold secrets too,
        e.g. ``odbc_connect=...PWD=...``)."""
        url = self.url
        shown = url.set(query={}).render_as_string(hide_password=True)
        return self._scrub(shown + ("?…" if url.query else ""))

    def _scrub(self, text: str) -> str:
        password = self.url.password
        if password:
            for form in {str(password), quote(str(password), safe=""), quote_plus(str(password))}:
                text = text.replace(form, "***")
        return text

    def _failure(self, doing: str, exc: BaseException) -> ConnectorError:
        orig = getattr(exc, "orig", None) or exc
        args: tuple[Any, ...] = tuple(getattr(orig, "args", ()))
        if len(args) >= 2 and isinstance(args[0], int) and isinstance(args[1], str):
            reason = f"{args[1]} ({args[0]})"  # PyMySQL: (code, message)
        else:
            lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
            reason = lines[0] if lines else type(orig).__name__
        reason = self._scrub(reason)[:400]
        vi_note = en_note = ""
        if re.search(r"time(d)? ?out|max_statement_time|max_execution_time", reason, re.I):
            t = self.cfg.timeout_seconds
            vi_note, en_note = f" (quá {t} giây chờ)", f" (over timeout_seconds = {t})"
        where = self.safe_url
        if doing == "connect":
            return ConnectorError(
                _both(
                    f"Không kết nối được tới cơ sở dữ liệu {where}: {reason}{vi_note}",
                    f"cannot connect to the database {where}: {reason}{en_note}",
                )
            )
        return ConnectorError(
            _both(
                f"Đọc từ cơ sở dữ liệu {where} bị lỗi: {reason}{vi_note}",
                f"reading from the database {where} failed: {reason}{en_note}",
            )
        )

    def _create_engine(self) -> Engine:
        url = self.url
        backend = url.get_backend_name()
        try:
            dialect = url.get_dialect()
        except sa.exc.NoSuchModuleError:
            raise ConnectorError(
                _both(
                    f"Không hỗ trợ loại cơ sở dữ liệu '{url.drivername}' (vd. postgresql+psycopg,"
                    " mysql+pymysql, mssql+pyodbc, oracle+oracledb)",
                    f"unsupported database kind '{url.drivername}' (e.g. postgresql+psycopg,"
                    " mysql+pymysql, mssql+pyodbc, oracle+oracledb)",
                )
            ) from None
        driver = url.get_driver_name()
        if getattr(dialect, "is_async", False):
            raise ConnectorError(
                _both(
                    f"Trình điều khiển '{driver}' là loại bất đồng bộ, không dùng được ở đây",
                    f"the driver '{driver}' is asynchronous and cannot be used here",
                )
            )
        timeout = self.cfg.timeout_seconds
        try:
            engine = sa.create_engine(
                url,
                pool_pre_ping=True,
                hide_parameters=True,
                connect_args=_connect_args(driver, timeout, url),
            )
        except ImportError as exc:
            package = DRIVER_PACKAGES.get(driver, exc.name or driver)
            vi_hint, en_hint = DRIVER_HINTS.get(backend, ("", ""))
            raise ConnectorError(
                _both(
                    f"Chưa cài trình điều khiển '{driver}' cho {backend}: cài gói Python"
                    f" '{package}' (pip install {package}){vi_hint}",
                    f"the driver '{driver}' for {backend} is not installed: install the Python"
                    f" package '{package}' (pip install {package}){en_hint}",
                )
            ) from None
        if driver == "pyodbc" or driver == "oracledb":

            @sa.event.listens_for(engine, "connect")
            def _statement_timeout(dbapi_connection: Any, _record: Any) -> None:
                if driver == "pyodbc":
                    dbapi_connection.timeout = timeout  # each statement, in seconds
                else:
                    dbapi_connection.call_timeout = timeout * 1000  # each round trip, ms

        return engine

    @contextmanager
    def _connection(self, *, check: bool) -> Iterator[Connection]:
        """A connection in a read-only transaction (rolled back at the end); the engine is
        made for this and disposed of after."""
        engine = self._create_engine()
        try:
            try:
                conn = engine.connect()
            except sa.exc.SQLAlchemyError as exc:
                raise self._failure("connect", exc) from None
            try:
                self._prepare(conn, check=check)
                yield conn
            finally:
                with suppress(sa.exc.SQLAlchemyError):
                    conn.close()
        finally:
            engine.dispose()

    def _prepare(self, conn: Connection, *, check: bool) -> None:
        name = conn.dialect.name
        seconds = self.cfg.timeout_seconds
        try:
            if name == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                conn.execute(
                    sa.text("SELECT set_config('statement_timeout', :ms, true)"),
                    {"ms": str(seconds * 1000)},
                )
            elif name in ("mysql", "mariadb"):
                # A statement limit would also cut a long stream short: the read is bounded
                # by the driver's read timeout instead (no answer for timeout_seconds).
                if check and getattr(conn.dialect, "is_mariadb", False):
                    conn.exec_driver_sql(f"SET SESSION max_statement_time = {int(seconds)}")
                elif check:
                    conn.exec_driver_sql(f"SET SESSION max_execution_time = {int(seconds) * 1000}")
                else:
                    conn.exec_driver_sql(f"SET SESSION net_write_timeout = {NET_WRITE_SECONDS}")
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            elif name == "oracle":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        except sa.exc.SQLAlchemyError as exc:
            raise self._failure("read", exc) from None

    # -- what is read

    def _describe(self) -> str:
        return f"table {self.cfg.table}" if self.cfg.table else "query"

    def _ensure_table(self, conn: Connection) -> None:
        if self.cfg.table is None:
            return
        schema, name = split_table(self.cfg.table)
        try:
            found = sa.inspect(conn).has_table(name, schema=schema)
        except sa.exc.SQLAlchemyError as exc:
            raise self._failure("read", exc) from None
        if not found:
            raise ConnectorError(
                _both(
                    f"Không có bảng (hay view) '{self.cfg.table}' trong {self.safe_url}",
                    f"there is no table (or view) '{self.cfg.table}' in {self.safe_url}",
                )
            )

    def statement(self, since: Any = None, *, ordered: bool = True) -> sa.Select[Any]:
        cfg = self.cfg
        source: sa.FromClause
        if cfg.table is not None:
            schema, name = split_table(cfg.table)
            source = sa.table(name, schema=schema)
        else:
            assert cfg.query is not None
            source = _QueryText(check_query(cfg.query)).columns().subquery("src")
        names = list(cfg.columns or [])
        if names and cfg.watermark_column and cfg.watermark_column not in names:
            names.append(cfg.watermark_column)
        selected: list[sa.ColumnElement[Any]] = [sa.column(n) for n in names] or [
            sa.literal_column("*")
        ]
        stmt = sa.select(*selected).select_from(source)
        if cfg.watermark_column:
            mark: sa.ColumnClause[Any] = sa.column(cfg.watermark_column)
            if since is not None:
                stmt = stmt.where(mark > sa.bindparam("since", since, type_=_bind_type(since)))
            if ordered:
                stmt = stmt.order_by(mark)
        return stmt

    def _since(self) -> tuple[Any, str]:
        """(the value to bind, its text) for an incremental read; (None, "") otherwise."""
        cfg = self.cfg
        if not cfg.watermark_column:
            return None, ""
        text = self.state.watermark or cfg.initial_since
        if not text:
            return None, ""
        return parse_watermark(text, cfg.watermark_type), text

    def _source_id(self, since_text: str) -> str:
        """The same source, and the same window of it, has the same identity: a run that
        failed half-way and is run again replaces the rows it wrote, rather than doubling
        them. (A whole-table read without a key replaces its rows by position.)"""
        cfg = self.cfg
        identity = json.dumps(
            [
                self.url.set(password=None).render_as_string(),
                cfg.table,
                cfg.query,
                cfg.columns,
                cfg.watermark_column,
            ]
        )
        digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
        return f"sql:{digest}" + (f"@{since_text}" if cfg.watermark_column else "")

    # -- the contract

    def check(self) -> str:
        with self._connection(check=True) as conn:
            self._ensure_table(conn)
            try:
                conn.execute(self.statement(ordered=False).limit(1)).first()
            except sa.exc.SQLAlchemyError as exc:
                raise self._failure("read", exc) from None
            kind = "mariadb" if getattr(conn.dialect, "is_mariadb", False) else conn.dialect.name
        return f"{kind}, {self._describe()} reachable"

    def read(self) -> Iterator[pa.Table]:
        self._reading = self._read()
        return self._reading

    def _read(self) -> Generator[pa.Table, None, None]:
        cfg, state = self.cfg, self.state
        since, since_text = self._since()
        state.source_id = self._source_id(since_text)
        state.log.append(
            f"{self.safe_url}: {self._describe()}"
            + (f", {cfg.watermark_column} > {since_text}" if since_text else "")
        )
        tz = timezone.get_default_timezone()
        seen_types: dict[str, pa.DataType] = {}
        rows_read = batches = 0
        largest: Any = None
        with self._connection(check=False) as conn:
            self._ensure_table(conn)
            result: CursorResult[Any] | None = None
            finished = False
            try:
                result = conn.execution_options(
                    stream_results=True, yield_per=cfg.chunk_rows
                ).execute(self.statement(since))
                names = column_names(list(result.keys()))
                mark = _position(names, cfg.watermark_column)
                if cfg.watermark_column and mark is None:
                    state.log.append(f"watermark column {cfg.watermark_column!r} not in the rows")
                for rows in result.partitions(cfg.chunk_rows):
                    table = to_arrow(names, rows, tz, seen_types)
                    if mark is not None:
                        values = [row[mark] for row in rows if row[mark] is not None]
                        if values:
                            top = _largest(values)
                            largest = top if largest is None else _largest([largest, top])
                    rows_read += len(rows)
                    batches += 1
                    state.bytes_read += table.nbytes
                    yield table
                finished = True
            except sa.exc.SQLAlchemyError as exc:
                raise self._failure("read", exc) from None
            finally:
                if not finished and result is not None:
                    _abandon(conn, result)
        before = state.watermark
        if largest is not None:
            state.watermark = format_watermark(largest)
        state.log.append(
            f"{rows_read} rows in {batches} batches"
            + (f"; watermark {before or '-'} → {state.watermark}" if cfg.watermark_column else "")
        )

    def close(self) -> None:
        """Stop a read left half-way (the pipeline failed): its connection and engine go."""
        if self._reading is not None:
            self._reading.close()
            self._reading = None


def _position(names: list[str], column: str | None) -> int | None:
    if not column:
        return None
    if column in names:
        return names.index(column)
    folded = [n.casefold() for n in names]
    return folded.index(column.casefold()) if column.casefold() in folded else None


def _connect_args(driver: str, seconds: int, url: URL) -> dict[str, Any]:
    """Connect (and, for MySQL, read) timeouts, in each driver's words."""
    args: dict[str, Any]
    match driver:
        case "psycopg" | "psycopg2":
            args = {"connect_timeout": max(2, seconds)}
        case "pg8000":
            args = {"timeout": seconds}
        case "pymysql" | "mysqldb":
            args = {"connect_timeout": seconds, "read_timeout": seconds, "write_timeout": seconds}
            if "charset" not in url.query:
                args["charset"] = "utf8mb4"
        case "pyodbc":
            args = {"timeout": seconds}
        case "pymssql":
            args = {"login_timeout": seconds, "timeout": seconds}
        case "oracledb":
            args = {"tcp_connect_timeout": float(seconds)}
        case _:
            args = {}
    return args


def _abandon(conn: Connection, result: CursorResult[Any]) -> None:
    """Close a stream we will not read to the end. MySQL's unbuffered cursor would otherwise
    read every remaining row just to close: the server is asked to stop the query first."""
    if conn.dialect.name in ("mysql", "mariadb"):
        with suppress(Exception):
            dbapi = conn.connection.dbapi_connection
            thread_id = int(dbapi.thread_id())  # type: ignore[union-attr]
            with conn.engine.connect() as other:
                other.exec_driver_sql(f"KILL QUERY {thread_id}")
        with suppress(Exception):
            result.cursor.close()  # reads the "interrupted" answer
    with suppress(Exception):
        result.close()
