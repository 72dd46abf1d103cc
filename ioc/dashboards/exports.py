"""A chart's figures as a file: CSV (UTF-8 with BOM, so Excel reads Vietnamese) or XLSX,
with a title line saying what, when and for whom (scope) the figures were taken.
Images (PNG, SVG) are made in the browser from the drawn chart."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from ioc.dashboards.models import Chart
from ioc.dashboards.query import Answer

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def table(answer: Answer) -> tuple[list[str], list[list[Any]]]:
    """Header and rows: unit codes beside their names, metrics by their labels."""
    header = [str(c.get("label") or c["name"]) for c in answer.columns]
    for i, c in enumerate(answer.columns):
        if c["kind"] == "unit_name":
            header[i] = f"{header[i - 1]} (tên / name)" if i else "tên / name"
    return header, answer.rows


def render(chart: Chart, answer: Answer, fmt: str, caption: str) -> bytes:
    header, rows = table(answer)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([f"{chart.name} — {caption}"])
        writer.writerow(header)
        writer.writerows(rows)
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.title = chart.key[:31]
    sheet.append([chart.name])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([caption])
    sheet.append([])
    sheet.append(header)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
