"""Reading polygon files (GeoJSON, Shapefile) and checking their geometries.

Agencies send boundaries as GeoJSON (RFC 7946: longitude, latitude in WGS 84) or as an ESRI
Shapefile (``.shp`` with its ``.dbf``, ``.shx``, ``.prj``; or the set zipped). What goes wrong
in practice, and what each check says:

* a projected file (VN-2000 / UTM metres, not degrees): refused as a whole, with the
  ``ogr2ogr -t_srs EPSG:4326`` line that converts it;
* latitude and longitude swapped (``[10.9, 106.6]`` instead of ``[106.6, 10.9]``): the
  feature is refused, and ``--swap-xy`` reads the file the other way round;
* coordinates outside Vietnam (islands included);
* self-intersections and other invalid rings: repaired with ``make_valid`` (kept, and
  counted as repaired), points and lines that are left over are dropped;
* a file larger than ``MAX_BYTES``: refused before it is read.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from ioc.core.units.errors import UnitChangeError, bilingual

MAX_BYTES = 512 * 1024 * 1024
# Vietnam with its islands (Hoàng Sa, Trường Sa), in degrees: (west, south, east, north).
VIETNAM = (102.0, 6.0, 118.0, 24.0)
SHAPEFILE_PARTS = (".shp", ".dbf", ".shx", ".prj", ".cpg")


class GeoFileError(UnitChangeError):
    """A file that cannot be read as boundaries at all (nothing was imported)."""


@dataclass
class Feature:
    index: int  # 1-based, in file order
    properties: dict[str, Any]
    geometry: BaseGeometry | None
    problem: tuple[str, str] | None = None  # (English, Vietnamese) when it cannot be read


@dataclass
class Checked:
    """A feature's geometry made usable, or the reason it is not."""

    geometry: MultiPolygon | None
    repaired: bool = False
    reason: tuple[str, str] | None = None
    notes: list[str] = field(default_factory=list)


def in_box(geom: BaseGeometry, box: tuple[float, float, float, float] = VIETNAM) -> bool:
    west, south, east, north = box
    minx, miny, maxx, maxy = (float(v) for v in geom.bounds)
    return west <= minx and maxx <= east and south <= miny and maxy <= north


def swap_xy(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: xy[:, ::-1])


def check(geom: BaseGeometry | None) -> Checked:
    """Make ``geom`` a valid multipolygon in Vietnam, or say why it cannot be one."""
    if geom is None or geom.is_empty:
        return Checked(
            None, reason=bilingual("The feature has no geometry.", "Đối tượng không có hình.")
        )
    if not isinstance(geom, (Polygon, MultiPolygon)) and not any(
        isinstance(part, (Polygon, MultiPolygon)) for part in getattr(geom, "geoms", ())
    ):
        return Checked(
            None,
            reason=bilingual(
                "The geometry is a %(kind)s, not a polygon.",
                "Hình là %(kind)s, không phải đa giác.",
                kind=geom.geom_type,
            ),
        )
    if not in_box(geom):
        if in_box(swap_xy(geom)):
            return Checked(
                None,
                reason=bilingual(
                    "Latitude and longitude look swapped (GeoJSON is longitude first); "
                    "import again with --swap-xy if the whole file is written that way.",
                    "Vĩ độ và kinh độ có vẻ bị đảo (GeoJSON ghi kinh độ trước); nếu cả tệp "
                    "ghi như vậy, hãy nhập lại với --swap-xy.",
                ),
            )
        minx, miny, maxx, maxy = geom.bounds
        return Checked(
            None,
            reason=bilingual(
                "The coordinates (%(box)s) lie outside Vietnam.",
                "Tọa độ (%(box)s) nằm ngoài lãnh thổ Việt Nam.",
                box=f"{minx:.4f}, {miny:.4f} – {maxx:.4f}, {maxy:.4f}",
            ),
        )
    repaired = False
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
        repaired = True
    polygons = _polygons(geom)
    if not polygons:
        return Checked(
            None,
            reason=bilingual(
                "The polygon has no area once repaired.",
                "Đa giác không còn diện tích sau khi sửa.",
            ),
        )
    return Checked(MultiPolygon(polygons), repaired=repaired)


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom] if not geom.is_empty and geom.area > 0 else []
    return [p for part in getattr(geom, "geoms", ()) for p in _polygons(part)]


def read_features(path: Path, *, swap: bool = False) -> Iterator[Feature]:
    """The features of a GeoJSON file, a Shapefile or a zip of one, in order."""
    if not path.exists():
        raise GeoFileError("No such file: %(path)s.", "Không có tệp: %(path)s.", path=str(path))
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise GeoFileError(
            "The file is %(size)s MB; the limit is %(limit)s MB. Split it by province or "
            "simplify it (ogr2ogr -simplify 0.0001) first.",
            "Tệp nặng %(size)s MB, vượt giới hạn %(limit)s MB. Hãy tách theo tỉnh hoặc làm "
            "đơn giản hình (ogr2ogr -simplify 0.0001) trước.",
            size=f"{size / 1048576:.0f}",
            limit=f"{MAX_BYTES / 1048576:.0f}",
        )
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        features = _geojson(path)
    elif suffix == ".shp":
        features = _shapefile(path)
    elif suffix == ".zip":
        features = _zipped_shapefile(path)
    else:
        raise GeoFileError(
            "Boundaries are read from GeoJSON (.geojson, .json) or a Shapefile (.shp, or a "
            ".zip of one); %(name)s is neither.",
            "Ranh giới được đọc từ GeoJSON (.geojson, .json) hoặc Shapefile (.shp, hoặc "
            "tệp .zip chứa nó); %(name)s không phải hai loại đó.",
            name=path.name,
        )
    first = True
    for feature in features:
        if swap and feature.geometry is not None:
            feature.geometry = swap_xy(feature.geometry)
        if feature.geometry is not None and _projected(feature.geometry):
            metres = bilingual(
                "The coordinates are in metres (a projected system such as VN-2000 or UTM), "
                "not degrees. Convert the file first: ogr2ogr -t_srs EPSG:4326 out.geojson "
                "%(name)s",
                "Tọa độ tính bằng mét (hệ chiếu như VN-2000 hay UTM), không phải độ. Hãy "
                "chuyển đổi tệp trước: ogr2ogr -t_srs EPSG:4326 out.geojson %(name)s",
                name=path.name,
            )
            if first:  # the file is projected: say it once, import nothing
                raise GeoFileError(metres[0], metres[1])
            feature.problem = metres
        if feature.geometry is not None:
            first = False
        if feature.problem is None and feature.geometry is None:
            feature.problem = bilingual("The feature has no geometry.", "Đối tượng không có hình.")
        yield feature


def _projected(geom: BaseGeometry) -> bool:
    """Coordinates that are not degrees either way round (metres of a projection)."""
    minx, miny, maxx, maxy = (float(v) for v in geom.bounds)
    x, y = max(abs(minx), abs(maxx)), max(abs(miny), abs(maxy))
    return (x > 180 or y > 90) and (y > 180 or x > 90)


def _geometry(data: Any) -> tuple[BaseGeometry | None, tuple[str, str] | None]:
    if not data:
        return None, None
    try:
        return shape(data), None
    except (ValueError, TypeError, AttributeError, KeyError, shapely.errors.GEOSException) as e:
        return None, bilingual(
            "The geometry cannot be read: %(error)s.",
            "Không đọc được hình: %(error)s.",
            error=str(e)[:200],
        )


def _geojson(path: Path) -> Iterator[Feature]:
    try:
        with path.open("rb") as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise GeoFileError(
            "%(name)s is not valid JSON: %(error)s.",
            "%(name)s không phải JSON hợp lệ: %(error)s.",
            name=path.name,
            error=str(e)[:200],
        ) from e
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        items = data.get("features") or []
    elif isinstance(data, dict) and data.get("type") == "Feature":
        items = [data]
    else:
        raise GeoFileError(
            "%(name)s is JSON but not a GeoJSON FeatureCollection.",
            "%(name)s là JSON nhưng không phải GeoJSON FeatureCollection.",
            name=path.name,
        )
    crs = (((data.get("crs") or {}).get("properties") or {}).get("name") or "").upper()
    if crs and not any(w in crs for w in ("4326", "CRS84", "WGS84", "WGS 84")):
        raise GeoFileError(
            "%(name)s declares the coordinate system %(crs)s; boundaries must be in WGS 84 "
            "(EPSG:4326). Convert it: ogr2ogr -t_srs EPSG:4326 out.geojson %(name)s",
            "%(name)s khai báo hệ tọa độ %(crs)s; ranh giới phải theo WGS 84 (EPSG:4326). "
            "Hãy chuyển đổi: ogr2ogr -t_srs EPSG:4326 out.geojson %(name)s",
            name=path.name,
            crs=crs,
        )
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            continue
        geom, problem = _geometry(item.get("geometry"))
        yield Feature(i, dict(item.get("properties") or {}), geom, problem)


def _shapefile(path: Path) -> Iterator[Feature]:
    import shapefile  # pyshp

    prj = path.with_suffix(".prj")
    if prj.exists():
        text = prj.read_text(errors="replace").upper()
        if text.startswith("PROJCS"):
            raise GeoFileError(
                "%(name)s is in a projected coordinate system (%(crs)s); boundaries must be "
                "in WGS 84 (EPSG:4326). Convert it: ogr2ogr -t_srs EPSG:4326 out.geojson "
                "%(name)s",
                "%(name)s dùng hệ tọa độ chiếu (%(crs)s); ranh giới phải theo WGS 84 "
                "(EPSG:4326). Hãy chuyển đổi: ogr2ogr -t_srs EPSG:4326 out.geojson %(name)s",
                name=path.name,
                crs=text.split('"')[1] if '"' in text else "PROJCS",
            )
    cpg = path.with_suffix(".cpg")
    encoding = cpg.read_text().strip() if cpg.exists() else "utf-8"
    try:
        reader = shapefile.Reader(str(path), encoding=encoding, encodingErrors="replace")
    except (shapefile.ShapefileException, OSError, LookupError) as e:
        raise GeoFileError(
            "%(name)s cannot be read as a Shapefile: %(error)s.",
            "Không đọc được %(name)s dạng Shapefile: %(error)s.",
            name=path.name,
            error=str(e)[:200],
        ) from e
    with reader:
        for i, record in enumerate(reader.iterShapeRecords(), start=1):
            geo = record.shape.__geo_interface__ if record.shape.shapeType else None
            geom, problem = _geometry(geo)
            yield Feature(i, record.record.as_dict(), geom, problem)


def _zipped_shapefile(path: Path) -> Iterator[Feature]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise GeoFileError(
            "%(name)s is not a zip file.", "%(name)s không phải tệp zip.", name=path.name
        ) from e
    with archive, tempfile.TemporaryDirectory(prefix="ioc-shp-") as tmp:
        members = [
            m for m in archive.infolist() if Path(m.filename).suffix.lower() in SHAPEFILE_PARTS
        ]
        shps = [m for m in members if m.filename.lower().endswith(".shp")]
        if len(shps) != 1:
            raise GeoFileError(
                "%(name)s must hold exactly one .shp (with its .dbf and .shx); it holds %(n)s.",
                "%(name)s phải chứa đúng một tệp .shp (kèm .dbf và .shx); tệp chứa %(n)s.",
                name=path.name,
                n=len(shps),
            )
        if sum(m.file_size for m in members) > MAX_BYTES:
            raise GeoFileError(
                "%(name)s unpacks to more than %(limit)s MB.",
                "%(name)s giải nén ra hơn %(limit)s MB.",
                name=path.name,
                limit=f"{MAX_BYTES / 1048576:.0f}",
            )
        stem = Path(shps[0].filename).stem
        for member in members:
            if Path(member.filename).stem != stem:
                continue
            # Flat names only: a member's path never leaves the temporary folder.
            target = Path(tmp) / ("layer" + Path(member.filename).suffix.lower())
            with archive.open(member) as src, target.open("wb") as dst:
                dst.write(src.read())
        yield from _shapefile(Path(tmp) / "layer.shp")
