"""The map page's data on /api/maps/.

* ``GET /api/maps/layers``: the layer catalogue the caller may read (anonymous: public ones).
* ``GET /api/maps/boundaries/<level>?on=YYYY-MM-DD&simplify=DEG``: the area's units of a
  level valid on a day (today by default) as GeoJSON, simplified for drawing.
* ``GET /api/maps/points/<dataset>?bbox=&start=&end=&limit=``: a dataset's rows as points.
* ``GET /api/maps/choropleth/<dataset>?measure=&agg=&last=&start=&end=&level=``: a measure
  by unit, through the semantic layer (scope, rollups, cache).
* ``GET /api/maps/operational/<name>``: an operational layer (``events``, ``connections``)
  as one point per unit with its items' counts by status.
* ``GET /api/maps/select?layer=&shape=&limit=&start=&end=``: what of a layer lies inside a
  drawn circle or polygon (``ioc.maps.selection``): points, units, or operational markers.
* ``GET /api/maps/nearest/<dataset>?lon=&lat=&limit=&start=&end=``: a dataset's points
  nearest a point.
* ``GET|PUT /api/maps/saved/<slug>``: a saved map's view and layers.

A layer the caller may not read answers 404, like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Body, Router, Schema
from ninja.errors import HttpError

from ioc.accounts.access import current_user, permission_reason
from ioc.core import audit
from ioc.core.choices import AuditAction, UnitLevel
from ioc.dashboards.semantic import QuestionError
from ioc.maps.layers import (
    MAX_LIMIT,
    LayerError,
    PointQuery,
    boundary_features,
    catalogue,
    choropleth,
    feature_collection,
    find,
    point_features,
)
from ioc.maps.models import SavedMap
from ioc.maps.operational import LAYERS as OPERATIONAL
from ioc.maps.operational import features as operational_features
from ioc.maps.selection import (
    nearest_points,
    parse_shape,
    select_operational,
    select_points,
    select_units,
)

router = Router(tags=["maps"])
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")


def _layer(request: HttpRequest, layer_id: str) -> Any:
    try:
        return find(current_user(request), layer_id)
    except LayerError as e:
        raise HttpError(404, str(e)) from None


@router.get("/layers", auth=None)
def layers(request: HttpRequest) -> list[dict[str, Any]]:
    return [layer.as_json() for layer in catalogue(current_user(request))]


@router.get("/boundaries/{level}", auth=None)
def boundaries(
    request: HttpRequest, level: int, on: dt.date | None = None, simplify: float = 0.0002
) -> dict[str, Any]:
    if level not in UnitLevel.values:
        raise HttpError(404, "Cấp đơn vị không hợp lệ / no such unit level")
    tolerance = min(max(simplify, 0.0), 0.05)
    features = boundary_features(level, on=on or timezone.localdate(), tolerance=tolerance)
    return {"type": "FeatureCollection", "features": features}


@router.get("/points/{slug}", auth=None)
def points(
    request: HttpRequest,
    slug: str,
    bbox: str | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int = MAX_LIMIT,
    offset: int = 0,
) -> HttpResponse:
    layer = _layer(request, f"points:{slug}")
    box = None
    if bbox:
        try:
            west, south, east, north = (float(v) for v in bbox.split(","))
        except ValueError:
            raise HttpError(400, "bbox: tây,nam,đông,bắc / bbox: west,south,east,north") from None
        box = (west, south, east, north)
    query = PointQuery(bbox=box, start=start, end=end, limit=limit, offset=offset)
    features, matched = point_features(layer.dataset, current_user(request), query)
    _audit_read(request, layer, f"map: {len(features)} points of {slug}")
    body = feature_collection(features, numberMatched=matched, numberReturned=len(features))
    return HttpResponse(body, content_type="application/geo+json")


@router.get("/choropleth/{slug}", auth=None)
def choropleth_values(
    request: HttpRequest,
    slug: str,
    measure: str,
    agg: str = "sum",
    last: str | None = "12 months",
    start: dt.date | None = None,
    end: dt.date | None = None,
    level: str = "commune",
) -> dict[str, Any]:
    layer = _layer(request, f"choropleth:{slug}")
    if measure not in {m["name"] for m in layer.measures}:
        raise HttpError(400, f"Không có chỉ số '{measure}' / no measure '{measure}'")
    try:
        return choropleth(
            current_user(request),
            layer.dataset,
            measure,
            agg=agg,
            last=last,
            start=start,
            end=end,
            level=level,
        )
    except (LayerError, QuestionError) as e:
        raise HttpError(400, str(e)) from None


def _audit_read(request: HttpRequest, layer: Any, message: str) -> None:
    if not layer.public and layer.dataset is not None:
        audit.record(
            actor=current_user(request), action=AuditAction.READ, obj=layer.dataset, message=message
        )


@router.get("/operational/{name}", auth=None)
def operational(request: HttpRequest, name: str) -> dict[str, Any]:
    layer = _layer(request, f"ops:{name}")  # 404 unless the caller's role shows it
    features = operational_features(OPERATIONAL[layer.id], current_user(request))
    return {"type": "FeatureCollection", "features": features, "legend": layer.legend}


@router.get("/select", auth=None)
def select(
    request: HttpRequest,
    layer: str,
    shape: str,
    limit: int = 200,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> HttpResponse:
    found = _layer(request, layer)
    user = current_user(request)
    try:
        drawn = parse_shape(shape[:100_000])
    except LayerError as e:
        raise HttpError(400, str(e)) from None
    members: dict[str, Any] = {"layer": found.id, "kind": found.kind}
    if found.kind == "points":
        features, matched = select_points(found, user, drawn, limit, (start, end))
        _audit_read(request, found, f"map selection: {matched} points of {found.dataset.slug}")
        members |= {"numberMatched": matched, "numberReturned": len(features)}
        body = feature_collection(features, **members)
        return HttpResponse(body, content_type="application/geo+json")
    if found.kind == "operational":
        markers = select_operational(found.id, user, drawn)
        members |= {"numberMatched": sum(f["properties"]["count"] for f in markers)}
        body = feature_collection([json.dumps(f, ensure_ascii=False) for f in markers], **members)
        return HttpResponse(body, content_type="application/geo+json")
    units = select_units(drawn, found.level or UnitLevel.COMMUNE)
    members |= {"numberMatched": len(units), "units": units}
    return HttpResponse(feature_collection([], **members), content_type="application/geo+json")


@router.get("/nearest/{slug}", auth=None)
def nearest(
    request: HttpRequest,
    slug: str,
    lon: float,
    lat: float,
    limit: int = 5,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> HttpResponse:
    layer = _layer(request, f"points:{slug}")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise HttpError(400, "Tọa độ ngoài phạm vi / coordinates out of range")
    features = nearest_points(layer, current_user(request), lon, lat, limit, (start, end))
    _audit_read(request, layer, f"map: {len(features)} points of {slug} nearest {lat},{lon}")
    body = feature_collection(features, numberReturned=len(features))
    return HttpResponse(body, content_type="application/geo+json")


class SavedMapIn(Schema):
    name: str
    layers: list[dict[str, Any]]
    center_lat: float | None = None
    center_lon: float | None = None
    zoom: float | None = None


def _saved_out(saved: SavedMap) -> dict[str, Any]:
    return {
        "slug": saved.slug,
        "name": saved.name,
        "layers": saved.layers,
        "center_lat": saved.center_lat,
        "center_lon": saved.center_lon,
        "zoom": saved.zoom,
    }


def _user(request: HttpRequest, perm: str) -> Any:
    user = current_user(request)
    if user is None or user.is_citizen or not user.has_perm(perm):
        raise HttpError(403, permission_reason(perm))
    return user


@router.get("/saved/{slug}")
def get_saved(request: HttpRequest, slug: str) -> dict[str, Any]:
    _user(request, "maps.view_savedmap")
    saved = SavedMap.objects.filter(slug=slug).first()
    if saved is None:
        raise HttpError(404, "Không có bản đồ này / no such map")
    return _saved_out(saved)


@router.put("/saved/{slug}")
def put_saved(request: HttpRequest, slug: str, data: Body[SavedMapIn]) -> dict[str, Any]:
    user = _user(request, "maps.change_savedmap")
    if not SLUG.fullmatch(slug):
        raise HttpError(400, "Mã chỉ gồm a-z, 0-9 và - / the code takes a-z, 0-9 and - only")
    if len(data.layers) > 30:
        raise HttpError(400, "Tối đa 30 lớp / at most 30 layers")
    allowed = {layer.id for layer in catalogue(user)}
    unknown = [str(item.get("id")) for item in data.layers if item.get("id") not in allowed]
    if unknown:
        raise HttpError(400, f"Không có lớp {unknown[0]} / no layer {unknown[0]}")
    saved, created = SavedMap.objects.update_or_create(
        slug=slug[:80],
        defaults={
            "name": data.name[:200],
            "layers": data.layers,
            "center_lat": data.center_lat,
            "center_lon": data.center_lon,
            "zoom": data.zoom,
            "owner": user,
        },
    )
    audit.record(
        actor=user,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=saved,
        message=f"saved map {saved.slug}",
    )
    return _saved_out(saved)
