"""Spatial filters on the map: what lies inside a drawn circle or polygon, and what is
nearest to a point.

A shape is GeoJSON: a ``Polygon`` (lon, lat rings), or ``{"type": "Circle",
"coordinates": [lon, lat], "radius": metres}`` (GeoJSON has no circle; this is the form
Leaflet drawing tools use). A circle is exact (great-circle distance, in SQL for datasets);
a polygon is tested with shapely on the rows inside its box, so points on its edge count.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from django.utils import timezone
from shapely.geometry.base import BaseGeometry

from ioc.core.units import boundaries
from ioc.maps.layers import (
    EARTH_RADIUS_M,
    Layer,
    LayerError,
    PointQuery,
    circle_bbox,
    point_features,
    point_where,
)
from ioc.maps.operational import LAYERS as OPERATIONAL
from ioc.maps.operational import features as operational_features
from ioc.warehouse.access import row_units
from ioc.warehouse.db import read_connection
from ioc.warehouse.schema import Role, quote

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ioc.accounts.models import User

MAX_VERTICES = 500
MAX_RADIUS_M = 200_000.0
MAX_SELECTED = 1_000


@dataclass(frozen=True)
class Shape:
    """A circle (lon, lat, radius in metres) or a polygon."""

    circle: tuple[float, float, float] | None = None
    polygon: BaseGeometry | None = None

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        if self.circle is not None:
            return circle_bbox(*self.circle)
        assert self.polygon is not None
        west, south, east, north = self.polygon.bounds
        return west, south, east, north

    def as_geometry(self) -> BaseGeometry:
        """The shape as a polygon (a circle as a 64-sided one, for tests against polygons)."""
        if self.polygon is not None:
            return self.polygon
        assert self.circle is not None
        lon, lat, radius = self.circle
        dlat = math.degrees(radius / EARTH_RADIUS_M)
        dlon = dlat / max(0.01, math.cos(math.radians(lat)))
        angles = np.linspace(0, 2 * math.pi, 65)
        return shapely.Polygon(
            np.column_stack([lon + dlon * np.cos(angles), lat + dlat * np.sin(angles)])
        )

    def covers(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        if self.circle is not None:
            inside: np.ndarray = distance_m(*self.circle[:2], lons, lats) <= self.circle[2]
            return inside
        assert self.polygon is not None
        hits: np.ndarray = shapely.intersects_xy(self.polygon, lons, lats)
        return hits


def distance_m(lon: float, lat: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Great-circle distances in metres (haversine, as the SQL of layers.py)."""
    p1, p2 = math.radians(lat), np.radians(lats)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * np.cos(p2) * np.sin(np.radians(lons - lon) / 2) ** 2
    )
    metres: np.ndarray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))
    return metres


def _bad(vi: str, en: str) -> LayerError:
    return LayerError(f"{vi} / {en}")


def _lon_lat(value: Any) -> tuple[float, float]:
    try:
        lon, lat = (float(v) for v in value)
    except (TypeError, ValueError):
        raise _bad("Tọa độ phải là [kinh độ, vĩ độ]", "coordinates are [lon, lat]") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90) or math.isnan(lon + lat):
        raise _bad("Tọa độ ngoài phạm vi", "coordinates out of range")
    return lon, lat


def parse_shape(text: str) -> Shape:
    """A Shape from its JSON text, or LayerError with a bilingual reason."""
    try:
        data = json.loads(text)
    except ValueError:
        raise _bad("Hình vẽ không phải JSON", "the shape is not JSON") from None
    if not isinstance(data, dict):
        raise _bad("Hình vẽ không hợp lệ", "the shape is not a GeoJSON object")
    kind = data.get("type")
    if kind == "Circle":
        lon, lat = _lon_lat(data.get("coordinates"))
        try:
            radius = float(data["radius"])
        except (KeyError, TypeError, ValueError):
            radius = -1.0
        if not 0 < radius <= MAX_RADIUS_M:
            raise _bad(
                f"Bán kính phải từ 0 đến {MAX_RADIUS_M:,.0f} m",
                f"the radius must be above 0 and at most {MAX_RADIUS_M:,.0f} m",
            )
        return Shape(circle=(lon, lat, radius))
    if kind == "Polygon":
        rings = data.get("coordinates")
        if not isinstance(rings, list) or not rings or not isinstance(rings[0], list):
            raise _bad("Đa giác không có đỉnh", "the polygon has no ring")
        ring = [_lon_lat(p) for p in rings[0]]
        if len(ring) > MAX_VERTICES:
            raise _bad(f"Tối đa {MAX_VERTICES} đỉnh", f"at most {MAX_VERTICES} vertices")
        if len(set(ring)) < 3:
            raise _bad("Đa giác cần ít nhất 3 đỉnh", "a polygon needs at least 3 vertices")
        polygon = shapely.make_valid(shapely.Polygon(ring))  # a self-crossing drawing too
        shapely.prepare(polygon)
        return Shape(polygon=polygon)
    raise _bad("Chỉ hỗ trợ hình tròn hoặc đa giác", "only a Circle or a Polygon can select")


def select_points(
    layer: Layer,
    user: User | AnonymousUser | None,
    shape: Shape,
    limit: int = 200,
    period: tuple[dt.datetime | None, dt.datetime | None] = (None, None),
) -> tuple[list[str], int]:
    """The layer's rows inside the shape (the first ``limit``, as feature JSON) and how many;
    within ``period`` (start, end; inclusive) when given."""
    assert layer.dataset is not None
    limit = max(1, min(limit, MAX_SELECTED))
    start, end = period
    if shape.circle is not None:
        query = PointQuery(circle=shape.circle, start=start, end=end, limit=limit)
        return point_features(layer.dataset, user, query)
    dataset = layer.dataset
    schema = dataset.parsed_schema
    lat, lon = schema.with_role(Role.LAT), schema.with_role(Role.LON)
    assert lat is not None and lon is not None
    units = None if dataset.is_open else row_units(user)
    where, params = point_where(dataset, units, PointQuery(bbox=shape.bbox, start=start, end=end))
    with read_connection() as con:
        rows = con.execute(
            f"SELECT _run, _row, CAST({quote(lon.name)} AS DOUBLE PRECISION),"  # noqa: S608
            f" CAST({quote(lat.name)} AS DOUBLE PRECISION) FROM {dataset.table}"
            f" WHERE {where} ORDER BY _run, _row",
            params,
        ).fetchall()
    if not rows:
        return [], 0
    keys = np.array([(r[0], r[1]) for r in rows], dtype=np.int64)
    points = np.array([(r[2], r[3]) for r in rows], dtype=np.float64)
    inside = keys[shape.covers(points[:, 0], points[:, 1])]
    page = [(int(run), int(row)) for run, row in inside[:limit]]
    features, _ = point_features(dataset, user, PointQuery(keys=page, limit=limit))
    return features, len(inside)


def select_units(shape: Shape, level: int = 3) -> list[dict[str, Any]]:
    """The area's units of ``level`` (valid today) that the shape touches, tested against the
    cached polygons (not their GeoJSON made for drawing)."""
    geometry = shape.as_geometry()
    units = list(
        boundaries.units_with_boundaries(level=level, on=timezone.localdate(), bbox=shape.bbox)
    )
    polygons = boundaries.geometries(u.pk for u in units)
    return [
        {"code": u.code, "name": u.name, "level": u.level}
        for u in sorted(units, key=lambda u: u.code)
        if geometry.intersects(polygons[u.pk])
    ]


def select_operational(
    layer_id: str, user: User | AnonymousUser | None, shape: Shape
) -> list[dict[str, Any]]:
    found = operational_features(OPERATIONAL[layer_id], user)
    if not found:
        return []
    coords = np.array([f["geometry"]["coordinates"] for f in found], dtype=np.float64)
    inside = shape.covers(coords[:, 0], coords[:, 1])
    return [f for f, keep in zip(found, inside, strict=True) if keep]


def nearest_points(
    layer: Layer,
    user: User | AnonymousUser | None,
    lon: float,
    lat: float,
    limit: int = 5,
    period: tuple[dt.datetime | None, dt.datetime | None] = (None, None),
) -> list[str]:
    """The layer's ``limit`` rows nearest to (lon, lat) (within ``period`` when given),
    nearest first, each with its ``distance_m``."""
    assert layer.dataset is not None
    start, end = period
    query = PointQuery(near=(lon, lat), start=start, end=end, limit=max(1, min(limit, 100)))
    features, _ = point_features(layer.dataset, user, query)
    return features
