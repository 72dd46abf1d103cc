"""OGC API – Features, Part 1: Core, at /ogc/, so QGIS, ArcGIS and GDAL open the layers.

    /ogc/                                  landing page
    /ogc/conformance                       the conformance classes we implement
    /ogc/collections                       the layers the caller may read
    /ogc/collections/{id}                  one layer
    /ogc/collections/{id}/items            features: bbox, datetime, limit (≤ 10,000), offset
    /ogc/collections/{id}/items/{fid}      one feature

Collections: ``units-province``, ``units-district``, ``units-commune`` (the area's
boundaries, every version with its validity; ``datetime`` picks the units valid then) and
one per dataset with coordinates (its slug). Boundaries and open datasets are public; other
datasets need a signed-in session or HTTP Basic credentials (for desktop GIS; refused for
accounts with two-factor sign-in, which use a session), and their rows are limited to the
caller's scope. Reads of non-public layers are audited. Coordinates are WGS 84 (CRS84).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ioc.core import audit
from ioc.core.choices import AuditAction, UnitLevel
from ioc.maps.layers import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Layer,
    LayerError,
    PointQuery,
    boundary_features,
    catalogue,
    feature_collection,
    point_features,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ioc.accounts.models import User

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
LEVEL_IDS = {
    UnitLevel.PROVINCE: "province",
    UnitLevel.DISTRICT: "district",
    UnitLevel.COMMUNE: "commune",
}
GEOJSON = "application/geo+json"


class BadRequest(ValueError):
    pass


def _json(data: Any, status: int = 200, content_type: str = "application/json") -> HttpResponse:
    return HttpResponse(
        json.dumps(data, ensure_ascii=False, default=str), status=status, content_type=content_type
    )


def _error(status: int, code: str, vi: str, en: str) -> HttpResponse:
    return _json({"code": code, "description": f"{vi} / {en}"}, status)


def _user(request: HttpRequest) -> User | AnonymousUser | None:
    """The session's user, or the one named by HTTP Basic credentials (not for 2FA accounts)."""
    header = request.headers.get("Authorization", "")
    if request.user.is_authenticated or not header.lower().startswith("basic "):
        return request.user
    try:
        username, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return request.user
    user = authenticate(request, username=username, password=password)
    if user is None:
        return request.user
    from django_otp import user_has_device

    if user_has_device(user):
        return request.user
    return user


def _collection_id(layer: Layer) -> str:
    if layer.kind == "boundaries":
        return f"units-{LEVEL_IDS[UnitLevel(layer.level or UnitLevel.COMMUNE)]}"
    assert layer.dataset is not None
    return layer.dataset.slug


def _collections(user: User | AnonymousUser | None) -> dict[str, Layer]:
    return {
        _collection_id(layer): layer
        for layer in catalogue(user)
        if layer.kind in ("boundaries", "points")
    }


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/ogc")


def _collection_json(request: HttpRequest, cid: str, layer: Layer) -> dict[str, Any]:
    base = _base(request)
    return {
        "id": cid,
        "title": str(layer.title),
        "description": str(layer.description),
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {"spatial": {"bbox": [[102.0, 6.0, 118.0, 24.0]], "crs": CRS84}},
        "links": [
            {"href": f"{base}/collections/{cid}", "rel": "self", "type": "application/json"},
            {
                "href": f"{base}/collections/{cid}/items",
                "rel": "items",
                "type": GEOJSON,
                "title": "Features",
            },
        ],
    }


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    base = _base(request)
    return _json(
        {
            "title": "IOC – OGC API Features",
            "description": "Lớp bản đồ của tỉnh / the province's map layers",
            "links": [
                {"href": f"{base}/", "rel": "self", "type": "application/json"},
                {"href": f"{base}/conformance", "rel": "conformance", "type": "application/json"},
                {"href": f"{base}/collections", "rel": "data", "type": "application/json"},
            ],
        }
    )


@require_GET
def conformance(request: HttpRequest) -> HttpResponse:
    return _json({"conformsTo": CONFORMANCE})


@require_GET
def collections(request: HttpRequest) -> HttpResponse:
    found = _collections(_user(request))
    return _json(
        {
            "links": [
                {"href": f"{_base(request)}/collections", "rel": "self", "type": "application/json"}
            ],
            "collections": [_collection_json(request, cid, layer) for cid, layer in found.items()],
        }
    )


def _layer(request: HttpRequest, cid: str) -> tuple[Layer | None, User | AnonymousUser | None]:
    user = _user(request)
    return _collections(user).get(cid), user


@require_GET
def collection(request: HttpRequest, cid: str) -> HttpResponse:
    layer, _ = _layer(request, cid)
    if layer is None:
        return _not_found(cid)
    return _json(_collection_json(request, cid, layer))


def _not_found(cid: str) -> HttpResponse:
    return _error(
        404,
        "NotFound",
        f"Không có lớp '{cid}' (hoặc bạn không được xem)",
        f"no collection '{cid}' (or you may not read it)",
    )


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        parts = []
    if len(parts) == 6:  # 3D box: drop the heights
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4 or parts[0] > parts[2] or parts[1] > parts[3]:
        raise BadRequest("bbox phải là tây,nam,đông,bắc / bbox must be west,south,east,north")
    return parts[0], parts[1], parts[2], parts[3]


def _instant(text: str) -> dt.datetime | None:
    if text in ("", ".."):
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            value = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        except ValueError:
            raise BadRequest(
                f"thời gian '{text}' không hợp lệ (RFC 3339) / datetime '{text}' is not RFC 3339"
            ) from None
    if timezone.is_aware(value):
        value = timezone.localtime(value).replace(tzinfo=None)
    return value


def _datetime(text: str | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    if not text:
        return None, None
    if "/" in text:
        start, _, end = text.partition("/")
        return _instant(start), _instant(end)
    moment = _instant(text)
    return moment, moment


def _int(text: str | None, default: int, low: int, high: int, name: str) -> int:
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadRequest(f"{name} phải là số nguyên / {name} must be a whole number") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} phải trong {low}–{high} / {name} must be {low}–{high}")
    return value


@require_GET
def items(request: HttpRequest, cid: str, fid: str | None = None) -> HttpResponse:
    layer, user = _layer(request, cid)
    if layer is None:
        return _not_found(cid)
    try:
        bbox = _bbox(request.GET.get("bbox"))
        start, end = _datetime(request.GET.get("datetime"))
        limit = _int(request.GET.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT, "limit")
        offset = _int(request.GET.get("offset"), 0, 0, 10**9, "offset")
    except BadRequest as e:
        return _error(400, "InvalidParameterValue", *str(e).split(" / ", 1))
    page: list[str]
    if layer.kind == "boundaries":
        assert layer.level is not None
        features = boundary_features(layer.level, bbox=bbox)
        if start or end:
            features = [f for f in features if _valid_between(f["properties"], start, end)]
        if fid is not None:
            features = [f for f in features if f["id"] == fid]
        matched = len(features)
        page = [json.dumps(f, ensure_ascii=False) for f in features[offset : offset + limit]]
    else:
        assert layer.dataset is not None
        query = PointQuery(bbox=bbox, start=start, end=end, limit=limit, offset=offset, fid=fid)
        try:
            page, matched = point_features(layer.dataset, user, query)
        except LayerError as e:
            return _error(400, "InvalidParameterValue", *str(e).split(" / ", 1))
        if not layer.public:
            audit.record(
                actor=user if user is not None and user.is_authenticated else None,
                action=AuditAction.READ,
                obj=layer.dataset,
                message=f"OGC API: {len(page)} features of {cid}",
            )
    if fid is not None:
        if not page:
            return _error(404, "NotFound", f"Không có đối tượng '{fid}'", f"no feature '{fid}'")
        return HttpResponse(page[0], content_type=GEOJSON)
    return HttpResponse(_page(request, cid, page, matched, limit, offset), content_type=GEOJSON)


def _valid_between(
    props: dict[str, Any], start: dt.datetime | None, end: dt.datetime | None
) -> bool:
    valid_from = props.get("valid_from") or "0000-01-01"
    valid_to = props.get("valid_to") or "9999-12-31"
    after = end.date().isoformat() if end else "9999-12-31"
    before = start.date().isoformat() if start else "0000-01-01"
    return valid_from <= after and valid_to >= before


def _page(
    request: HttpRequest,
    cid: str,
    features: list[str],
    matched: int,
    limit: int,
    offset: int,
) -> str:
    url = f"{_base(request)}/collections/{cid}/items"
    params = {k: v for k, v in request.GET.items() if k not in ("offset", "limit")}

    def link(rel: str, at: int) -> dict[str, str]:
        query = urlencode({**params, "limit": limit, "offset": at})
        return {"href": f"{url}?{query}", "rel": rel, "type": GEOJSON}

    links = [link("self", offset)]
    if offset + limit < matched:
        links.append(link("next", offset + limit))
    if offset > 0:
        links.append(link("prev", max(0, offset - limit)))
    return feature_collection(
        features,
        timeStamp=timezone.now().isoformat(timespec="seconds"),
        numberMatched=matched,
        numberReturned=len(features),
        links=links,
    )
