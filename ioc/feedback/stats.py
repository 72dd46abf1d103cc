"""Citizen reports into the shared warehouse, as the dataset ``phan_anh_kien_nghi`` (the
seed's "citizen interaction" sector): one row per report, with no personal data, so the
dashboards chart reports by category, commune, agency, channel and status, the on-time
rate (the average of ``ty_le_dung_han``) and satisfaction (of ``ty_le_hai_long``) like any
other sector, and
the semantic layer's scope and rollups apply.

:func:`sync` upserts the reports changed since the dataset's last arrival (the key is the
report's number); the periodic job runs it every 5 minutes, and the demo once at load.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
from django.utils import timezone

from ioc.feedback.choices import OPEN, Status
from ioc.feedback.models import Report
from ioc.jobs.periodic import periodic
from ioc.warehouse import writer
from ioc.warehouse.models import Dataset
from ioc.warehouse.schema import column
from ioc.warehouse.services import announce_change, ensure_platform_dataset

SLUG = "phan_anh_kien_nghi"
ANSWERED = (Status.RESOLVED, Status.CLOSED)


COLUMNS = [
    column("ma", "text", "attribute", "Số phản ánh", "Report number", required=True),
    column("ngay", "timestamp", "time", "Thời điểm tiếp nhận", "Received", required=True),
    column("ma_xa", "text", "unit", "Phường/xã", "Commune"),
    column("linh_vuc", "text", "dimension", "Lĩnh vực", "Category"),
    column("co_quan", "text", "dimension", "Cơ quan xử lý", "Handling agency"),
    column("trang_thai", "text", "dimension", "Trạng thái", "Status"),
    column("kenh", "text", "dimension", "Kênh tiếp nhận", "Channel"),
    column("so_phan_anh", "integer", "measure", "Số phản ánh", "Reports", unit="phản ánh"),
    column("da_tra_loi", "integer", "measure", "Đã trả lời", "Answered", unit="phản ánh"),
    column(
        "dung_han",
        "integer",
        "measure",
        "Trả lời đúng hạn",
        "Answered on time",
        unit="phản ánh",
    ),
    column("qua_han", "integer", "measure", "Quá hạn", "Overdue", unit="phản ánh"),
    column("hai_long", "integer", "measure", "Hài lòng", "Satisfied", unit="phản ánh"),
    column(
        "khong_hai_long",
        "integer",
        "measure",
        "Không hài lòng",
        "Not satisfied",
        unit="phản ánh",
    ),
    column("gio_xu_ly", "decimal", "measure", "Số giờ xử lý", "Hours to answer", unit="giờ"),
    # 100 or 0 on the rows concerned, empty on the others: their average is the percentage.
    column(
        "ty_le_dung_han",
        "decimal",
        "measure",
        "Tỷ lệ trả lời đúng hạn",
        "Answered on time",
        unit="%",
    ),
    column("ty_le_hai_long", "decimal", "measure", "Tỷ lệ hài lòng", "Satisfied", unit="%"),
]
SCHEMA: dict[str, Any] = {"columns": COLUMNS, "key": ["ma"]}


def ensure_dataset() -> Dataset | None:
    return ensure_platform_dataset(
        SLUG,
        SCHEMA,
        name="Phản ánh, kiến nghị của người dân",
        name_en="Citizen reports",
        description=(
            "Mỗi dòng một phản ánh (không có thông tin cá nhân): lĩnh vực, phường/xã, cơ quan, "
            "trạng thái, đúng hạn, mức hài lòng. Cập nhật 5 phút một lần từ hệ thống phản ánh."
        ),
        sectors=("dich-vu-cong",),
        cadence="daily",
        due_time=dt.time(8),
        is_open=True,
    )


def rows(reports: Any, now: dt.datetime) -> pa.Table:
    out: dict[str, list[Any]] = {c["name"]: [] for c in COLUMNS}
    for r in reports:
        answered = r.status in ANSWERED
        out["ma"].append(str(r.pk))
        out["ngay"].append(timezone.localtime(r.received_at).replace(tzinfo=None))
        out["ma_xa"].append(r.unit.code if r.unit_id else None)
        out["linh_vuc"].append(r.category.name)
        out["co_quan"].append(r.agency.name)
        out["trang_thai"].append(str(Status(r.status).label))
        out["kenh"].append(r.channel)
        out["so_phan_anh"].append(1)
        out["da_tra_loi"].append(int(answered))
        on_time = answered and r.closed_at is not None and r.closed_at <= r.due_at
        out["dung_han"].append(int(on_time))
        late = (r.status in OPEN and r.due_at < now) or (answered and not on_time)
        out["qua_han"].append(int(late))
        out["hai_long"].append(int(r.rating == "satisfied"))
        out["khong_hai_long"].append(int(r.rating == "unsatisfied"))
        hours = (
            (r.closed_at - r.received_at).total_seconds() / 3600
            if answered and r.closed_at
            else None
        )
        out["gio_xu_ly"].append(round(hours, 2) if hours is not None else None)
        out["ty_le_dung_han"].append((100.0 if on_time else 0.0) if answered else None)
        out["ty_le_hai_long"].append(
            (100.0 if r.rating == "satisfied" else 0.0) if r.rating else None
        )
    table = pa.table(out)
    return table.append_column("_row", pa.array(range(1, table.num_rows + 1), pa.int64()))


def sync(now: dt.datetime | None = None, *, full: bool = False) -> int:
    """Upsert the reports changed since the last sync (all of them with ``full``)."""
    now = now or timezone.now()
    dataset = ensure_dataset()
    if dataset is None:
        return 0
    reports = Report.objects.all()  # every report received, merged and rejected ones too
    if dataset.last_arrival_at and not full:
        # a minute's overlap: a report saved while the last sync ran is not missed
        reports = reports.filter(updated_at__gte=dataset.last_arrival_at - dt.timedelta(minutes=1))
    schema = dataset.parsed_schema
    written = 0
    qs = reports.select_related("category", "agency", "unit").order_by("pk")
    last = 0
    while True:
        chunk = list(qs.filter(pk__gt=last)[:20_000])
        if not chunk:
            break
        last = chunk[-1].pk
        result = writer.write_batch(SLUG, schema, rows(chunk, now), source="feedback")
        announce_change(dataset, result)
        written += result.accepted
    return written


@periodic("feedback.statistics", every=dt.timedelta(minutes=5))
def statistics(now: dt.datetime) -> dict[str, Any]:
    return {"rows": sync(now)}
