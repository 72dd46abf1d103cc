"""The seed's scale (`ioc demo --scale full`): 28,881 data connections, 280 million records.

Two parts, both only when the scale asks for them (``Scale.connections``, ``Scale.records``):

* **City sensor readings** (``so_do_cam_bien``): 4,000 stations (dust, water level, traffic
  counters, power meters) across the area's communes, a reading every 15 minutes, as many
  days back as it takes for the warehouse to hold ``records`` rows. The history is written by
  the warehouse's writer with one vectorised ``INSERT … SELECT`` per slice of time (about
  1.5 million rows a second into the file here, 3 minutes for 280 million; the connector
  path would first have to write them to files and read them back). The stations' live
  feed is the MQTT gateway connection.
* **Agencies' reporting channels**: one drop-folder connection per commune-level reporting
  point and dataset, until there are ``connections`` connections in all, each synced daily at
  its own time of day (staggered, so the scheduler sees a steady ~0.33 runs a second).

Idempotent: a second run adds nothing. The history needs the DuckDB warehouse (on
PostgreSQL, 280 million generated rows would take hours; the step says so and skips them).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import duckdb
import pyarrow as pa
from django.db.models import Sum
from django.utils import timezone

from ioc.core.models import AdministrativeUnit, Agency, Sector
from ioc.core.progress import ProgressBar
from ioc.core.text import fold
from ioc.demo.live import demo_dir
from ioc.demo.registry import DemoContext, demo_step
from ioc.integrations.models import Connection, ConnectionState
from ioc.warehouse import db, writer
from ioc.warehouse.models import Dataset
from ioc.warehouse.schema import parse_schema
from ioc.warehouse.services import announce_change, create_dataset

SLUG = "so_do_cam_bien"
STATIONS = 4_000
EVERY_MINUTES = 15
SLICE_ROWS = 8_000_000  # rows per INSERT: one transaction each, memory stays flat
# kind, base value, daily swing
KINDS = (
    ("Bụi PM2.5 (µg/m³)", 38.0, 0.35),
    ("Mực nước (cm)", 120.0, 0.08),
    ("Lưu lượng xe (lượt/15 phút)", 260.0, 0.7),
    ("Điện năng (kWh)", 75.0, 0.45),
)
COLUMNS = [
    {"name": "luc", "type": "timestamp", "role": "time", "label": "Lúc", "label_en": "At"},
    {"name": "ma_xa", "type": "text", "role": "unit", "label": "Phường/xã", "label_en": "Commune"},
    {"name": "loai", "type": "text", "role": "dimension", "label": "Loại", "label_en": "Kind"},
    {"name": "tram", "type": "text", "role": "dimension", "label": "Trạm", "label_en": "Station"},
    {
        "name": "gia_tri",
        "type": "decimal",
        "role": "measure",
        "label": "Giá trị",
        "label_en": "Value",
    },
]


def _communes() -> list[str]:
    return list(
        AdministrativeUnit.objects.filter(in_area=True, level=3, valid_to__isnull=True)
        .order_by("code")
        .values_list("code", flat=True)
    ) or ["25747"]


def sensor_dataset() -> Dataset:
    found = Dataset.objects.filter(slug=SLUG).first()
    if found is not None:
        return found
    return create_dataset(
        actor=None,
        slug=SLUG,
        name="Số đo cảm biến đô thị",
        name_en="City sensor readings",
        schema=parse_schema({"columns": COLUMNS, "key": ["tram", "luc"]}),
        sector_id=Sector.objects.get(code="moi-truong").pk,
        owner_id=Agency.objects.get(code="so-tnmt").pk,
        cadence="continuous",
        description="Dữ liệu mẫu quy mô đầy đủ: số đo 15 phút một lần của 4.000 trạm cảm biến.",
    )


def load_sensor_history(dataset: Dataset, rows: int, *, progress: bool = True) -> int:
    """Write at least ``rows`` readings (whole 15-minute steps of every station), ending now."""
    stations = min(STATIONS, max(10, rows // 10_000))
    steps = math.ceil(rows / stations)
    end = timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)  # wall time
    end -= dt.timedelta(minutes=end.minute % EVERY_MINUTES)
    start = end - dt.timedelta(minutes=EVERY_MINUTES * (steps - 1))
    communes = _communes()
    kinds = [KINDS[i % len(KINDS)] for i in range(stations)]
    station_table = pa.table(
        {
            "i": pa.array(range(stations), pa.int64()),
            "tram": [f"CB-{i:05d}" for i in range(stations)],
            "ma_xa": [communes[i % len(communes)] for i in range(stations)],
            "loai": [kind[0] for kind in kinds],
            "base": [kind[1] * (0.6 + (i * 7919 % 800) / 1000) for i, kind in enumerate(kinds)],
            "swing": [kind[2] for kind in kinds],
        }
    )
    per_slice = max(1, SLICE_ROWS // stations)
    bar = ProgressBar(stations * steps, unit="rows", enabled=progress)
    written = 0
    result = writer.BatchResult(time_min=start, time_max=end, units=set(communes))
    for first in range(0, steps, per_slice):
        last = min(steps, first + per_slice)
        with writer.write_connection() as con:
            assert isinstance(con, duckdb.DuckDBPyConnection)  # the step checked the engine
            con.register("stations", station_table)
            # The time-of-day cycle peaks in the afternoon; noise from a hash, so the same
            # station and step always get the same value (deterministic).
            con.execute(
                f"INSERT INTO data.{SLUG} (luc, ma_xa, loai, tram, gia_tri,"
                " _run, _source, _row, _loaded_at)"
                " SELECT ?::TIMESTAMP + to_minutes(k * ?), s.ma_xa, s.loai, s.tram,"
                " round(s.base * (1 + s.swing * sin(2 * pi() * ((k % 96) - 36) / 96.0))"
                " * (0.85 + (hash(k, s.i) % 300) / 1000.0), 2),"
                " NULL, 'demo:lich-su', NULL, now()::TIMESTAMP"
                " FROM range(?, ?) r(k), stations s",
                [start, EVERY_MINUTES, first, last],
            )
            con.unregister("stations")
        written += (last - first) * stations
        bar.update(written)
    bar.close()
    result.accepted = written
    result.total_rows = int(writer.execute(f"SELECT count(*) FROM data.{SLUG}")[0][0])
    announce_change(dataset, result)
    return written


def add_reporting_connections(target: int) -> int:
    """Drop-folder connections of the communes' reporting points, up to ``target`` in all."""
    missing = target - Connection.objects.count()
    if missing <= 0:
        return 0
    datasets = list(Dataset.objects.exclude(slug=SLUG).order_by("slug")) or list(
        Dataset.objects.all()
    )
    communes = list(
        AdministrativeUnit.objects.filter(in_area=True, level=3)
        .order_by("code")
        .values_list("code", "name")
    ) or [("25747", "Phường mẫu")]
    root = demo_dir() / "drop" / "bao-cao"
    now = timezone.now()
    offset = Connection.objects.filter(name__startswith="Điểm báo cáo ").count()
    batch: list[Connection] = []
    made = 0
    for n in range(offset, offset + missing):
        dataset = datasets[n % len(datasets)]
        _code, name = communes[(n // len(datasets)) % len(communes)]
        point = n // (len(datasets) * len(communes)) + 1
        folder = root / f"{n:05d}"
        label = f"Điểm báo cáo {n + 1:05d}: {name} ({point}) → {dataset.name}"[:200]
        batch.append(
            Connection(
                name=label,
                name_folded=fold(label),  # bulk_create skips save(), which sets it
                kind="file",
                dataset=dataset,
                config={"path": str(folder)},
                interval_minutes=24 * 60,
                state=ConnectionState.ACTIVE,
                # Each at its own time of day: the scheduler sees a steady stream.
                next_run_at=now + dt.timedelta(seconds=86_400 * (n % missing) / missing),
            )
        )
        folder.mkdir(parents=True, exist_ok=True)
        if len(batch) == 2_000:
            made += len(Connection.objects.bulk_create(batch))
            batch.clear()
    made += len(Connection.objects.bulk_create(batch))
    return made


def sensor_gateway(dataset: Dataset) -> None:
    """The stations' live feed: the MQTT gateway that the stations publish to."""
    from ioc.integrations.services import configure_connection

    if Connection.objects.filter(dataset=dataset).exists():
        return
    connection = Connection.objects.create(
        name="Cổng cảm biến đô thị (MQTT)",
        kind="mqtt",
        dataset=dataset,
        interval_minutes=1,
        mapping={},
    )
    config: dict[str, Any] = {
        "host": "127.0.0.1",
        "topics": ["ioc-demo/cam-bien/{tram}"],
        "window_seconds": 5,
    }
    configure_connection(connection, config, actor=None)


@demo_step(order=58, label="Full scale")
def full_scale(ctx: DemoContext) -> str:
    scale = ctx.scale
    if not (scale.records or scale.connections):
        return "not at this scale (ioc demo --scale full)"
    parts = []
    if scale.records:
        dataset = sensor_dataset()
        sensor_gateway(dataset)
        others = Dataset.objects.exclude(slug=SLUG).aggregate(n=Sum("row_count"))["n"] or 0
        if dataset.row_count:
            parts.append(f"{dataset.row_count:,} sensor readings already there")
        elif db.engine() != "duckdb":
            parts.append("sensor history skipped: it needs the DuckDB warehouse")
        else:
            written = load_sensor_history(dataset, scale.records - others)
            parts.append(f"{written:,} sensor readings")
    if scale.connections:
        made = add_reporting_connections(scale.connections)
        parts.append(f"{made:,} reporting connections ({Connection.objects.count():,} in all)")
    return "; ".join(parts).replace(",", ".")
