"""Read Excel workbooks as tables of text: titles skipped, merged multi-row headers combined.

Vietnamese agencies send ``.xlsx`` files whose sheets start with report titles ("BÁO CÁO SỐ
LIỆU THÁNG 10/2026" merged across the top), then a header of two or three rows with merged
cells ("Dân số" over "Nam" and "Nữ"), then the data, where numbers may be real numbers or
text such as "1.234,5". This module finds the header, names the columns ("Dân số / Nam") and
returns every sheet as a :class:`pyarrow.Table` whose columns are all strings; typing is the
mapping step's job. Cells are read with python-calamine (fast, also reads .xlsm, .xlsb, .xls
and .ods). Pure Python, no Django.

Automatic header detection (``header_rows``/``skip_rows`` left as ``None``):

* the first data row is the first row, among the first 200, holding a number, a date, a
  boolean or a text that looks like one ("1.234,5", "05/10/2026") in at least
  ``min(3, table width)`` cells; sparser rows with such cells right above it are data too.
  Column numbers printed under the header ("(1)", "(3)=(1)+(2)", or 1, 2, 3...) count as
  data: that row ends the header and is returned as the first data row. A row whose only
  number-like cells are two or more distinct years or dates ("Chỉ tiêu | 2024 | 2025") over
  a row with other numbers is a header row;
* the header is the block of non-empty, all-text rows right above it: its last row, then
  each row above that is tied to the one below by a merged cell spanning both rows, by a
  merged group cell over two or more labelled cells, or by labels above empty cells; at most
  five rows; rows spanned by merged cells started in the header belong to the header;
* what is above the header must be empty rows or title rows (one cell, or two in a table
  of four columns or more); otherwise, and when no data row is found (tables of text only),
  the header starts at the first row that is not a title and takes the rows its merged cells
  span.

``header_rows`` and ``skip_rows`` override the detection (``skip_rows`` counts sheet rows
from row 1, blank ones included).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from python_calamine import (
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

__all__ = [
    "MAX_AUTO_HEADER_ROWS",
    "ExcelError",
    "ExcelTable",
    "cell_text",
    "read_all_sheets",
    "read_sheet",
    "sheet_names",
]

MAX_AUTO_HEADER_ROWS = 5  # longest header the detection will produce
_SCAN_ROWS = 200  # rows examined to find the header and the first data row
_JOIN = " / "

_NUMBERISH = re.compile(
    r"[+-]?(?:\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+|\d+)(?:[.,]\d+)?\s*%?"
    r"|[+-]?[.,]\d+\s*%?"
)
_DATEISH = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
# Column numbers printed under Vietnamese report headers: "(1)", "(3)=(1)+(2)", "4=2+3".
_COLUMN_NUMBER = re.compile(
    r"\(\d{1,3}\)(?:\s*=\s*[\d()+\-*/x:. ]+)?|\d{1,3}\s*=\s*[\d()+\-*/x:. ]+"
)
_YEAR = re.compile(r"(?:19|20)\d\d")


class ExcelError(ValueError):
    """The workbook or the sheet cannot be read; the message is in Vietnamese and English."""


@dataclass(frozen=True)
class ExcelTable:
    """One sheet as text columns named after the (combined) header.

    ``first_data_row`` and ``row_numbers`` are 1-based sheet row numbers, as Excel shows
    them: ``row_numbers[i]`` is the sheet row of ``table`` row ``i`` (empty rows are dropped,
    so they are not always consecutive). ``header_rows`` counts the header block's rows.
    """

    table: pa.Table
    sheet: str
    header_rows: int
    first_data_row: int
    row_numbers: tuple[int, ...] = ()


# ---------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------


def _float_text(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):  # NaN, infinities
        return str(value)
    if value.is_integer():
        return str(int(value))
    # Excel keeps 15 significant digits: 0.1 + 0.2 shows as 0.3, so does it here.
    text = format(value, ".15g")
    if "e" in text:
        text = format(Decimal(text), "f")
    return text


def _duration_text(value: dt.timedelta) -> str:
    sign = "-" if value < dt.timedelta(0) else ""
    value = abs(value)
    seconds = value.days * 86400 + value.seconds
    text = f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{text}.{value.microseconds:06d}" if value.microseconds else text


def cell_text(value: Any) -> str | None:
    """A cell value as the pipeline's text: ``None`` for empty cells.

    Text is stripped, otherwise unchanged. Integral numbers lose ``.0`` ("12"), other
    numbers are written without exponent, to Excel's 15 significant digits ("1234.5",
    "0.0000001"); booleans are "true"/"false"; dates and times are ISO 8601 ("2026-10-05",
    "2026-10-05T08:30:00", "08:30:00"); durations are "h:mm:ss" ("27:00:00").
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return _duration_text(value)
    return str(value).strip() or None


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _dataish(value: Any) -> bool:
    """A number, date or boolean, or a text that reads as one."""
    if isinstance(value, str):
        text = value.strip()
        return bool(text) and bool(
            _NUMBERISH.fullmatch(text) or _DATEISH.fullmatch(text) or _COLUMN_NUMBER.fullmatch(text)
        )
    return value is not None


def _labelish(value: Any) -> bool:
    """A year or a date: such cells side by side may be column labels ("2024", "2025")."""
    if isinstance(value, str):
        text = value.strip()
        return bool(_YEAR.fullmatch(text) or _DATEISH.fullmatch(text))
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return float(value).is_integer() and 1900 <= value <= 2100
    return isinstance(value, dt.date)


def _header_text(value: Any) -> str:
    text = cell_text(value)
    return " ".join(text.split()) if text else ""


# ---------------------------------------------------------------------------------------------
# Workbook
# ---------------------------------------------------------------------------------------------


def _bilingual(vi: str, en: str) -> str:
    return f"{vi} / {en}"


def _unreadable(exc: BaseException) -> ExcelError:
    if isinstance(exc, PasswordError):
        return ExcelError(
            _bilingual(
                "Tệp Excel được bảo vệ bằng mật khẩu, hãy gỡ mật khẩu rồi gửi lại",
                "The Excel file is password-protected; remove the password and send it again",
            )
        )
    detail = str(exc).strip() or type(exc).__name__
    return ExcelError(
        _bilingual(
            f"Tệp Excel không đọc được: {detail}", f"The Excel file cannot be read: {detail}"
        )
    )


def _guard(exc: BaseException) -> None:
    """Re-raise what must not become an ExcelError (interrupts, exhausted memory)."""
    if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit | MemoryError):
        raise exc


class _Book:
    """An open workbook; calamine errors (and Rust panics) become ExcelError."""

    def __init__(self, path: Path) -> None:
        # from_filelike sniffs the content, so an .xlsx saved under an .xls name still opens;
        # a missing file raises FileNotFoundError from open().
        with Path(path).open("rb") as fh:
            try:
                self._wb = CalamineWorkbook.from_filelike(fh)
                metadata = self._wb.sheets_metadata
            except BaseException as exc:  # python-calamine may raise a Rust PanicException
                _guard(exc)
                raise _unreadable(exc) from exc
        self.sheets = [m.name for m in metadata if m.typ == SheetTypeEnum.WorkSheet]
        self.hidden = {m.name for m in metadata if m.visible != SheetVisibleEnum.Visible}

    def __enter__(self) -> _Book:
        return self

    def __exit__(self, *exc: object) -> None:
        self._wb.close()

    def resolve(self, sheet: str | int | None) -> str:
        if not self.sheets:
            raise ExcelError(
                _bilingual("Tệp Excel không có trang tính nào", "The Excel file has no worksheet")
            )
        if sheet is None:
            return self.sheets[0]
        if isinstance(sheet, int) and not isinstance(sheet, bool):
            if 0 <= sheet < len(self.sheets):
                return self.sheets[sheet]
        elif isinstance(sheet, str) and sheet in self.sheets:
            return sheet
        listed = ", ".join(f"«{name}»" for name in self.sheets)
        raise ExcelError(
            _bilingual(
                f"Không có trang tính «{sheet}»; tệp có các trang tính: {listed}",
                f"There is no sheet {sheet!r}; the file has the sheets: {listed}",
            )
        )

    def load(self, name: str) -> tuple[list[list[Any]], list[_Merge]]:
        try:
            ws: CalamineSheet = self._wb.get_sheet_by_name(name)
            rows = ws.to_python(skip_empty_area=False)
            ranges = ws.merged_cell_ranges or []
        except BaseException as exc:
            _guard(exc)
            raise _unreadable(exc) from exc
        merges = [_Merge(r1, c1, r2, c2) for (r1, c1), (r2, c2) in ranges if r2 >= r1 and c2 >= c1]
        return [list(row) for row in rows], merges


# ---------------------------------------------------------------------------------------------
# Layout detection
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Merge:
    """A merged range, 0-based and inclusive; the value sits in the top-left cell."""

    r1: int
    c1: int
    r2: int
    c2: int


class _Layout:
    """What the detection needs to know about the rows ``start`` .. ``start + _SCAN_ROWS``."""

    def __init__(self, rows: Sequence[Sequence[Any]], merges: Sequence[_Merge], start: int):
        self.start = start
        self.end = min(len(rows), start + _SCAN_ROWS)
        window = range(self.start, self.end)
        self.cols: dict[int, list[int]] = {}
        self.data: dict[int, bool] = {}
        for r in window:
            row = rows[r]
            self.cols[r] = [c for c, v in enumerate(row) if _filled(v)]
            self.data[r] = any(_dataish(row[c]) for c in self.cols[r])
        self.width = max((len(cols) for cols in self.cols.values()), default=0)
        for r in window:
            if self.data[r] and self._label_row(rows, r):
                self.data[r] = False
        # merged ranges whose value is not empty, by the window rows they cover
        self.covering: dict[int, list[_Merge]] = {r: [] for r in window}
        for m in merges:
            if m.r1 >= len(rows) or not _filled(_at(rows, m.r1, m.c1)):
                continue
            for r in range(max(m.r1, self.start), min(m.r2, self.end - 1) + 1):
                self.covering[r].append(m)

    def _label_row(self, rows: Sequence[Sequence[Any]], r: int) -> bool:
        """Years or dates heading columns ("Chỉ tiêu | 2024 | 2025"): two or more, distinct,
        every number-like cell of the row, over a next row that has other numbers or dates."""
        cells = [(c, rows[r][c]) for c in self.cols[r] if _dataish(rows[r][c])]
        if len(cells) < 2 or not all(_labelish(v) for _, v in cells):
            return False
        if len({cell_text(v) for _, v in cells}) < len(cells):
            return False
        below = next((b for b in range(r + 1, self.end) if self.cols[b]), None)
        if below is None:
            return False
        return any(
            _dataish(v) and not _labelish(v)
            for c, _ in cells
            if c < len(rows[below]) and (v := rows[below][c]) is not None
        )

    def blank(self, r: int) -> bool:
        return not self.cols[r] and not self.covering[r]

    def anchors(self, r: int) -> int:
        return len(self.cols[r])

    def title_like(self, r: int) -> bool:
        """One cell in a wider table, or two in a table of four columns or more."""
        n = self.anchors(r)
        return (n == 1 and self.width >= 2) or (n == 2 and self.width >= 4)

    def span(self, from_row: int | None) -> tuple[int, int]:
        """Columns of the table: those used from ``from_row`` on (the data), else by wide rows."""
        rows = range(from_row, self.end) if from_row is not None else range(self.start, self.end)
        used = [
            c
            for r in rows
            if from_row is not None or self.anchors(r) >= min(2, self.width)
            for c in self.cols[r]
        ]
        return (min(used), max(used)) if used else (0, 0)

    def group(self, r: int, below: int, span: tuple[int, int]) -> bool:
        """Row ``r`` has a merged cell narrower than the table over labelled cells of ``below``."""
        if self.anchors(r) < 2:
            return False
        return any(
            m.r1 == r
            and m.c2 > m.c1
            and _narrow(m, span)
            and sum(1 for c in self.cols[below] if m.c1 <= c <= m.c2) >= 2
            for m in self.covering[r]
        )

    def connected(self, r: int, below: int, span: tuple[int, int]) -> bool:
        """Row ``r`` belongs to the same header as the row under it."""
        if below >= self.end:
            return False
        if any(m.r2 >= below and _narrow(m, span) for m in self.covering[r]):
            return True  # a merged cell spans both rows
        if self.group(r, below, span):
            return True
        if self.anchors(r) < 2:
            return False
        under = set(self.cols[below])
        for m in self.covering[below]:
            under.update(range(m.c1, m.c2 + 1))
        return any(span[0] <= c <= span[1] and c not in under for c in self.cols[r])

    def extend(self, first: int, stop: int, *, groups: bool) -> int:
        """End (exclusive) of the header ``first`` .. ``stop - 1`` grown over the rows its
        merged cells span and, with ``groups``, over label rows under group cells."""
        span = self.span(None)
        last = first + MAX_AUTO_HEADER_ROWS - 1
        while stop <= last and stop < self.end:
            reach = max(
                (
                    m.r2
                    for r in range(first, stop)
                    for m in self.covering[r]
                    if first <= m.r1 < stop and m.r2 <= last
                ),
                default=-1,
            )
            if reach >= stop:
                stop = reach + 1
            elif (
                groups
                and not self.blank(stop)
                and not self.data[stop]
                and self.group(stop - 1, stop, span)
            ):
                stop += 1
            else:
                break
        return min(stop, self.end)

    def first_filled(self, start: int) -> int | None:
        return next((r for r in range(start, self.end) if not self.blank(r)), None)

    def first_data(self, start: int) -> int | None:
        need = min(3, self.width)
        return next(
            (r for r in range(start, self.end) if self.data[r] and self.anchors(r) >= need),
            None,
        )


def _at(rows: Sequence[Sequence[Any]], r: int, c: int) -> Any:
    row = rows[r]
    return row[c] if c < len(row) else None


def _narrow(m: _Merge, span: tuple[int, int]) -> bool:
    """The merged cell does not cover the whole table width (a title usually does)."""
    return not (m.c1 <= span[0] and m.c2 >= span[1])


def _header_above(lay: _Layout, first: int, data: int) -> tuple[int, int] | None:
    """The header right above the data row ``data``, not above ``first``, or ``None`` when
    what is above does not look like titles over a header (detection is then unsure)."""
    d = data
    while d - 1 >= first and not lay.blank(d - 1) and lay.data[d - 1]:
        d -= 1  # sparse data rows
    span = lay.span(d)
    bottom = d - 1
    while bottom >= first and lay.blank(bottom):
        bottom -= 1
    if bottom < first:
        return d, d
    if not (
        lay.anchors(bottom) >= min(2, lay.width)
        or any(m.r1 < bottom and _narrow(m, span) for m in lay.covering[bottom])
    ):
        return d, d  # a lone note ("Đơn vị tính: người") right above the data: no header
    top = bottom
    while (
        top - 1 >= first
        and bottom - top + 1 < MAX_AUTO_HEADER_ROWS
        and not lay.blank(top - 1)
        and not lay.data[top - 1]
        and lay.connected(top - 1, top, span)
    ):
        top -= 1
    above = top - 1
    if (
        above >= first
        and not lay.blank(above)
        and not (lay.title_like(above) and not lay.connected(above, top, span))
    ):
        return None
    return top, lay.extend(top, bottom + 1, groups=False)


def _detect(
    rows: Sequence[Sequence[Any]], merges: Sequence[_Merge], start: int, fixed: bool
) -> tuple[int, int]:
    """``(header start, data start)``, 0-based sheet rows; equal when there is no header."""
    lay = _Layout(rows, merges, start)
    first = lay.first_filled(start)
    if first is None:
        return start, start
    data = lay.first_data(first)
    if fixed:  # the header starts at the first non-empty row from ``start``
        if data is not None and data - first <= MAX_AUTO_HEADER_ROWS:
            while data - 1 >= first and not lay.blank(data - 1) and lay.data[data - 1]:
                data -= 1
            bottom = data - 1
            while bottom >= first and lay.blank(bottom):
                bottom -= 1
            if bottom < first:
                return first, first
            return first, lay.extend(first, bottom + 1, groups=False)
        return first, lay.extend(first, first + 1, groups=True)
    if data is not None:
        found = _header_above(lay, first, data)
        if found is not None:
            return found
    span = lay.span(None)
    head = next(
        (
            r
            for r in range(first, lay.end)
            if not lay.blank(r) and not (lay.title_like(r) and not lay.connected(r, r + 1, span))
        ),
        first,
    )
    return head, lay.extend(head, head + 1, groups=True)


# ---------------------------------------------------------------------------------------------
# Table
# ---------------------------------------------------------------------------------------------


def _header_names(
    rows: Sequence[Sequence[Any]], merges: Sequence[_Merge], top: int, stop: int, width: int
) -> list[str]:
    block = [[_header_text(_at(rows, r, c)) for c in range(width)] for r in range(top, stop)]
    for m in merges:
        if top <= m.r1 < stop:
            value = _header_text(_at(rows, m.r1, m.c1))
            for r in range(m.r1, min(m.r2, stop - 1) + 1):
                for c in range(m.c1, min(m.c2, width - 1) + 1):
                    block[r - top][c] = value
    names = []
    for c in range(width):
        parts: list[str] = []
        for line in block:
            if line[c] and line[c] not in parts:
                parts.append(line[c])
        names.append(_JOIN.join(parts))
    return names


def _unique(names: Sequence[str]) -> list[str]:
    named = [name or f"column_{i}" for i, name in enumerate(names, 1)]
    taken = set(named)
    seen: set[str] = set()
    out = []
    for name in named:
        if name in seen:
            n = 2
            while f"{name} ({n})" in taken:
                n += 1
            name = f"{name} ({n})"
            taken.add(name)
        seen.add(name)
        out.append(name)
    return out


def _fill_merged_down(rows: list[list[Any]], merges: Sequence[_Merge], first: int) -> None:
    """A cell merged over several data rows holds its value in each of them (its column)."""
    for m in merges:
        if m.r1 >= first and m.r2 > m.r1 and m.r1 < len(rows):
            value = _at(rows, m.r1, m.c1)
            if not _filled(value):
                continue
            for r in range(m.r1 + 1, min(m.r2, len(rows) - 1) + 1):
                if m.c1 < len(rows[r]) and not _filled(rows[r][m.c1]):
                    rows[r][m.c1] = value


def _columns(rows: Sequence[Sequence[Any]], first: int, width: int) -> Iterator[list[str | None]]:
    data = rows[first:]
    for c in range(width):
        yield [cell_text(row[c]) if c < len(row) else None for row in data]


def _build(
    name: str,
    rows: list[list[Any]],
    merges: Sequence[_Merge],
    top: int,
    stop: int,
) -> ExcelTable:
    stop = min(max(stop, top), len(rows))
    top = min(top, stop)
    width = max((len(row) for row in rows), default=0)
    names = _header_names(rows, merges, top, stop, width)
    _fill_merged_down(rows, merges, stop)
    arrays = [pa.array(col, type=pa.string()) for col in _columns(rows, stop, width)]
    used = [c for c in range(width) if names[c] or arrays[c].null_count < len(arrays[c])]
    if used:
        keep = range(used[0], used[-1] + 1)
        names = [names[c] for c in keep]
        arrays = [arrays[c] for c in keep]
    else:
        names, arrays = [], []
    numbers = pa.array(range(stop + 1, len(rows) + 1), type=pa.int64())
    if arrays:
        mask = arrays[0].is_valid()
        for array in arrays[1:]:
            mask = pc.or_(mask, array.is_valid())
        arrays = [array.filter(mask) for array in arrays]
        numbers = numbers.filter(mask)
    else:
        numbers = numbers.slice(0, 0)
    table = pa.Table.from_arrays(arrays, names=_unique(names)) if arrays else pa.table({})
    row_numbers = tuple(numbers.to_pylist())
    return ExcelTable(
        table=table,
        sheet=name,
        header_rows=stop - top,
        first_data_row=row_numbers[0] if row_numbers else stop + 1,
        row_numbers=row_numbers,
    )


def _read(book: _Book, name: str, header_rows: int | None, skip_rows: int | None) -> ExcelTable:
    rows, merges = book.load(name)
    if skip_rows is not None and header_rows is not None:
        top, stop = skip_rows, skip_rows + header_rows
    elif skip_rows is not None:
        top, stop = _detect(rows, merges, skip_rows, fixed=True)
    else:
        top, stop = _detect(rows, merges, 0, fixed=False)
        if header_rows is not None:
            stop = top + header_rows
    return _build(name, rows, merges, top, stop)


def _check_counts(header_rows: int | None, skip_rows: int | None) -> None:
    for label, value in (("header_rows", header_rows), ("skip_rows", skip_rows)):
        if value is not None and (isinstance(value, bool) or value < 0):
            raise ValueError(f"{label} must be None or a non-negative integer, not {value!r}")


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def sheet_names(path: Path) -> list[str]:
    """The workbook's worksheets in order, hidden ones included (chart sheets are not)."""
    with _Book(path) as book:
        return list(book.sheets)


def read_sheet(
    path: Path,
    sheet: str | int | None = None,
    header_rows: int | None = None,
    skip_rows: int | None = None,
) -> ExcelTable:
    """One sheet (name, index into :func:`sheet_names`, or ``None`` for the first).

    ``skip_rows``: sheet rows above the header; ``header_rows``: rows in the header (0: no
    header, columns named ``column_1``...). Either left ``None`` is detected. Raises
    :class:`ExcelError` for an unreadable file or an unknown sheet.
    """
    _check_counts(header_rows, skip_rows)
    with _Book(path) as book:
        return _read(book, book.resolve(sheet), header_rows, skip_rows)


def read_all_sheets(
    path: Path,
    *,
    header_rows: int | None = None,
    skip_rows: int | None = None,
    include_hidden: bool = False,
) -> list[ExcelTable]:
    """Every worksheet that has content, in workbook order; hidden sheets (often lookup
    lists behind drop-downs) only with ``include_hidden``."""
    _check_counts(header_rows, skip_rows)
    tables = []
    with _Book(path) as book:
        for name in book.sheets:
            if name in book.hidden and not include_hidden:
                continue
            found = _read(book, name, header_rows, skip_rows)
            if found.table.num_columns:
                tables.append(found)
    return tables
