"""An area with polygons (the `units` fixture's wards), categories and handlers."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from ioc.accounts.choices import Role
from ioc.conftest import WARD_CELLS
from ioc.core.choices import BoundaryOrigin
from ioc.core.models import Agency
from ioc.core.units import boundaries
from ioc.feedback.models import Category

# Inside the new ward Thủ Dầu Một (25747: 106.60-106.66) and Phú Lợi (25750: 106.66-106.70).
IN_TDM = (10.96, 106.61)
IN_PHU_LOI = (10.96, 106.69)
OUTSIDE = (21.03, 105.85)  # Hà Nội


@pytest.fixture
def area(units: dict[str, Any], agencies: dict[str, Any], settings: Any, tmp_path: Any) -> Any:
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    for code, cell in WARD_CELLS.items():
        boundaries.save(units["old"][code], cell, BoundaryOrigin.IMPORTED, "test")
    boundaries.derive_missing()
    phu_loi = Agency.objects.create(
        code="ubnd-phu-loi", name="UBND phường Phú Lợi", kind="commune", unit=units["new_pl"]
    )
    garbage = Category.objects.create(
        code="rac-thai",
        name="Rác thải, vệ sinh môi trường",
        name_en="Garbage and sanitation",
        agency=agencies["traffic"],
        route_to="commune",
        deadline=3,
        attributes=[
            {
                "code": "loai",
                "datatype": "singlevaluelist",
                "required": True,
                "description": "Loại rác",
                "values": [
                    {"key": "sinh-hoat", "name": "Sinh hoạt"},
                    {"key": "xay-dung", "name": "Xây dựng"},
                ],
            }
        ],
    )
    road = Category.objects.create(
        code="hu-hong-duong",
        name="Hư hỏng đường, ổ gà",
        name_en="Road damage, potholes",
        agency=agencies["traffic"],
        sector=agencies["traffic"].sectors.first(),
        deadline=3,
    )
    flood = Category.objects.create(
        code="ngap-ung",
        name="Ngập úng",
        name_en="Flooding",
        agency=agencies["traffic"],
        deadline=4,
        deadline_unit="hours",
    )
    return {
        "units": units,
        "agencies": {**agencies, "phu_loi": phu_loi},
        "garbage": garbage,
        "road": road,
        "flood": flood,
    }


@pytest.fixture
def handlers(area: Any, make_user: Any) -> dict[str, Any]:
    """A handler of each ward (scope: the ward) and an operator of the whole area."""
    units = area["units"]
    return {
        "tdm": make_user("xuly_tdm", roles=[Role.FEEDBACK_HANDLER], units=[units["new_tdm"]]),
        "pl": make_user("xuly_pl", roles=[Role.FEEDBACK_HANDLER], units=[units["new_pl"]]),
        "operator": make_user("vanhanh", roles=[Role.OPERATOR], scope_all=True),
    }


def jpeg_with_gps(size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG whose EXIF holds a GPS position and the camera's make and serial number."""
    image = Image.new("RGB", size, (200, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber
    exif[0x0112] = 1  # Orientation
    gps = {1: "N", 2: (10.0, 57.0, 36.0), 3: "E", 4: (106.0, 36.0, 36.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()
