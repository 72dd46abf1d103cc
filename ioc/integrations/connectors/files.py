"""Files: CSV/TSV, Excel .xlsx, JSON/NDJSON and Parquet, from one file or a drop folder.

CSV is read by DuckDB (streamed, never loaded whole) after the text is made UTF-8: UTF-8
with or without BOM, UTF-16, Windows-1258 and TCVN3 are detected or chosen. Every value
comes out as text; the mapping reads Vietnamese numbers and dates. Lines DuckDB cannot split
into the header's columns are kept as rejects with their line number.

A folder is a drop folder: each run reads the files matching ``pattern`` (oldest name
first) and moves each one, once loaded, into ``done/`` beside it.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict

from ioc.integrations import excel, textcodecs
from ioc.integrations.connectors.base import Connector, ConnectorError, Reject, register
from ioc.warehouse.schema import quote

Format = Literal["auto", "csv", "xlsx", "json", "ndjson", "parquet"]
BATCH_ROWS = 500_000
# A longer line is an error on the run, not a memory blow-up. DuckDB reads in blocks of 16×
# this, within the reader's memory limit: 2 MiB keeps a 5 GB file under the 1 GiB budget.
MAX_LINE_BYTES = 2 * 1024 * 1024

EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".parquet": "parquet",
}

CSV_ERRORS = {
    "MISSING COLUMNS": ("thiếu cột", "missing columns"),
    "TOO MANY COLUMNS": ("thừa cột", "too many columns"),
    "UNQUOTED VALUE": ("dấu nháy không đúng", "badly quoted value"),
    "LINE SIZE OVER MAXIMUM": ("dòng quá dài", "line too long"),
    "INVALID UNICODE": ("ký tự không hợp lệ", "invalid characters"),
}


class FileConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = ""  # a file, or a drop folder
    url: str = ""  # or an HTTP(S) address to download the file from
    allow_private: bool = False  # the URL may point into the private network
    max_bytes: int = 500 * 1024 * 1024
    pattern: str = "*"
    format: Format = "auto"
    encoding: Literal["auto", "utf-8", "utf-8-sig", "utf-16", "windows-1258", "tcvn3"] = "auto"
    delimiter: Literal["auto", ",", ";", "\t", "|"] = "auto"
    sheet: str | None = None  # Excel: one sheet by name; none = every sheet
    header_rows: int | None = None  # Excel: rows of header; none = detect
    archive: bool = True  # drop folder: move loaded files into done/


def detect_format(path: Path, chosen: Format = "auto") -> Format:
    if chosen != "auto":
        return chosen
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise ConnectorError(
            f"Không nhận ra định dạng tệp '{path.name}' (CSV, XLSX, JSON, NDJSON, Parquet) /"
            f" unknown file format '{path.name}' (CSV, XLSX, JSON, NDJSON, Parquet)"
        )
    return fmt


def checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()[:32]


def _reader_connection() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(config={"memory_limit": "256MB", "threads": 2})


def _duck_error(path: Path, exc: Exception) -> ConnectorError:
    text = str(exc).splitlines()[0][:300]
    return ConnectorError(
        f"Không đọc được tệp '{path.name}': {text} / the file '{path.name}' cannot be read: {text}"
    )


def read_csv(
    path: Path,
    *,
    encoding: str = "auto",
    delimiter: str = "auto",
    rejects: list[Reject],
    log: list[str],
) -> Iterator[pa.RecordBatch]:
    with tempfile.TemporaryDirectory(prefix="ioc-csv-") as tmp:
        try:
            utf8_path, used = textcodecs.open_as_utf8(
                path, None if encoding == "auto" else encoding, Path(tmp)
            )
        except textcodecs.DecodeError as exc:
            raise ConnectorError(str(exc)) from None
        log.append(f"encoding: {used}")
        if delimiter == "auto":
            with utf8_path.open("rb") as fh:
                sample = fh.read(64 * 1024).decode("utf-8", errors="ignore")
            delimiter = textcodecs.sniff_delimiter(sample)
        log.append(f"delimiter: {delimiter!r}")
        con = _reader_connection()
        try:
            rel = con.sql(
                "SELECT * FROM read_csv($path, all_varchar = true, header = true, delim = $delim,"
                " quote = '\"', escape = '\"', store_rejects = true, max_line_size = $max,"
                " encoding = $enc)",
                params={
                    "path": str(utf8_path),
                    "delim": delimiter,
                    "max": MAX_LINE_BYTES,
                    "enc": "utf-8",
                },
            )
            reader = rel.to_arrow_reader(BATCH_ROWS)
            yield from reader
            # The sniffer and the scan may both report a line: once each.
            for line, kind, csv_line, message in con.sql(
                "SELECT DISTINCT line, error_type, csv_line, first(error_message)"
                " FROM reject_errors GROUP BY ALL ORDER BY line"
            ).fetchall():
                vi, en = CSV_ERRORS.get(str(kind), (str(message), str(message)))
                rejects.append(
                    Reject(
                        row_no=None,
                        reason=f"dòng {line}: {vi} / line {line}: {en}",
                        raw=str(csv_line or "")[:10_000],
                    )
                )
        except (duckdb.Error, pa.ArrowException) as exc:
            raise _duck_error(path, exc) from None
        finally:
            con.close()


def read_simple(path: Path, fmt: Format) -> Iterator[pa.RecordBatch]:
    """JSON (an array of objects, or an object holding one), NDJSON and Parquet, by DuckDB."""
    function = {
        "json": "read_json(?, format = 'auto', maximum_object_size = 16777216)",
        "ndjson": "read_json(?, format = 'newline_delimited')",
        "parquet": "read_parquet(?)",
    }[fmt]
    con = _reader_connection()
    try:
        rel = con.sql(f"SELECT * FROM {function}", params=[str(path)])
        # Values of mixed JSON types come as JSON text ('"40,1"'): scalars unquoted.
        columns = []
        for name, kind in zip(rel.columns, rel.types, strict=True):
            q = quote(name)
            if str(kind) == "JSON":
                columns.append(
                    f"CASE WHEN json_type({q}) IN ('OBJECT', 'ARRAY') THEN {q}::VARCHAR"
                    f" ELSE json_extract_string({q}, '$') END AS {q}"
                )
            else:
                columns.append(q)
        yield from rel.select(", ".join(columns)).to_arrow_reader(BATCH_ROWS)
    except (duckdb.Error, pa.ArrowInvalid) as exc:
        raise _duck_error(path, exc) from None
    finally:
        con.close()


def read_xlsx(
    path: Path, sheet: str | None, header_rows: int | None, log: list[str]
) -> Iterator[pa.Table]:
    try:
        tables = (
            [excel.read_sheet(path, sheet, header_rows=header_rows)]
            if sheet
            else excel.read_all_sheets(path, header_rows=header_rows)
        )
    except excel.ExcelError as exc:
        raise ConnectorError(str(exc)) from None
    for part in tables:
        log.append(
            f"sheet {part.sheet!r}: {part.table.num_rows} rows, header rows {part.header_rows}"
        )
        yield part.table


def read_path(
    path: Path, config: FileConfig, rejects: list[Reject], log: list[str]
) -> Iterator[pa.RecordBatch | pa.Table]:
    fmt = detect_format(path, config.format)
    if fmt == "csv":
        yield from read_csv(
            path, encoding=config.encoding, delimiter=config.delimiter, rejects=rejects, log=log
        )
    elif fmt == "xlsx":
        yield from read_xlsx(path, config.sheet, config.header_rows, log)
    else:
        yield from read_simple(path, fmt)


@register
class FileConnector(Connector):
    key = "file"
    label = _("File or drop folder (CSV, Excel, JSON, Parquet)")
    Config = FileConfig

    @property
    def cfg(self) -> FileConfig:
        assert isinstance(self.config, FileConfig)
        return self.config

    def download(self) -> Path:
        """The file at ``url``, fetched through the hardened client into a temporary folder."""
        from ioc.integrations.http import HttpClient, HttpError

        cfg = self.cfg
        self._tmp: tempfile.TemporaryDirectory[str] | None = tempfile.TemporaryDirectory(
            prefix="ioc-download-"
        )
        assert self._tmp is not None
        name = Path(urlsplit(cfg.url).path).name or "download"
        target = Path(self._tmp.name) / name
        try:
            with HttpClient(allow_private=cfg.allow_private, max_bytes=cfg.max_bytes) as client:
                response = client.get(cfg.url)
        except HttpError as exc:
            raise ConnectorError(str(exc)) from None
        target.write_bytes(response.content)
        return target

    def close(self) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            tmp.cleanup()
            self._tmp = None

    def files(self) -> list[Path]:
        if self.cfg.url:
            return [self.download()]
        if not self.cfg.path:
            raise ConnectorError("Cần đường dẫn hoặc địa chỉ URL / a path or a URL is needed")
        root = Path(self.cfg.path)
        if root.is_dir():
            return sorted(p for p in root.glob(self.cfg.pattern) if p.is_file())
        if root.is_file():
            return [root]
        raise ConnectorError(
            f"Không thấy tệp hoặc thư mục '{root}' / no such file or folder '{root}'"
        )

    def check(self) -> str:
        files = self.files()
        return f"{len(files)} file(s)"

    def read(self) -> Iterator[pa.RecordBatch | pa.Table]:
        root = Path(self.cfg.path) if self.cfg.path else None
        for path in self.files():
            self.state.source_id = f"file:{checksum(path)}"
            self.state.bytes_read += path.stat().st_size
            self.state.log.append(f"{path.name}: {path.stat().st_size} bytes")
            yield from read_path(path, self.cfg, self.state.rejects, self.state.log)
            for reject in self.state.rejects:
                reject.source = reject.source or self.state.source_id
            if root is not None and root.is_dir() and self.cfg.archive:
                done = root / "done"
                done.mkdir(exist_ok=True)
                shutil.move(str(path), done / path.name)
