"""The layer catalogue and its features, as GeoJSON, for the map page and the OGC API.

A layer has an id, a title and a kind:

* ``boundaries:<level>`` (province 1, district 2, commune 3): the area's units' polygons,
  public (they are the province's own published boundaries);
* ``points:<dataset>``: every dataset with latitude and longitude columns; its rows are
  points, limited to the caller's scope like every read of the warehouse;
* ``choropleth:<dataset>``: every dataset with a unit column; a metric of it by commune,
  answered by the semantic layer (so scope and rollups apply), drawn over the boundaries;
* ``ops:<name>``: operational layers (operations events, data connections' health) by
  unit, for those whose role lets them see the items (``ioc.maps.operational``).

Datasets a user may not see are not in their catalogue (deny by default); open datasets are
in everyone's, anonymous visitors' included.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import shapely
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ioc.core.choices import BoundaryOrigin, UnitLevel
from ioc.core.models import AdministrativeUnit, Boundary
from ioc.core.units import boundaries
from ioc.dashboards.query import answer
from ioc.maps import operational
from ioc.warehouse.access import row_units, visible_datasets
from ioc.warehouse.db import engine, read_connection
from ioc.warehouse.models import Dataset
from ioc.warehouse.schema import Column, ColumnType, Role, quote

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ioc.accounts.models import User

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 1_000


class LayerError(ValueError):
    """A layer or a parameter that names nothing; bilingual message (Vietnamese / English)."""


@dataclass(frozen=True)
class Layer:
    id: str
    kind: str  # boundaries, points, choropleth
    title: str
    description: str = ""
    public: bool = False
    dataset: Dataset | None = None
    level: int | None = None
    measures: list[dict[str, str]] = field(default_factory=list)
    timed: bool = False  # its rows have a time (the time slider replays them)
    legend: list[dict[str, str]] = field(default_factory=list)  # statuses and their colours

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "description": self.description,
            "public": self.public,
            "dataset": self.dataset.slug if self.dataset else None,
            "level": self.level,
            "measures": self.measures,
            "timed": self.timed,
            "legend": self.legend,
        }


def _datasets(user: User | AnonymousUser | None) -> QuerySet[Dataset]:
    mine = visible_datasets(user).values("pk")
    return Dataset.objects.filter(pk__in=mine) | Dataset.objects.filter(is_open=True)


def catalogue(user: User | AnonymousUser | None) -> list[Layer]:
    levels = sorted(
        set(Boundary.objects.filter(unit__in_area=True).values_list("unit__level", flat=True))
    )
    layers = [
        Layer(
            f"boundaries:{level}",
            "boundaries",
            _("Boundaries: %(level)s") % {"level": UnitLevel(level).label},
            _("The area's administrative units (polygons)."),
            public=True,
            level=level,
        )
        for level in levels
    ]
    answerable = set(visible_datasets(user).values_list("pk", flat=True))
    for dataset in _datasets(user).select_related("sector").order_by("sector__order", "name"):
        schema = dataset.parsed_schema
        timed = schema.with_role(Role.TIME) is not None
        measures = [
            {"name": c.name, "label": c.label or c.name}
            for c in schema.columns
            if c.role == Role.MEASURE
        ]
        if schema.with_role(Role.LAT) and schema.with_role(Role.LON):
            layers.append(
                Layer(
                    f"points:{dataset.slug}",
                    "points",
                    dataset.label,
                    _("Rows of %(dataset)s at their coordinates.") % {"dataset": dataset.slug},
                    public=dataset.is_open,
                    dataset=dataset,
                    measures=measures,
                    timed=timed,
                )
            )
        # Choropleths are answered by the semantic layer, for those who may query the dataset.
        if schema.with_role(Role.UNIT) and measures and dataset.pk in answerable:
            layers.append(
                Layer(
                    f"choropleth:{dataset.slug}",
                    "choropleth",
                    dataset.label,
                    _("A measure of %(dataset)s by commune.") % {"dataset": dataset.slug},
                    public=dataset.is_open,
                    dataset=dataset,
                    level=UnitLevel.COMMUNE,
                    measures=measures,
                    timed=timed,
                )
            )
    layers += [
        Layer(o.id, "operational", str(o.title), str(o.description), legend=o.legend())
        for o in operational.layers_for(user)
    ]
    return layers


def find(user: User | AnonymousUser | None, layer_id: str) -> Layer:
    for layer in catalogue(user):
        if layer.id == layer_id:
            return layer
    raise LayerError(f"Không có lớp bản đồ '{layer_id}' / no map layer '{layer_id}'")


# Boundaries -----------------------------------------------------------------------------------

_simplified: dict[tuple[Any, ...], list[dict[str, Any]]] = {}


def boundary_features(
    level: int,
    *,
    on: dt.date | None = None,
    tolerance: float = 0.0,
    bbox: Sequence[float] | None = None,
) -> list[dict[str, Any]]:
    """The polygons of the area's units of ``level`` (valid on ``on``; all versions when
    None) as GeoJSON features, simplified by ``tolerance`` degrees; cached per version."""
    key = (boundaries.version(), level, on, round(tolerance, 6))
    features = _simplified.get(key)
    if features is None:
        if len(_simplified) > 32:
            _simplified.clear()
        units = list(boundaries.units_with_boundaries(level=level, on=on))
        geoms = boundaries.geometries(u.pk for u in units)
        features = []
        for unit in units:
            geom = geoms[unit.pk]
            if tolerance:
                geom = shapely.simplify(geom, tolerance, preserve_topology=True)
            features.append(_unit_feature(unit, geom))
        _simplified[key] = features
    if bbox:
        west, south, east, north = bbox
        return [f for f in features if _overlaps(f["bbox"], west, south, east, north)]
    return features


def _overlaps(b: Sequence[float], west: float, south: float, east: float, north: float) -> bool:
    return b[2] >= west and b[0] <= east and b[3] >= south and b[1] <= north


def _unit_feature(unit: AdministrativeUnit, geom: Any) -> dict[str, Any]:
    boundary = unit.boundary
    return {
        "type": "Feature",
        "id": f"{unit.code}@{unit.valid_from or ''}",
        "bbox": [round(v, 6) for v in geom.bounds],
        "geometry": json.loads(shapely.to_geojson(shapely.set_precision(geom, 1e-6))),
        "properties": {
            "code": unit.code,
            "name": unit.name,
            "level": unit.level,
            "parent": unit.parent.code if unit.parent else None,
            "valid_from": unit.valid_from.isoformat() if unit.valid_from else None,
            "valid_to": unit.valid_to.isoformat() if unit.valid_to else None,
            "demo": boundary.origin == BoundaryOrigin.DEMO,
        },
    }


# Points ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PointQuery:
    bbox: tuple[float, float, float, float] | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    fid: str | None = None
    # Spatial filters: within ``radius`` metres of (lon, lat); one of the rows named by
    # (run, row) keys; ordered by distance from (lon, lat), each with its ``distance_m``.
    circle: tuple[float, float, float] | None = None
    keys: Sequence[tuple[int, int]] | None = None
    near: tuple[float, float] | None = None


EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = 111_195.0


def _distance_sql(lat: str, lon: str) -> str:
    """Great-circle distance in metres from a bound (lat, lon, lat, lon) to the row's point
    (haversine; the same functions in DuckDB and PostgreSQL)."""
    return (
        f"(2 * {EARTH_RADIUS_M} * asin(sqrt(power(sin(radians({lat} - ?) / 2), 2)"
        f" + cos(radians(?)) * cos(radians({lat})) * power(sin(radians({lon} - ?) / 2), 2))))"
    )


def circle_bbox(lon: float, lat: float, radius: float) -> tuple[float, float, float, float]:
    """A box that holds the circle (for the index-friendly pre-filter before the distance)."""
    dlat = radius / METRES_PER_DEGREE
    dlon = radius / (METRES_PER_DEGREE * max(0.01, math.cos(math.radians(lat))))
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def point_where(
    dataset: Dataset, units: frozenset[str] | None, q: PointQuery
) -> tuple[str, list[Any]]:
    schema = dataset.parsed_schema
    lat, lon = schema.with_role(Role.LAT), schema.with_role(Role.LON)
    if lat is None or lon is None:
        raise LayerError(
            f"Bộ dữ liệu {dataset.slug} không có tọa độ / dataset {dataset.slug} has no coordinates"
        )
    where = [f"{quote(lat.name)} IS NOT NULL", f"{quote(lon.name)} IS NOT NULL"]
    params: list[Any] = []
    if units is not None:
        unit = schema.with_role(Role.UNIT)
        if unit is None or not units:
            where.append("false")
        else:
            where.append(f"{quote(unit.name)} IN (SELECT unnest(?::VARCHAR[]))")
            params.append(sorted(units))
    if q.bbox:
        west, south, east, north = q.bbox
        where.append(f"{quote(lon.name)} BETWEEN ? AND ? AND {quote(lat.name)} BETWEEN ? AND ?")
        params += [west, east, south, north]
    time_col = schema.with_role(Role.TIME)
    if time_col is not None and (q.start or q.end):
        cast = "DATE" if time_col.type == ColumnType.DATE else "TIMESTAMP"
        if q.start:
            where.append(f"{quote(time_col.name)} >= CAST(? AS {cast})")
            params.append(q.start.date() if cast == "DATE" else q.start)
        if q.end:
            where.append(f"{quote(time_col.name)} <= CAST(? AS {cast})")
            params.append(q.end.date() if cast == "DATE" else q.end)
    if q.fid is not None:
        run, _, row = q.fid.partition(".")
        if not (run.isdigit() and row.isdigit()):
            where.append("false")
        else:
            where.append("_run = ? AND _row = ?")
            params += [int(run), int(row)]
    if q.circle is not None:
        c_lon, c_lat, radius = q.circle
        west, south, east, north = circle_bbox(c_lon, c_lat, radius)
        where.append(f"{quote(lon.name)} BETWEEN ? AND ? AND {quote(lat.name)} BETWEEN ? AND ?")
        params += [west, east, south, north]
        where.append(f"{_distance_sql(quote(lat.name), quote(lon.name))} <= ?")
        params += [c_lat, c_lat, c_lon, radius]
    if q.keys is not None:
        # Two arrays unnested side by side pair up element by element in both engines.
        where.append(
            "(_run, _row) IN (SELECT unnest(?::BIGINT[]), unnest(?::BIGINT[]))"
            if q.keys
            else "false"
        )
        if q.keys:
            params += [[k[0] for k in q.keys], [k[1] for k in q.keys]]
    return " AND ".join(where), params


def point_features(
    dataset: Dataset, user: User | AnonymousUser | None, q: PointQuery
) -> tuple[list[str], int]:
    """A page of the dataset's rows as GeoJSON point features (each one JSON text), and how
    many match in all.

    The warehouse writes each feature's JSON itself: building a Python dict per row and
    dumping it cost three times the query (and the garbage collector's pauses on top) for a
    page of 10,000 (benchmarks/maps.py)."""
    schema = dataset.parsed_schema
    # Open data is open: every row, to anyone (as its download); otherwise the scope's rows.
    units = None if dataset.is_open else row_units(user)
    where, params = point_where(dataset, units, q)
    lat, lon = schema.with_role(Role.LAT), schema.with_role(Role.LON)
    assert lat is not None and lon is not None
    postgres = engine() == "postgres"
    obj, arr = (
        ("json_build_object", "json_build_array") if postgres else ("json_object", "json_array")
    )

    def value(column: Column) -> str:
        name = quote(column.name)
        if column.type == ColumnType.TIMESTAMP:
            if postgres:
                return f"""to_char({name}, 'YYYY-MM-DD"T"HH24:MI:SS')"""
            return f"strftime({name}, '%Y-%m-%dT%H:%M:%S')"
        if column.type == ColumnType.DECIMAL:
            return f"CAST({name} AS DOUBLE PRECISION)"
        return name

    others = [c for c in schema.columns if c.name not in (lat.name, lon.name)]
    properties = ", ".join(f"{_literal(c.name)}, {value(c)}" for c in others)
    distance, near_params = "", []
    if q.near is not None:
        n_lon, n_lat = q.near
        distance = f", {_distance_sql(quote(lat.name), quote(lon.name))} AS _distance"
        near_params = [n_lat, n_lat, n_lon]
        properties += ", 'distance_m', CAST(round(_distance) AS BIGINT)"
    order = "_distance, _run, _row" if distance else "_run, _row"
    feature = (
        f"{obj}('type', 'Feature', 'id', CAST(_run AS VARCHAR) || '.' || CAST(_row AS VARCHAR),"
        f" 'geometry', {obj}('type', 'Point', 'coordinates',"
        f" {arr}(CAST({quote(lon.name)} AS DOUBLE PRECISION),"
        f" CAST({quote(lat.name)} AS DOUBLE PRECISION))),"
        f" 'properties', {obj}({properties}))"
    )
    limit = max(1, min(int(q.limit), MAX_LIMIT))
    offset = max(0, int(q.offset))
    with read_connection() as con:
        # Identifiers come from the dataset's declared schema, quoted (names as literals
        # through _literal); every value is bound.
        matched = con.execute(f"SELECT count(*) FROM {dataset.table} WHERE {where}", params)  # noqa: S608
        total = int(matched.fetchall()[0][0])
        # The page's rows first, then their JSON (made for the page only, not for every
        # matching row before the sort).
        rows = con.execute(
            f"SELECT CAST({feature} AS VARCHAR) FROM (SELECT *{distance} FROM {dataset.table}"  # noqa: S608
            f" WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?) AS page ORDER BY {order}",
            [*near_params, *params, limit, offset],
        ).fetchall()
    return [row[0] for row in rows], total


def _literal(name: str) -> str:
    """A column name as an SQL string literal (names are checked identifiers already)."""
    return "'" + name.replace("'", "''") + "'"


def feature_collection(features: list[str], **members: Any) -> str:
    """A FeatureCollection's JSON text around features already written as JSON text."""
    head = json.dumps({"type": "FeatureCollection", **members}, ensure_ascii=False, default=str)
    return head[:-1] + ', "features": [' + ",".join(features) + "]}"


# Choropleth -----------------------------------------------------------------------------------

AGGREGATIONS = ("sum", "avg", "min", "max", "count")


def choropleth(
    user: User | AnonymousUser | None,
    dataset: Dataset,
    measure: str,
    *,
    agg: str = "sum",
    last: str | None = "12 months",
    start: dt.date | None = None,
    end: dt.date | None = None,
    level: str = "commune",
) -> dict[str, Any]:
    """A measure of the dataset by unit, through the semantic layer (scope, rollups, cache):
    ``{"values": {code: value}, "min", "max", "rollup", "freshness", ...}``."""
    if agg not in AGGREGATIONS:
        raise LayerError(f"Phép gộp '{agg}' không hỗ trợ / aggregation '{agg}' is not supported")
    unit = dataset.parsed_schema.with_role(Role.UNIT)
    if unit is None:
        raise LayerError(
            f"Bộ dữ liệu {dataset.slug} không có cột đơn vị /"
            f" dataset {dataset.slug} has no unit column"
        )
    time: dict[str, Any] = {}
    if start or end:
        time = {"start": start, "end": end}
    elif last:
        time = {"last": last}
    question: dict[str, Any] = {
        "dataset": dataset.slug,
        "metrics": [{"id": "value", "agg": agg, "column": measure}],
        "dimensions": [{"column": unit.name, "level": level}],
    }
    if dataset.parsed_schema.with_role(Role.TIME) is not None and time:
        question["time"] = time
    result = answer(question, user)
    values = {str(row[0]): row[-1] for row in result.rows if row[0] is not None}
    numbers = [float(v) for v in values.values() if isinstance(v, (int, float))]
    payload = result.as_json()
    return {
        "dataset": dataset.slug,
        "measure": measure,
        "agg": agg,
        "level": level,
        "label": next((c.get("label", "") for c in result.columns if c["name"] == "value"), ""),
        "values": values,
        "names": {str(row[0]): row[1] for row in result.rows if row[0] is not None},
        "min": min(numbers) if numbers else None,
        "max": max(numbers) if numbers else None,
        "rollup": result.rollup,
        "time_range": payload["time_range"],
        "freshness": payload["freshness"],
    }
