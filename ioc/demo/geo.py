"""Demo geometry: believable polygons for the area's units, clearly not real boundaries.

No cleanly licensed polygon set of Vietnam's communes exists, so the demo draws its own: the
area's outline is a buffered concave hull around the real commune centres (from the loaded
unit data), cut into one Voronoi cell per commune of the older tree. Everything else follows
from history and the tree (``boundaries.derive_missing``): the 2025 communes are the unions
of the communes they were formed from, districts and the province the unions of their
communes. Every polygon is marked ``demo``, and the map says so. A province loads its real
ones with ``ioc geo import-boundaries`` (docs/guide/maps.md).
"""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import shapely
from django.utils import timezone
from shapely.geometry import MultiPoint, Point

from ioc.core.choices import BoundaryOrigin, UnitLevel
from ioc.core.models import AdministrativeUnit, Agency, Boundary, Sector
from ioc.core.units import boundaries
from ioc.core.units.locate import Locator
from ioc.demo.datasets import drop_root
from ioc.demo.registry import DemoContext, demo_step
from ioc.integrations.models import Connection, Trigger
from ioc.integrations.services import run_connection
from ioc.maps.models import SavedMap
from ioc.warehouse.models import Dataset
from ioc.warehouse.schema import parse_schema
from ioc.warehouse.services import create_dataset

SOURCE = "demo (Voronoi)"


def area_outline(centres: list[Point]) -> shapely.Geometry:
    hull = shapely.concave_hull(MultiPoint(centres), ratio=0.35)
    return hull.buffer(0.03, quad_segs=4).simplify(0.002)


def draw_communes() -> int:
    """Voronoi cells for the area's first-generation communes (those no transition formed)."""
    communes = list(
        AdministrativeUnit.objects.in_area()
        .filter(level=UnitLevel.COMMUNE, latitude__isnull=False, longitude__isnull=False)
        .exclude(predecessions__isnull=False)
        .order_by("code")
    )
    if len(communes) < 3:
        return 0
    centres = [Point(u.longitude, u.latitude) for u in communes]
    cells = boundaries.partition(area_outline(centres), centres)
    for unit, cell in zip(communes, cells, strict=True):
        boundaries.save(unit, cell, BoundaryOrigin.DEMO, SOURCE)
    return len(communes)


@demo_step(order=12, label="Demo boundaries")
def demo_boundaries(ctx: DemoContext) -> str:
    real = Boundary.objects.exclude(origin=BoundaryOrigin.DEMO).filter(unit__in_area=True)
    if real.exists():
        return f"{real.count()} imported boundaries kept; no demo geometry drawn"
    drawn = draw_communes()
    derived = boundaries.derive_missing()
    return f"{drawn} communes drawn (demo geometry), {derived} units derived"


# A point dataset: where traffic accidents happened, open data, for the map's point layer.
POINTS_SLUG = "vi_tri_tai_nan"
SEVERITIES = ("Va chạm nhẹ", "Nghiêm trọng", "Rất nghiêm trọng")


def _points_schema() -> dict[str, object]:
    return {
        "columns": [
            {
                "name": "ma_vu",
                "type": "text",
                "role": "attribute",
                "label": "Mã vụ",
                "label_en": "Case",
                "required": True,
            },
            {
                "name": "luc",
                "type": "timestamp",
                "role": "time",
                "label": "Thời điểm",
                "label_en": "Time",
                "required": True,
            },
            {
                "name": "vi_do",
                "type": "decimal",
                "role": "lat",
                "label": "Vĩ độ",
                "label_en": "Latitude",
            },
            {
                "name": "kinh_do",
                "type": "decimal",
                "role": "lon",
                "label": "Kinh độ",
                "label_en": "Longitude",
            },
            {
                "name": "ma_xa",
                "type": "text",
                "role": "unit",
                "label": "Phường/xã",
                "label_en": "Commune",
            },
            {
                "name": "muc_do",
                "type": "text",
                "role": "dimension",
                "label": "Mức độ",
                "label_en": "Severity",
            },
            {
                "name": "so_nguoi_bi_thuong",
                "type": "integer",
                "role": "measure",
                "label": "Số người bị thương",
                "label_en": "Injured",
                "unit": "người",
            },
        ],
        "key": ["ma_vu"],
    }


@demo_step(order=52, label="Accident locations (map points)")
def accident_points(ctx: DemoContext) -> str:
    if Dataset.objects.filter(slug=POINTS_SLUG, row_count__gt=0).exists():
        return "already loaded"
    locator = Locator.for_day()
    if not len(locator) or locator.bounds is None:
        return "no boundaries: no points"
    dataset = Dataset.objects.filter(slug=POINTS_SLUG).first() or create_dataset(
        actor=None,
        slug=POINTS_SLUG,
        name="Vị trí tai nạn giao thông",
        name_en="Traffic accident locations",
        schema=parse_schema(_points_schema()),
        sector_id=Sector.objects.get(code="giao-thong").pk,
        owner_id=Agency.objects.get(code="so-gtvt").pk,
        cadence="daily",
        due_time=dt.time(8),
        is_open=True,
        description="Dữ liệu mẫu: vị trí các vụ tai nạn giao thông (tọa độ), để vẽ trên bản đồ.",
    )
    rng = np.random.default_rng(ctx.scale.history_years)
    days = 365 * ctx.scale.history_years
    count = days * (12 if ctx.scale.name != "tiny" else 2)
    west, south, east, north = locator.bounds
    # Accidents cluster along the main roads: a few corridors, then noise around them.
    corridors = rng.uniform([west, south], [east, north], size=(6, 2))
    which = rng.integers(0, len(corridors), count)
    lon = corridors[which, 0] + rng.normal(0, 0.03, count)
    lat = corridors[which, 1] + rng.normal(0, 0.03, count)
    codes = locator.codes(lon, lat)
    inside = codes != None  # noqa: E711  (numpy elementwise)
    now = timezone.localtime().replace(tzinfo=None, microsecond=0)
    offsets = rng.uniform(0, days * 86400, count)
    severity = rng.choice(len(SEVERITIES), count, p=[0.7, 0.25, 0.05])
    injured = rng.poisson(1.2, count) + severity
    folder = drop_root() / POINTS_SLUG
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "vi_tri.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(
            ["Mã vụ", "Thời điểm", "Vĩ độ", "Kinh độ", "Phường/xã", "Mức độ", "Số người bị thương"]
        )
        for n, i in enumerate(np.flatnonzero(inside)):
            when = now - dt.timedelta(seconds=float(offsets[i]))
            # The police's export has no commune: ingestion finds it from the point. A few
            # rows have latitude and longitude swapped, as agencies' files do: quarantined.
            y, x = (lon[i], lat[i]) if n % 997 == 0 else (lat[i], lon[i])
            out.writerow(
                [
                    f"TN{i:07d}",
                    when.strftime("%d/%m/%Y %H:%M"),
                    f"{y:.6f}",
                    f"{x:.6f}",
                    "",
                    SEVERITIES[severity[i]],
                    int(injured[i]),
                ]
            )
    connection, _ = Connection.objects.get_or_create(
        dataset=dataset,
        kind="file",
        defaults={
            "name": "Thư mục nhận tệp: vị trí tai nạn",
            "config": {"path": str(folder)},
            "interval_minutes": 60,
        },
    )
    run = run_connection(connection, trigger=Trigger.CLI)
    return f"{run.rows_accepted} accident locations, {run.rows_rejected} rejected"


@demo_step(order=53, label="Saved map")
def saved_map(ctx: DemoContext) -> str:
    layers = [
        {"id": "choropleth:tai_nan_giao_thong", "measure": "so_vu", "opacity": 0.7},
        {"id": "boundaries:3", "opacity": 0.3},
        {"id": f"points:{POINTS_SLUG}", "opacity": 0.9},
        {"id": "ops:events", "opacity": 1},  # for those whose role shows events
    ]
    _saved, created = SavedMap.objects.get_or_create(
        slug="ban-do-dieu-hanh",
        defaults={"name": "Bản đồ điều hành: tai nạn giao thông", "layers": layers},
    )
    return "ban-do-dieu-hanh " + ("created" if created else "kept")
