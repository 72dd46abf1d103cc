"""Camera health into the shared warehouse, as the dataset ``camera_health``: one row per
camera per probe round (its status, latency, commune, agency and group), so the dashboards
chart online cameras and uptime by commune, agency and group like any other figure (the
average of ``ty_le_truc_tuyen`` is the uptime in percent), with scope and rollups applied.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from django.utils import timezone

from ioc.cameras.choices import Status
from ioc.cameras.models import Camera
from ioc.warehouse import writer
from ioc.warehouse.models import Dataset
from ioc.warehouse.schema import column
from ioc.warehouse.services import announce_change, ensure_platform_dataset

if TYPE_CHECKING:
    from ioc.cameras.health import Probe

SLUG = "camera_health"


COLUMNS = [
    column("thoi_diem", "timestamp", "time", "Thời điểm kiểm tra", "Probed at", required=True),
    column("ma_camera", "text", "dimension", "Mã camera", "Camera", required=True),
    column("ma_xa", "text", "unit", "Phường/xã", "Commune"),
    column("co_quan", "text", "dimension", "Cơ quan quản lý", "Owner agency"),
    column("nhom", "text", "dimension", "Nhóm camera", "Camera group"),
    column("trang_thai", "text", "dimension", "Trạng thái", "Status"),
    column("so_camera", "integer", "measure", "Số camera", "Cameras", unit="camera"),
    column("truc_tuyen", "integer", "measure", "Trực tuyến", "Online", unit="camera"),
    column("gian_doan", "integer", "measure", "Chập chờn", "Degraded", unit="camera"),
    column("mat_tin_hieu", "integer", "measure", "Mất tín hiệu", "Offline", unit="camera"),
    # 100 or 0: its average over a period is the uptime in percent.
    column("ty_le_truc_tuyen", "decimal", "measure", "Tỷ lệ trực tuyến", "Uptime", unit="%"),
    column("do_tre_ms", "decimal", "measure", "Độ trễ lấy hình", "Probe latency", unit="ms"),
]
SCHEMA: dict[str, Any] = {"columns": COLUMNS, "key": ["ma_camera", "thoi_diem"]}


HEALTH_NAMES = (
    "Tình trạng camera giám sát",
    "Camera health",
    "Mỗi dòng một lần kiểm tra một camera: trạng thái, độ trễ, phường/xã, cơ quan quản lý, "
    "nhóm. Ghi sau mỗi lượt kiểm tra của hệ thống camera.",
)
ACTIVITY_COLUMNS = [
    column("thoi_diem", "timestamp", "time", "Phút đo", "Minute", required=True),
    column("ma_camera", "text", "dimension", "Mã camera", "Camera", required=True),
    column("ma_xa", "text", "unit", "Phường/xã", "Commune"),
    column("hoat_dong", "decimal", "measure", "Mức hoạt động", "Activity", unit="%"),
    column("vuot_nguong", "integer", "measure", "Vượt ngưỡng", "Above threshold", unit="lần"),
    column("so_doi_tuong", "integer", "measure", "Số đối tượng", "Objects counted"),
]
ACTIVITY_SCHEMA: dict[str, Any] = {"columns": ACTIVITY_COLUMNS, "key": ["ma_camera", "thoi_diem"]}
ACTIVITY_NAMES = (
    "Mức hoạt động trong vùng giám sát của camera",
    "Camera activity",
    "Mỗi dòng một camera trong một phút: phần trăm điểm ảnh chuyển động trong vùng giám sát "
    "(phân tích chuyển động, không dùng mô hình tải về).",
)


def ensure_dataset(
    slug: str = SLUG,
    schema: dict[str, Any] | None = None,
    names: tuple[str, str, str] = HEALTH_NAMES,
) -> Dataset | None:
    name, name_en, description = names
    return ensure_platform_dataset(
        slug,
        schema or SCHEMA,
        name=name,
        name_en=name_en,
        description=description,
        sectors=("an-ninh-trat-tu", "giao-thong"),
        cadence="hourly",
    )


def write(dataset: Dataset, table: pa.Table) -> int:
    table = table.append_column("_row", pa.array(range(1, table.num_rows + 1), pa.int64()))
    written = writer.write_batch(dataset.slug, dataset.parsed_schema, table, source="cameras")
    announce_change(dataset, written)
    return int(written.accepted)


def write_round(cameras: list[Camera], results: list[Probe], now: dt.datetime) -> int:
    dataset = ensure_dataset()
    if dataset is None or not results:
        return 0
    by_id = {camera.pk: camera for camera in cameras}
    groups: dict[int, str] = {}
    for camera_id, name in Camera.groups.through.objects.filter(
        camera_id__in=list(by_id)
    ).values_list("camera_id", "cameragroup__name"):
        groups.setdefault(camera_id, name)
    at = timezone.localtime(now).replace(tzinfo=None, microsecond=0)
    out: dict[str, list[Any]] = {c["name"]: [] for c in COLUMNS}
    for result in results:
        camera = by_id[result.camera_id]
        out["thoi_diem"].append(at)
        out["ma_camera"].append(camera.code)
        out["ma_xa"].append(camera.unit.code if camera.unit else None)
        out["co_quan"].append(camera.agency.name if camera.agency else None)
        out["nhom"].append(groups.get(camera.pk))
        out["trang_thai"].append(str(Status(result.status).label))
        out["so_camera"].append(1)
        out["truc_tuyen"].append(int(result.status == Status.ONLINE))
        out["gian_doan"].append(int(result.status == Status.DEGRADED))
        out["mat_tin_hieu"].append(int(result.status == Status.OFFLINE))
        out["ty_le_truc_tuyen"].append(100.0 if result.status != Status.OFFLINE else 0.0)
        out["do_tre_ms"].append(float(result.latency_ms) if result.latency_ms is not None else None)
    return write(dataset, pa.table(out))
