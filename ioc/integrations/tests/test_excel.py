"""Excel sheets as text tables: titles skipped, merged multi-row headers, cell conversion."""

from __future__ import annotations

import datetime as dt
import shutil
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pytest

from ioc.integrations.excel import (
    ExcelError,
    ExcelTable,
    cell_text,
    read_all_sheets,
    read_sheet,
    sheet_names,
)

TITLE = "BÁO CÁO SỐ LIỆU THÁNG 10/2026"


def write(
    path: Path,
    rows: Sequence[Sequence[Any]],
    merges: Sequence[str] = (),
    *,
    title: str = "Sheet1",
) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    fill(ws, rows, merges)
    wb.save(path)
    return path


def fill(ws: Any, rows: Sequence[Sequence[Any]], merges: Sequence[str] = ()) -> None:
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    for area in merges:
        ws.merge_cells(area)


def columns(found: ExcelTable) -> list[str]:
    return found.table.column_names


def records(found: ExcelTable) -> list[tuple[str | None, ...]]:
    return [tuple(row.values()) for row in found.table.to_pylist()]


# ---------------------------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------------------------


def test_simple_table(tmp_path: Path) -> None:
    path = write(
        tmp_path / "simple.xlsx",
        [
            ["Mã", "Tên đơn vị", "Số lượng"],
            ["P01", "Phường Phú Cường", 12],
            ["X02", "Xã Bình Mỹ", 7],
        ],
    )
    found = read_sheet(path)
    assert found.sheet == "Sheet1"
    assert (found.header_rows, found.first_data_row) == (1, 2)
    assert found.row_numbers == (2, 3)
    assert columns(found) == ["Mã", "Tên đơn vị", "Số lượng"]
    assert records(found) == [("P01", "Phường Phú Cường", "12"), ("X02", "Xã Bình Mỹ", "7")]
    assert all(field.type == pa.string() for field in found.table.schema)


POPULATION = [
    [TITLE],
    [],
    ["Đơn vị", "Dân số", None, "Ghi chú"],
    [None, "Nam", "Nữ"],
    ["Phường Phú Cường", 1200, 1300.5, "mới"],
    ["Xã Bình Mỹ", 800, 850, None],
    ["Tổng cộng", 2000, 2150.5, None],
]
POPULATION_MERGES = ["A1:D1", "A3:A4", "B3:C3", "D3:D4"]
POPULATION_COLUMNS = ["Đơn vị", "Dân số / Nam", "Dân số / Nữ", "Ghi chú"]


def test_title_and_two_row_merged_header(tmp_path: Path) -> None:
    path = write(tmp_path / "pop.xlsx", POPULATION, POPULATION_MERGES)
    found = read_sheet(path)
    assert columns(found) == POPULATION_COLUMNS
    assert (found.header_rows, found.first_data_row) == (2, 5)
    assert records(found) == [
        ("Phường Phú Cường", "1200", "1300.5", "mới"),
        ("Xã Bình Mỹ", "800", "850", None),
        ("Tổng cộng", "2000", "2150.5", None),  # the total row is kept
    ]


def test_titles_without_blank_row_and_unit_note(tmp_path: Path) -> None:
    rows = [
        ["UBND TỈNH BÌNH DƯƠNG", None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
        [TITLE],
        [None, None, None, "Đơn vị tính: người"],
        *POPULATION[2:],
    ]
    merges = ["A1:C1", "D1:F1", "A2:F2", "A4:A5", "B4:C4", "D4:D5"]
    found = read_sheet(write(tmp_path / "t.xlsx", rows, merges))
    assert columns(found) == POPULATION_COLUMNS
    assert found.header_rows == 2
    assert found.row_numbers == (6, 7, 8)


def test_title_directly_above_header(tmp_path: Path) -> None:
    rows = [[TITLE], *POPULATION[2:]]
    found = read_sheet(write(tmp_path / "t.xlsx", rows, ["A1:D1", "A2:A3", "B2:C2", "D2:D3"]))
    assert columns(found) == POPULATION_COLUMNS
    assert (found.header_rows, found.first_data_row) == (2, 4)


def test_unmerged_two_row_header(tmp_path: Path) -> None:
    found = read_sheet(write(tmp_path / "u.xlsx", POPULATION, ["A1:D1"]))
    assert columns(found) == ["Đơn vị", "Dân số / Nam", "Nữ", "Ghi chú"]
    assert found.header_rows == 2


def test_three_row_header_with_year_labels(tmp_path: Path) -> None:
    rows = [
        ["BIỂU 01"],
        ["STT", "Đơn vị", "Dân số", None, None, None],
        [None, None, "Thành thị", None, "Nông thôn"],
        [None, None, 2025, 2026, 2025, 2026],  # numbers, but spanned by STT/Đơn vị
        [1, "Phường A", "1.234,5", 10, 11, 12],
        [2, "Phường B", 3, 4, 5, 6],
    ]
    merges = ["A1:F1", "A2:A4", "B2:B4", "C2:F2", "C3:D3", "E3:F3"]
    found = read_sheet(write(tmp_path / "three.xlsx", rows, merges))
    assert found.header_rows == 3
    assert columns(found) == [
        "STT",
        "Đơn vị",
        "Dân số / Thành thị / 2025",
        "Dân số / Thành thị / 2026",
        "Dân số / Nông thôn / 2025",
        "Dân số / Nông thôn / 2026",
    ]
    assert records(found)[0] == ("1", "Phường A", "1.234,5", "10", "11", "12")


def test_year_and_date_column_labels(tmp_path: Path) -> None:
    rows = [
        ["NIÊN GIÁM THỐNG KÊ"],
        [],
        ["Chỉ tiêu", 2022, 2023, "Sơ bộ 2024"],
        ["Dân số", 1234.5, 1300.2, 1400],
    ]
    years = read_sheet(write(tmp_path / "years.xlsx", rows, ["A1:D1"]))
    assert columns(years) == ["Chỉ tiêu", "2022", "2023", "Sơ bộ 2024"]
    assert records(years) == [("Dân số", "1234.5", "1300.2", "1400")]
    day = dt.date(2026, 10, 1)
    rows = [["Trạm", day, day + dt.timedelta(days=1)], ["T1", 1.5, 0]]
    days = read_sheet(write(tmp_path / "days.xlsx", rows))
    assert columns(days) == ["Trạm", "2026-10-01", "2026-10-02"]
    # years in every row are data, not labels
    rows = [["Dự án", "Bắt đầu", "Kết thúc"], ["A", 2020, 2025], ["B", 2021, 2026]]
    projects = read_sheet(write(tmp_path / "projects.xlsx", rows))
    assert columns(projects) == ["Dự án", "Bắt đầu", "Kết thúc"]
    assert projects.row_numbers == (2, 3)


def test_two_group_cells_over_a_full_label_row(tmp_path: Path) -> None:
    rows = [["Dân số", None, "Diện tích"], ["Nam", "Nữ", "Đất ở", "Đất NN"], [1, 2, 3, 4]]
    found = read_sheet(write(tmp_path / "groups.xlsx", rows, ["A1:B1", "C1:D1"]))
    assert columns(found) == [
        "Dân số / Nam",
        "Dân số / Nữ",
        "Diện tích / Đất ở",
        "Diện tích / Đất NN",
    ]


def test_column_number_row_ends_the_header_and_is_kept(tmp_path: Path) -> None:
    rows = [*POPULATION[:4], ["A", "(1)", "(2)", "(3)=(1)+(2)"], *POPULATION[4:]]
    found = read_sheet(write(tmp_path / "numbered.xlsx", rows, POPULATION_MERGES))
    assert columns(found) == POPULATION_COLUMNS
    assert found.header_rows == 2
    assert records(found)[0] == ("A", "(1)", "(2)", "(3)=(1)+(2)")  # the caller's rules decide


def test_numbers_as_text_are_data(tmp_path: Path) -> None:
    rows = [[TITLE], ["Đơn vị", "Diện tích", "Dân số"], ["Xã A", "1.234,5", "12.000"]]
    found = read_sheet(write(tmp_path / "n.xlsx", rows, ["A1:C1"]))
    assert columns(found) == ["Đơn vị", "Diện tích", "Dân số"]
    assert records(found) == [("Xã A", "1.234,5", "12.000")]


def test_text_only_table(tmp_path: Path) -> None:
    rows = [
        ["DANH SÁCH CƠ SỞ"],
        [],
        ["Tên cơ sở", "Địa chỉ", "Người liên hệ"],
        ["Cơ sở A", "Phường Phú Cường", "Nguyễn Văn An"],
        ["Cơ sở B", "Xã Bình Mỹ", "Trần Thị Bình"],
    ]
    found = read_sheet(write(tmp_path / "text.xlsx", rows, ["A1:C1"]))
    assert columns(found) == ["Tên cơ sở", "Địa chỉ", "Người liên hệ"]
    assert found.first_data_row == 4
    assert len(records(found)) == 2


def test_text_rows_before_the_first_number_stay_data(tmp_path: Path) -> None:
    rows = [
        ["Họ tên", "Địa chỉ", "Điện thoại", "Số tiền"],
        ["Nguyễn Văn An", "Phường A", "0912 345 678", None],
        ["Trần Thị Bình", "Phường B", "0987 654 321", None],
        ["Lê Văn Cường", "Phường C", "0903 111 222", 150000],
    ]
    found = read_sheet(write(tmp_path / "late.xlsx", rows))
    assert columns(found) == ["Họ tên", "Địa chỉ", "Điện thoại", "Số tiền"]
    assert found.row_numbers == (2, 3, 4)


def test_no_header_row(tmp_path: Path) -> None:
    found = read_sheet(write(tmp_path / "raw.xlsx", [["A", 1, 2.5], ["B", 3, 4]]))
    assert found.header_rows == 0
    assert columns(found) == ["column_1", "column_2", "column_3"]
    assert records(found) == [("A", "1", "2.5"), ("B", "3", "4")]


def test_explicit_header_rows_and_skip_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "pop.xlsx", POPULATION, POPULATION_MERGES)
    both = read_sheet(path, header_rows=2, skip_rows=2)
    assert columns(both) == POPULATION_COLUMNS
    only_skip = read_sheet(path, skip_rows=1)  # the blank row is skipped too
    assert columns(only_skip) == POPULATION_COLUMNS
    one = read_sheet(path, header_rows=1)
    assert columns(one) == ["Đơn vị", "Dân số", "Dân số (2)", "Ghi chú"]
    assert records(one)[0] == (None, "Nam", "Nữ", None)
    none = read_sheet(path, header_rows=0, skip_rows=4)
    assert columns(none) == ["column_1", "column_2", "column_3", "column_4"]
    assert none.row_numbers == (5, 6, 7)
    with pytest.raises(ValueError, match="header_rows"):
        read_sheet(path, header_rows=-1)


def test_duplicate_and_empty_header_names(tmp_path: Path) -> None:
    rows = [
        ["Tên", None, "Tên", "Tên", "Ghi  chú\n(nếu có)", "column_2"],
        ["a", "b", "c", "d", "e", "f"],
        [1, 2, 3, 4, 5, 6],
    ]
    found = read_sheet(write(tmp_path / "dup.xlsx", rows), header_rows=1)
    assert columns(found) == [
        "Tên",
        "column_2",
        "Tên (2)",
        "Tên (3)",
        "Ghi chú (nếu có)",
        "column_2 (2)",
    ]


# ---------------------------------------------------------------------------------------------
# Rows, columns and cells
# ---------------------------------------------------------------------------------------------


def test_empty_rows_and_columns_dropped(tmp_path: Path) -> None:
    rows = [
        [],
        [None, "Mã", "Tên", None, "Số"],
        [None, "A", "Một", None, 1],
        [],
        [None, "   ", None, None, None],  # only spaces: empty
        [None, "B", "Hai", None, 2],
        [None, "Tổng", None, None, 3],
        [],
        [],
    ]
    found = read_sheet(write(tmp_path / "gaps.xlsx", rows))
    assert columns(found) == ["Mã", "Tên", "column_3", "Số"]  # inner empty column kept
    assert records(found) == [
        ("A", "Một", None, "1"),
        ("B", "Hai", None, "2"),
        ("Tổng", None, None, "3"),
    ]
    assert found.row_numbers == (3, 6, 7)
    assert found.first_data_row == 3


def test_merged_data_cells_fill_down(tmp_path: Path) -> None:
    rows = [
        ["Huyện", "Xã", "Dân số"],
        ["Huyện A", "Xã 1", 10],
        [None, "Xã 2", 20],
        ["Huyện B", "Xã 3", 30],
        ["I. Khu vực thành thị"],
    ]
    found = read_sheet(write(tmp_path / "m.xlsx", rows, ["A2:A3", "A5:C5"]))
    assert records(found) == [
        ("Huyện A", "Xã 1", "10"),
        ("Huyện A", "Xã 2", "20"),
        ("Huyện B", "Xã 3", "30"),
        ("I. Khu vực thành thị", None, None),  # not copied across columns
    ]


def test_cell_conversion(tmp_path: Path) -> None:
    rows = [
        ["Số", "Ngày", "Chữ"],
        [12, dt.datetime(2026, 10, 5), "  1.234,5 "],
        [1234.5, dt.datetime(2026, 10, 5, 8, 30), True],
        [-0.25, dt.date(2026, 1, 2), False],
        [1e-7, dt.time(8, 30), "=không phải công thức"],
        [1e20, dt.datetime(2026, 10, 5, 8, 30, 15, 500000), 0.1 + 0.2],
    ]
    found = read_sheet(write(tmp_path / "cells.xlsx", rows))
    assert records(found) == [
        ("12", "2026-10-05", "1.234,5"),
        ("1234.5", "2026-10-05T08:30:00", "true"),
        ("-0.25", "2026-01-02", "false"),
        ("0.0000001", "08:30:00", None),  # an (uncomputed) formula has no cached value
        ("100000000000000000000", "2026-10-05T08:30:15.500000", "0.3"),
    ]


def test_cell_text() -> None:
    assert cell_text(None) is None
    assert cell_text("") is None
    assert cell_text(" \u00a0 ") is None
    assert cell_text(" Bình Dương ") == "Bình Dương"
    assert cell_text(12) == "12"
    assert cell_text(12.0) == "12"
    assert cell_text(-0.0) == "0"
    assert cell_text(1234.5) == "1234.5"
    assert cell_text(1.5e-9) == "0.0000000015"
    assert cell_text(True) == "true"
    assert cell_text(dt.datetime(2026, 10, 5)) == "2026-10-05"
    assert cell_text(dt.datetime(2026, 10, 5, 0, 0, 1)) == "2026-10-05T00:00:01"
    assert cell_text(dt.date(2026, 10, 5)) == "2026-10-05"
    assert cell_text(dt.timedelta(hours=27, minutes=5)) == "27:05:00"


def test_vietnamese_text_kept_exactly(tmp_path: Path) -> None:
    names = [
        "Ủy ban nhân dân tỉnh Bình Dương",
        "Huyện Đắk Lắk",
        "THỊ XÃ BẾN CÁT",
        "Nguyễn Thị Ngọc Ánh",
        "khuỷu tay, rượu, Quảng Ngãi",
    ]
    nfc = [unicodedata.normalize("NFC", name) for name in names]
    rows = [["Tên đơn vị", "Số"], *([name, i] for i, name in enumerate(nfc))]
    found = read_sheet(write(tmp_path / "vi.xlsx", rows))
    values = found.table.column("Tên đơn vị").to_pylist()
    assert values == nfc
    assert all(unicodedata.is_normalized("NFC", v) for v in values)
    assert columns(found)[0] == unicodedata.normalize("NFC", "Tên đơn vị")


# ---------------------------------------------------------------------------------------------
# Sheets
# ---------------------------------------------------------------------------------------------


def three_sheets(path: Path) -> Path:
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    first.title = "Dân số"
    fill(first, POPULATION, POPULATION_MERGES)
    fill(wb.create_sheet("Trống"), [])
    fill(wb.create_sheet("Đất đai"), [["Loại đất", "Diện tích"], ["Đất ở", 12.5]])
    fill(wb.create_sheet("Chi tiết"), [["Mã", "Tên"], ["X1", "Xã 1"]])
    hidden = wb.create_sheet("DM")
    fill(hidden, [["Mã"], ["A"]])
    hidden.sheet_state = "hidden"
    wb.save(path)
    return path


def test_sheets_by_name_index_and_all(tmp_path: Path) -> None:
    path = three_sheets(tmp_path / "book.xlsx")
    assert sheet_names(path) == ["Dân số", "Trống", "Đất đai", "Chi tiết", "DM"]
    assert read_sheet(path).sheet == "Dân số"
    by_name = read_sheet(path, "Đất đai")
    assert (by_name.sheet, columns(by_name)) == ("Đất đai", ["Loại đất", "Diện tích"])
    assert records(by_name) == [("Đất ở", "12.5")]
    assert read_sheet(path, 3).sheet == "Chi tiết"
    empty = read_sheet(path, "Trống")
    assert (empty.table.num_columns, empty.table.num_rows, empty.header_rows) == (0, 0, 0)
    everything = read_all_sheets(path)
    assert [t.sheet for t in everything] == ["Dân số", "Đất đai", "Chi tiết"]
    assert columns(everything[0]) == POPULATION_COLUMNS
    with_hidden = read_all_sheets(path, include_hidden=True)
    assert [t.sheet for t in with_hidden][-1] == "DM"
    fixed = read_all_sheets(path, header_rows=1, skip_rows=0)
    assert columns(fixed[1]) == ["Loại đất", "Diện tích"]


def test_unknown_sheet(tmp_path: Path) -> None:
    path = three_sheets(tmp_path / "book.xlsx")
    with pytest.raises(ExcelError, match="«Đất đai»") as info:
        read_sheet(path, "Tháng 10")
    assert "Không có trang tính" in str(info.value)
    assert "There is no sheet" in str(info.value)
    with pytest.raises(ExcelError, match="«Chi tiết»"):
        read_sheet(path, 9)


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "Tên;Số\nXã A;1.234,5\n".encode(),
        bytes(range(256)) * 8,
        b"",
        b"PK\x03\x04 not really a zip",
    ],
    ids=["csv", "random", "empty", "broken-zip"],
)
def test_invalid_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    for call in (sheet_names, read_sheet, read_all_sheets):
        with pytest.raises(ExcelError) as info:
            call(path)
        message = str(info.value)
        assert message.startswith("Tệp Excel không đọc được: ")
        assert "/ The Excel file cannot be read: " in message
        assert isinstance(info.value, ValueError)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_sheet(tmp_path / "missing.xlsx")


def test_xlsx_under_another_name(tmp_path: Path) -> None:
    original = write(tmp_path / "real.xlsx", [["Mã", "Số"], ["A", 1]])
    for name in ("upload.xls", "upload.bin", "upload"):
        renamed = tmp_path / name
        shutil.copy(original, renamed)
        assert records(read_sheet(renamed)) == [("A", "1")]


def test_large_sheet(tmp_path: Path) -> None:
    n = 50_000
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Lớn")
    ws.append([TITLE])
    ws.append([])
    ws.append(["Mã", "Số lượng", "Giá trị"])
    for i in range(n):
        ws.append([f"Đơn vị {i}", i, i * 0.5])
    path = tmp_path / "large.xlsx"
    wb.save(path)
    found = read_sheet(path)
    assert found.table.num_rows == n
    assert columns(found) == ["Mã", "Số lượng", "Giá trị"]
    assert found.first_data_row == 4
    assert found.row_numbers[-1] == n + 3
    last = found.table.slice(n - 1).to_pylist()[0]
    assert last == {"Mã": "Đơn vị 49999", "Số lượng": "49999", "Giá trị": "24999.5"}
