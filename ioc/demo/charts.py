"""The demo's dashboards: the province overview and one dashboard per sector, written as the
YAML files a province keeps in version control (``ioc/demo/dashboards/*.yaml``).

The files are what the demo loads (step "Dashboards", through the same import as
``ioc dashboards import``); this module wrote them from the demo's dataset specs and writes
them again after the specs change::

    ioc shell -c "from ioc.demo.charts import write; write()"

Each sector gets KPI tiles (this month, this year, against the target), monthly trends,
yearly totals, growth, the communes' ranking and table, the old districts before the July
2025 merger, categories (share, stacked, series) when the dataset has them, a calendar of
daily data, and data-completeness charts (communes reporting, records received).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ioc.dashboards import rollups
from ioc.dashboards.code import import_directory
from ioc.dashboards.models import Chart, Dashboard, Rollup, Wall, WallItem
from ioc.demo.datasets import OPEN_SECTORS, SPECS, Spec
from ioc.demo.province import SECTORS
from ioc.demo.registry import DemoContext, demo_step
from ioc.warehouse.models import Dataset

DIRECTORY = Path(__file__).parent / "dashboards"
# Aggregations of measures that have no indicator of their own.
AGGREGATIONS = {"aqi": "avg", "ho_ngheo": "last", "luong_mua_mm": "sum", "chi_phi": "sum"}


# Measures where a rise is bad news: KPI arrows turn red when they go up.
LOWER_IS_BETTER = {
    "pm25",
    "aqi",
    "ho_so_tre_han",
    "muc_nuoc_cm",
    "so_vu",
    "so_nguoi_chet",
    "ho_ngheo",
}


def kpi_options(measure: str, **extra: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"compare": "previous", **{k: v for k, v in extra.items() if v}}
    if measure in LOWER_IS_BETTER:
        options["lower_is_better"] = True
    return options


class Grid:
    """Places charts left to right on the 12-column grid, row by row."""

    def __init__(self) -> None:
        self.x = self.y = self.row_height = 0

    def place(self, w: int, h: int) -> list[int]:
        if self.x + w > 12:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        at = [self.x, self.y, w, h]
        self.x += w
        self.row_height = max(self.row_height, h)
        return at


def aggregation(spec: Spec, measure: str) -> str:
    for _code, _name, _en, ind_measure, agg, _target in spec.indicators:
        if ind_measure == measure:
            return agg
    return AGGREGATIONS.get(measure, "sum")


def sector_charts(spec: Spec) -> list[dict[str, Any]]:
    time = "ngay" if spec.grain == "day" else "thang"
    grid = Grid()
    charts: list[dict[str, Any]] = []

    def add(key: str, name: str, name_en: str, kind: str, w: int, h: int, **question: Any) -> None:
        options = question.pop("options", None)
        chart = {
            "key": key.replace("_", "-"),
            "name": name,
            "name_en": name_en,
            "kind": kind,
            "at": grid.place(w, h),
            "question": {"dataset": spec.slug, **question},
        }
        if options:
            chart["options"] = options
        charts.append(chart)

    first = spec.measures[0]
    code, ind_name, ind_en, _measure, _agg, target = spec.indicators[0]

    def metric(m: Any, id_: str = "v") -> dict[str, Any]:
        return {"id": id_, "agg": aggregation(spec, m.name), "column": m.name, "label": m.label}

    # KPI tiles: this month and this year for each measure, the indicator against its target.
    for m in spec.measures:
        add(
            f"{m.name}-thang-nay",
            f"{m.label}: tháng này",
            f"{m.label_en}: this month",
            "kpi",
            3,
            2,
            metrics=[metric(m)],
            time={"last": "1 months"},
            options=kpi_options(m.name, unit=m.unit),
        )
        add(
            f"{m.name}-nam-nay",
            f"{m.label}: năm nay",
            f"{m.label_en}: this year",
            "kpi",
            3,
            2,
            metrics=[metric(m)],
            time={"last": "1 years"},
            options=kpi_options(m.name, unit=m.unit),
        )
    if target is not None:
        add(
            "chi-tieu-so-voi-muc-tieu",
            f"{ind_name} so với mục tiêu",
            f"{ind_en} against target",
            "gauge",
            3,
            3,
            metrics=[{"id": "v", "indicator": code}],
            time={"last": "1 months"},
            options={"target": target},
        )
    add(
        "xa-bao-cao-thang-nay",
        "Số xã, phường có số liệu tháng này",
        "Communes reporting this month",
        "kpi",
        3,
        2,
        metrics=[{"id": "v", "agg": "count_distinct", "column": "ma_xa"}],
        time={"last": "1 months"},
    )
    add(
        "ban-ghi-thang-nay",
        "Số bản ghi nhận được tháng này",
        "Records received this month",
        "kpi",
        3,
        2,
        metrics=[{"id": "v", "agg": "count"}],
        time={"last": "1 months"},
        options={"compare": "previous"},
    )

    # Trends.
    for m in spec.measures:
        add(
            f"{m.name}-theo-thang",
            f"{m.label} theo tháng (3 năm)",
            f"{m.label_en} by month (3 years)",
            "line",
            6,
            4,
            metrics=[metric(m)],
            dimensions=[{"column": time, "grain": "month"}],
            time={"last": "36 months"},
        )
    add(
        f"{first.name}-theo-nam",
        f"{first.label} theo năm",
        f"{first.label_en} by year",
        "area",
        6,
        4,
        metrics=[metric(first)],
        dimensions=[{"column": time, "grain": "year"}],
    )
    add(
        f"{first.name}-theo-quy",
        f"{first.label} theo quý (2 năm)",
        f"{first.label_en} by quarter (2 years)",
        "bar",
        6,
        4,
        metrics=[metric(first)],
        dimensions=[{"column": time, "grain": "quarter"}],
        time={"last": "8 quarters"},
    )
    add(
        f"{first.name}-tang-truong",
        f"Tăng trưởng {first.label.lower()} so với tháng trước (%)",
        f"{first.label_en}: growth on the previous month (%)",
        "line",
        6,
        4,
        metrics=[metric(first), {"id": "g", "growth": "v", "label": "%"}],
        dimensions=[{"column": time, "grain": "month"}],
        time={"last": "24 months"},
        options={"series": ["g"]},
    )
    add(
        f"{first.name}-tang-truong-nam",
        f"Tăng trưởng {first.label.lower()} theo năm (%)",
        f"{first.label_en}: growth year on year (%)",
        "bar",
        6,
        4,
        metrics=[metric(first), {"id": "g", "growth": "v", "label": "%"}],
        dimensions=[{"column": time, "grain": "year"}],
        options={"series": ["g"]},
    )

    # Communes and districts.
    for m in spec.measures:
        add(
            f"{m.name}-xep-hang-xa",
            f"10 xã, phường cao nhất: {m.label.lower()} (12 tháng)",
            f"Top 10 communes: {m.label_en.lower()} (12 months)",
            "ranking",
            6,
            5,
            metrics=[metric(m)],
            dimensions=[{"column": "ma_xa"}],
            time={"last": "12 months"},
            order=[{"by": "v", "desc": True}],
            limit=10,
        )
    add(
        f"{first.name}-ban-do-xa",
        f"{first.label} theo xã, phường (bản đồ, 12 tháng)",
        f"{first.label_en} by commune (map, 12 months)",
        "choropleth",
        6,
        6,
        metrics=[metric(first)],
        dimensions=[{"column": "ma_xa"}],
        time={"last": "12 months"},
    )
    add(
        f"{first.name}-thap-nhat-xa",
        f"10 xã, phường thấp nhất: {first.label.lower()}",
        f"Bottom 10 communes: {first.label_en.lower()}",
        "horizontal_bar",
        6,
        5,
        metrics=[metric(first)],
        dimensions=[{"column": "ma_xa"}],
        time={"last": "12 months"},
        order=[{"by": "v", "desc": False}],
        limit=10,
    )
    add(
        f"{first.name}-bang-xa",
        f"{first.label} theo xã, phường (12 tháng)",
        f"{first.label_en} by commune (12 months)",
        "table",
        6,
        6,
        metrics=[metric(first), {"id": "s", "share": "v", "label": "Tỷ trọng (%)"}],
        dimensions=[{"column": "ma_xa"}],
        time={"last": "12 months"},
        order=[{"by": "v", "desc": True}],
        limit=200,
    )
    add(
        f"{first.name}-xu-huong-xa",
        f"{first.label}: xu hướng từng xã, phường (12 tháng)",
        f"{first.label_en}: each commune's trend (12 months)",
        "table",
        6,
        6,
        metrics=[metric(first)],
        dimensions=[{"column": "ma_xa"}, {"column": time, "grain": "month"}],
        time={"last": "12 months"},
        limit=5000,
        options={"sparkline": True},
    )
    add(
        f"{first.name}-theo-huyen-cu",
        f"{first.label} theo huyện cũ (trước 7/2025)",
        f"{first.label_en} by former district (before July 2025)",
        "bar",
        6,
        4,
        metrics=[metric(first)],
        dimensions=[{"column": "ma_xa", "level": "district"}],
        time={"start": "2024-07-01", "end": "2025-07-01"},
    )

    # Categories.
    if spec.category:
        column, label, label_en, _values = spec.category
        add(
            f"{first.name}-co-cau-{column}",
            f"Cơ cấu theo {label.lower()} (12 tháng)",
            f"Share by {label_en.lower()} (12 months)",
            "pie",
            6,
            4,
            metrics=[metric(first)],
            dimensions=[{"column": column}],
            time={"last": "12 months"},
        )
        add(
            f"{first.name}-thang-theo-{column}",
            f"{first.label} theo tháng và {label.lower()}",
            f"{first.label_en} by month and {label_en.lower()}",
            "stacked_bar",
            6,
            4,
            metrics=[metric(first)],
            dimensions=[{"column": time, "grain": "month"}, {"column": column}],
            time={"last": "12 months"},
        )
        add(
            f"{first.name}-xu-huong-{column}",
            f"Xu hướng theo {label.lower()} (2 năm)",
            f"Trend by {label_en.lower()} (2 years)",
            "line",
            6,
            4,
            metrics=[metric(first)],
            dimensions=[{"column": time, "grain": "month"}, {"column": column}],
            time={"last": "24 months"},
        )
    else:
        add(
            f"{first.name}-thang-nay-nam-truoc",
            f"{first.label}: 12 tháng gần nhất",
            f"{first.label_en}: the last 12 months",
            "bar",
            6,
            4,
            metrics=[metric(first)],
            dimensions=[{"column": time, "grain": "month"}],
            time={"last": "12 months"},
        )
        add(
            f"{first.name}-binh-quan-xa",
            f"{first.label}: bình quân mỗi bản ghi",
            f"{first.label_en}: average per record",
            "line",
            6,
            4,
            metrics=[{"id": "v", "agg": "avg", "column": first.name, "label": first.label}],
            dimensions=[{"column": time, "grain": "month"}],
            time={"last": "24 months"},
        )
        add(
            f"{first.name}-cao-nhat-thang",
            f"{first.label}: cao nhất trong tháng",
            f"{first.label_en}: monthly maximum",
            "line",
            6,
            4,
            metrics=[{"id": "v", "agg": "max", "column": first.name, "label": first.label}],
            dimensions=[{"column": time, "grain": "month"}],
            time={"last": "24 months"},
        )

    if len(spec.measures) > 1:
        second = spec.measures[1]
        add(
            f"{second.name}-tren-{first.name}",
            f"{second.label} trên {first.label.lower()}",
            f"{second.label_en} per {first.label_en.lower()}",
            "line",
            6,
            4,
            metrics=[
                metric(first, "a"),
                metric(second, "b"),
                {"id": "r", "ratio": ["b", "a"], "label": "Tỷ lệ"},
            ],
            dimensions=[{"column": time, "grain": "month"}],
            time={"last": "24 months"},
            options={"series": ["r"]},
        )

    # Daily data on a calendar; monthly data by month of the year.
    if spec.grain == "day":
        add(
            f"{first.name}-lich",
            f"{first.label} từng ngày (năm qua)",
            f"{first.label_en} day by day (the past year)",
            "calendar",
            12,
            3,
            metrics=[metric(first)],
            dimensions=[{"column": time, "grain": "day"}],
            time={"last": "365 days"},
        )
    else:
        add(
            f"{first.name}-thang-gan-nhat",
            f"{first.label}: 6 tháng gần nhất",
            f"{first.label_en}: the last 6 months",
            "table",
            6,
            4,
            metrics=[metric(first)],
            dimensions=[{"column": time, "grain": "month"}],
            time={"last": "6 months"},
            order=[{"by": time, "desc": True}],
        )

    # Is the data complete? (the centre's first question about any chart)
    add(
        "xa-bao-cao-theo-thang",
        "Số xã, phường có số liệu theo tháng",
        "Communes reporting, by month",
        "bar",
        6,
        4,
        metrics=[{"id": "v", "agg": "count_distinct", "column": "ma_xa", "label": "Xã, phường"}],
        dimensions=[{"column": time, "grain": "month"}],
        time={"last": "12 months"},
    )
    add(
        "ban-ghi-theo-thang",
        "Số bản ghi nhận được theo tháng",
        "Records received, by month",
        "area",
        6,
        4,
        metrics=[{"id": "v", "agg": "count", "label": "Bản ghi"}],
        dimensions=[{"column": time, "grain": "month"}],
        time={"last": "24 months"},
    )
    return charts


def overview_charts() -> list[dict[str, Any]]:
    """The province at a glance: each sector's headline indicator, and a few trends."""
    grid = Grid()
    charts: list[dict[str, Any]] = []
    for spec in SPECS:
        code, name, name_en, _measure, _agg, target = spec.indicators[0]
        charts.append(
            {
                "key": f"kpi-{spec.slug.replace('_', '-')}",
                "name": name,
                "name_en": name_en,
                "kind": "kpi",
                "at": grid.place(3, 2),
                "question": {
                    "metrics": [{"id": "v", "indicator": code}],
                    "time": {"last": "1 months"},
                },
                "options": kpi_options(_measure, sector=spec.sector)
                | ({"target": target} if target is not None else {}),
            }
        )
    charts.append(
        {
            "key": "ban-do-dieu-hanh",
            "name": "Bản đồ điều hành: tai nạn giao thông",
            "name_en": "Operations map: traffic accidents",
            "kind": "map",
            "at": grid.place(12, 6),
            "options": {"map": "ban-do-dieu-hanh"},
        }
    )
    for spec in SPECS[:5]:
        code, name, name_en, *_ = spec.indicators[0]
        time = "ngay" if spec.grain == "day" else "thang"
        charts.append(
            {
                "key": f"xu-huong-{spec.slug.replace('_', '-')}",
                "name": f"{name} theo tháng",
                "name_en": f"{name_en} by month",
                "kind": "line",
                "at": grid.place(6, 4),
                "question": {
                    "metrics": [{"id": "v", "indicator": code}],
                    "dimensions": [{"column": time, "grain": "month"}],
                    "time": {"last": "24 months"},
                },
            }
        )
    return charts


REPORTS = "phan_anh_kien_nghi"  # ioc.feedback.stats.SLUG: citizens' reports, one row each


def citizen_report_charts(top: int) -> list[dict[str, Any]]:
    """The seed's "citizen interaction": reports, answers on time, satisfaction (from the
    reports app's warehouse dataset), below the public services' charts."""

    def chart(
        key: str, name: str, name_en: str, kind: str, at: list[int], **q: Any
    ) -> dict[str, Any]:
        options = q.pop("options", None)
        out: dict[str, Any] = {"key": key, "name": name, "name_en": name_en, "kind": kind, "at": at}
        out["question"] = {"dataset": REPORTS, **q}
        if options:
            out["options"] = options
        return out

    received = {"id": "v", "agg": "sum", "column": "so_phan_anh", "label": "Phản ánh"}
    on_time = [{"id": "v", "agg": "avg", "column": "ty_le_dung_han", "label": "Đúng hạn (%)"}]
    return [
        chart(
            "phan-anh-thang-nay",
            "Phản ánh của người dân: tháng này",
            "Citizen reports: this month",
            "kpi",
            [0, top, 3, 2],
            metrics=[received],
            time={"last": "1 months"},
            options={"compare": "previous", "unit": "phản ánh"},
        ),
        chart(
            "phan-anh-dung-han",
            "Trả lời đúng hạn (năm nay)",
            "Answered on time (this year)",
            "kpi",
            [3, top, 3, 2],
            metrics=on_time,
            time={"last": "1 years"},
            options={"unit": "%"},
        ),
        chart(
            "phan-anh-qua-han",
            "Phản ánh quá hạn (năm nay)",
            "Overdue reports (this year)",
            "kpi",
            [6, top, 3, 2],
            metrics=[{"id": "v", "agg": "sum", "column": "qua_han", "label": "Quá hạn"}],
            time={"last": "1 years"},
            options={"unit": "phản ánh", "lower_is_better": True},
        ),
        chart(
            "phan-anh-hai-long",
            "Người dân hài lòng (năm nay)",
            "Satisfied reporters (this year)",
            "kpi",
            [9, top, 3, 2],
            metrics=[
                {"id": "v", "agg": "avg", "column": "ty_le_hai_long", "label": "Hài lòng (%)"}
            ],
            time={"last": "1 years"},
            options={"unit": "%"},
        ),
        chart(
            "phan-anh-theo-linh-vuc",
            "Phản ánh theo lĩnh vực (12 tháng)",
            "Reports by category (12 months)",
            "horizontal_bar",
            [0, top + 2, 6, 5],
            metrics=[received],
            dimensions=[{"column": "linh_vuc"}],
            time={"last": "12 months"},
        ),
        chart(
            "phan-anh-theo-xa",
            "Phản ánh theo xã, phường (12 tháng)",
            "Reports by commune (12 months)",
            "choropleth",
            [6, top + 2, 6, 5],
            metrics=[received],
            dimensions=[{"column": "ma_xa"}],
            time={"last": "12 months"},
        ),
        chart(
            "phan-anh-theo-thang",
            "Phản ánh và trả lời theo tháng",
            "Reports and answers by month",
            "line",
            [0, top + 7, 12, 4],
            metrics=[
                received,
                {"id": "a", "agg": "sum", "column": "da_tra_loi", "label": "Đã trả lời"},
            ],
            dimensions=[{"column": "ngay", "grain": "month"}],
            time={"last": "12 months"},
        ),
    ]


def dashboards() -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = [
        {
            "slug": "tong-quan",
            "name": "Toàn cảnh tỉnh",
            "name_en": "The province at a glance",
            "order": 0,
            "description": "Chỉ tiêu chính của mọi lĩnh vực, tháng này.",
            "charts": overview_charts(),
        }
    ]
    sectors = {code: (name, name_en) for code, name, name_en, _icon in SECTORS}
    for index, spec in enumerate(SPECS, start=1):
        name, name_en = sectors[spec.sector]
        result.append(
            {
                "slug": spec.sector,
                "name": name,
                "name_en": name_en,
                "description": f"{spec.name}: số liệu theo xã, phường.",
                "sector": spec.sector,
                "order": index,
                **({"public": True} if spec.sector in OPEN_SECTORS else {}),
                "charts": sector_charts(spec),
            }
        )
        if spec.sector == "dich-vu-cong":
            charts = result[-1]["charts"]
            bottom = max(c["at"][1] + c["at"][3] for c in charts)
            charts.extend(citizen_report_charts(bottom))
            result[-1]["description"] = (
                f"{spec.name} và phản ánh, kiến nghị của người dân: số liệu theo xã, phường."
            )
        if spec.sector in CAMERA_TILES:
            charts = result[-1]["charts"]
            bottom = max(c["at"][1] + c["at"][3] for c in charts)
            if spec.sector == "an-ninh-trat-tu":  # the cameras' own health, every probe
                charts.extend(camera_health_charts(bottom))
                bottom += 4
            charts.append(camera_tile(spec.sector, bottom))
    return result


# The sectors whose dashboards end with a wall of their cameras (ioc/demo/cameras.py's groups).
CAMERA_TILES = {
    "giao-thong": ("giao-thong", "Camera giao thông", "Traffic cameras"),
    "an-ninh-trat-tu": ("an-ninh", "Camera an ninh trật tự", "Public order cameras"),
}


def camera_health_charts(y: int) -> list[dict[str, Any]]:
    """The cameras' uptime (dataset camera_health, written by every probe round)."""
    uptime = {"id": "v", "agg": "avg", "column": "ty_le_truc_tuyen", "label": "Trực tuyến (%)"}
    return [
        {
            "key": "camera-truc-tuyen-theo-ngay",
            "name": "Tỷ lệ camera trực tuyến theo ngày (%)",
            "name_en": "Cameras online, by day (%)",
            "kind": "line",
            "at": [0, y, 6, 4],
            "question": {
                "dataset": "camera_health",
                "metrics": [uptime],
                "dimensions": [{"column": "thoi_diem", "grain": "day"}],
                "time": {"last": "7 days"},
            },
        },
        {
            "key": "camera-truc-tuyen-theo-nhom",
            "name": "Tỷ lệ trực tuyến theo nhóm camera, 7 ngày (%)",
            "name_en": "Cameras online by group, 7 days (%)",
            "kind": "horizontal_bar",
            "at": [6, y, 6, 4],
            "question": {
                "dataset": "camera_health",
                "metrics": [uptime],
                "dimensions": [{"column": "nhom"}],
                "time": {"last": "7 days"},
            },
        },
    ]


def camera_tile(sector: str, y: int) -> dict[str, Any]:
    group, name, name_en = CAMERA_TILES[sector]
    return {
        "key": f"camera-{group}",
        "name": name,
        "name_en": name_en,
        "kind": "camera",
        "at": [0, y, 12, 6],
        "options": {"group": group, "layout": 4, "tour": 20},
    }


def write(directory: Path = DIRECTORY) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    charts = 0
    for data in dashboards():
        charts += len(data["charts"])
        text = yaml.safe_dump(
            data, allow_unicode=True, sort_keys=False, width=100, default_flow_style=None
        )
        header = f"# ioc dashboard '{data['slug']}' (demo; written by ioc/demo/charts.py)\n"
        (directory / f"{data['slug']}.yaml").write_text(header + text, encoding="utf-8")
    return charts


# Rollups the demo keeps: months for the daily datasets (the sector dashboards' monthly
# charts), days for the full-scale sensor readings (15-minute rows).
DAILY_ROLLUP_DATASETS = tuple(s.slug for s in SPECS if s.grain == "day")
SENSOR_DATASET = "so_do_cam_bien"


@demo_step(order=59, label="Dashboards")
def demo_dashboards(ctx: DemoContext) -> str:
    built = 0
    for dataset in Dataset.objects.filter(slug__in=DAILY_ROLLUP_DATASETS):
        category = next(
            (s.category[0] for s in SPECS if s.slug == dataset.slug and s.category), None
        )
        rollup = Rollup.objects.filter(dataset=dataset, name="thang").first() or rollups.define(
            dataset, "thang", grain="month", dimensions=[category] if category else []
        )
        if not rollup.built:
            rollups.build(rollup)
            built += 1
    sensors = Dataset.objects.filter(slug=SENSOR_DATASET).first()
    if sensors is not None:
        # Days × communes × kinds for the province's charts; days × stations for questions
        # about the stations themselves (how many reported each day).
        for name, dims in (("ngay", ["loai"]), ("ngay_tram", ["loai", "tram"])):
            rollup = Rollup.objects.filter(dataset=sensors, name=name).first() or rollups.define(
                sensors, name, grain="day", dimensions=dims
            )
            if not rollup.built:
                rollups.build(rollup)
                built += 1
                ctx.out(
                    f"    {rollup.table}: {rollup.rows:,} rows in {rollup.refresh_seconds:.1f} s"
                )
    saved = import_directory(DIRECTORY, actor=None)
    charts = Chart.objects.filter(dashboard__in=saved).count()
    walls = demo_walls()
    return f"{len(saved)} dashboards, {charts} charts, {walls} walls, {built} rollups built"


def demo_walls() -> int:
    """The centre's playlist (the overview, then each sector) and a 3 × 3 video wall."""
    centre, _ = Wall.objects.update_or_create(
        slug="trung-tam", defaults={"name": "Màn hình trung tâm", "name_en": "Centre wall"}
    )
    if not centre.items.exists():
        for order, dashboard in enumerate(Dashboard.objects.order_by("order")):
            WallItem.objects.create(
                wall=centre,
                dashboard=dashboard,
                order=order,
                dwell_seconds=60 if dashboard.sector_id is None else 20,
            )
    video, _ = Wall.objects.update_or_create(
        slug="tuong-3x3",
        defaults={"name": "Tường màn hình 3 × 3", "name_en": "3 × 3 video wall", "columns": 3,
                  "rows": 3, "order": 1},
    )  # fmt: skip
    if not video.items.exists():
        WallItem.objects.create(
            wall=video, dashboard=Dashboard.objects.get(slug="tong-quan"), dwell_seconds=120
        )
    return Wall.objects.count()
