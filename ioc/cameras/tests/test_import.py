"""The registry from the province's spreadsheet: Vietnamese headers, credentials out of the
addresses and encrypted, the commune from the coordinates, and every bad row reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ioc.cameras.imports import import_file, import_upload
from ioc.cameras.models import Camera
from ioc.cameras.sources import password

pytestmark = pytest.mark.django_db

CSV = """Mã camera;Tên camera;Nhóm;Vĩ độ;Kinh độ;Cơ quan quản lý;Hãng;RTSP;Ảnh chụp
CAM-001;Ngã tư Phú Cường;giao-thong;10,96;106,61;so-gtvt;Hikvision;rtsp://admin:Pa55@10.1.2.3:554/Streaming/101;
CAM-002;Chợ Thủ Dầu Một;An ninh trật tự;10,961;106,63;;Dahua;;http://10.1.2.4/snap.jpg
;Thiếu mã;giao-thong;;;;;rtsp://10.1.2.5/x;
CAM-004;Sai nhóm;cong-vien;;;;;rtsp://10.1.2.6/x;
CAM-005;Không địa chỉ;giao-thong;;;;;;
CAM-006;Sai giao thức;giao-thong;;;;;http://10.1.2.7/x;
CAM-007;Tọa độ sai;giao-thong;abc;106;;;rtsp://10.1.2.8/x;
"""


def test_a_csv_list_adds_cameras_and_reports_each_bad_row(
    groups: dict[str, Any], agencies: dict[str, Any], units: dict[str, Any], tmp_path: Path
) -> None:
    from ioc.conftest import WARD_CELLS
    from ioc.core.choices import BoundaryOrigin
    from ioc.core.units import boundaries

    for code, cell in WARD_CELLS.items():
        boundaries.save(units["old"][code], cell, BoundaryOrigin.IMPORTED, "test")
    boundaries.derive_missing()
    path = tmp_path / "cameras.csv"
    path.write_text(CSV, encoding="utf-8")
    report = import_file(path)
    assert (report.created, report.updated) == (2, 0)
    reasons = {f.row: " ".join(f.reasons) for f in report.failed}
    assert set(reasons) == {4, 5, 6, 7, 8}
    assert "thiếu mã" in reasons[4] and "missing" in reasons[4]
    assert "cong-vien" in reasons[5] and "giao-thong" in reasons[5]  # names the known groups
    assert "ít nhất một địa chỉ" in reasons[6]
    assert "rtsp://" in reasons[7]
    assert "tọa độ" in reasons[8]

    one = Camera.objects.get(code="CAM-001")
    assert one.rtsp_url == "rtsp://10.1.2.3:554/Streaming/101"  # no credentials in the address
    assert one.username == "admin" and password(one) == "Pa55" and "Pa55" not in one.secret
    assert one.agency == agencies["traffic"] and (one.lat, one.lon) == (10.96, 106.61)
    assert one.unit == units["new_tdm"]  # the commune holding the point, today
    assert list(one.groups.values_list("code", flat=True)) == ["giao-thong"]
    two = Camera.objects.get(code="CAM-002")
    assert list(two.groups.values_list("code", flat=True)) == ["an-ninh"]  # by its name

    again = import_file(path)  # the same file again: updated, nothing doubled
    assert (again.created, again.updated) == (0, 2) and Camera.objects.count() == 2


def test_an_excel_list_and_a_file_that_is_not_a_list(
    groups: dict[str, Any], tmp_path: Path
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["code", "name", "groups", "snapshot", "username", "password"])
    sheet.append(["X-1", "Cầu Ông Cộ", "giao-thong", "http://10.0.0.9/snap.jpg", "viewer", "p"])
    path = tmp_path / "cameras.xlsx"
    book.save(path)
    report = import_file(path)
    assert report.created == 1 and not report.failed
    assert password(Camera.objects.get(code="X-1")) == "p"

    refused = import_upload(b"MZ\x90\x00", "cameras.exe")
    assert refused.failed and "CSV" in refused.failed[0].reasons[0]
