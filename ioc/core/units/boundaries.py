"""Units' polygons: import from a file, derive from children and history, read back.

* ``import_boundaries(path)`` reads GeoJSON or a Shapefile (``geofiles``), matches each
  feature to a unit by its code, repairs what can be repaired, keeps what was valid and writes
  what was refused, with the reason, to ``var/geo/rejected/`` (nothing is lost). Then it
  derives what the file did not give.
* ``derive_missing()`` gives polygons to units that have none but can be built from others:
  a unit formed by a merge is the union of the units merged into it; a unit that was split
  shares its predecessor's polygon among its parts (a Voronoi partition around the parts'
  centres, the same way the demo draws communes); a district or province is the union of its
  communes. So polygons follow unit history: import the communes of one tree and the other
  tree and the upper levels follow.
* ``geometries(units)`` reads polygons back as shapely objects, cached per version.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shapely
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from shapely.geometry import MultiPoint, MultiPolygon, Point
from shapely.geometry.base import BaseGeometry

from ioc.core import audit
from ioc.core.choices import AuditAction, BoundaryOrigin, TransitionKind
from ioc.core.memo import remember
from ioc.core.models import AdministrativeUnit, Boundary, UnitTransition
from ioc.core.text import fold
from ioc.core.units.errors import bilingual
from ioc.core.units.geofiles import check, read_features

if TYPE_CHECKING:
    from ioc.accounts.models import User

# Property names that hold a unit's code, compared folded (no case, no diacritics, no
# separators), in order of preference.
CODE_FIELDS = (
    "code",
    "unitcode",
    "madvhc",
    "madonvi",
    "maxa",
    "maphuongxa",
    "mahuyen",
    "matinh",
    "ma",
    "adm3pcode",
    "adm2pcode",
    "adm1pcode",
)
CODE_WIDTH = {1: 2, 2: 3, 3: 5}  # Vietnamese codes: province 2 digits, district 3, commune 5


@dataclass
class Rejected:
    index: int
    code: str
    en: str
    vi: str


@dataclass
class ImportReport:
    path: str
    read: int = 0
    saved: int = 0
    repaired: int = 0
    derived: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    rejected_file: str = ""
    missing: list[str] = field(default_factory=list)  # area units still without a polygon

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "read": self.read,
            "saved": self.saved,
            "repaired": self.repaired,
            "derived": self.derived,
            "rejected": [r.__dict__ for r in self.rejected],
            "rejected_file": self.rejected_file,
            "missing": self.missing,
        }


def _code_key(properties: dict[str, Any], wanted: str | None) -> str | None:
    folded = {
        fold(str(k)).replace(" ", "").replace("_", "").replace("-", ""): k for k in properties
    }
    if wanted:
        key = fold(wanted).replace(" ", "").replace("_", "").replace("-", "")
        return folded.get(key)
    for name in CODE_FIELDS:
        if name in folded:
            return folded[name]
    return None


def _code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if value is not None else ""


class _Units:
    """Units by code, preferring the version valid on ``on`` (or the latest one)."""

    def __init__(self, level: int | None, on: dt.date | None) -> None:
        qs = AdministrativeUnit.objects.all()
        if level:
            qs = qs.filter(level=level)
        if on:
            qs = qs.valid_on(on)
        self.by_code: dict[str, AdministrativeUnit] = {}
        for unit in qs.order_by("valid_from"):
            current = self.by_code.get(unit.code)
            # the in-area unit wins over a namesake elsewhere; later versions over earlier
            if current is None or unit.in_area or not current.in_area:
                self.by_code[unit.code] = unit

    def get(self, code: str) -> AdministrativeUnit | None:
        unit = self.by_code.get(code)
        if unit is None and code.isdigit():
            for width in sorted(set(CODE_WIDTH.values())):
                unit = unit or self.by_code.get(code.zfill(width))
        return unit


def import_boundaries(
    path: Path,
    *,
    level: int | None = None,
    code_field: str | None = None,
    on: dt.date | None = None,
    swap: bool = False,
    actor: User | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the polygons in ``path`` (details in the module's doc); returns what happened."""
    report = ImportReport(path=str(path))
    units = _Units(level, on)
    rejected_features: list[dict[str, Any]] = []
    seen: set[int] = set()

    def reject(feature: Any, code: str, reason: tuple[str, str]) -> None:
        report.rejected.append(Rejected(feature.index, code, *reason))
        rejected_features.append(
            {
                "type": "Feature",
                "properties": {**feature.properties, "_reason": reason[0], "_ly_do": reason[1]},
                "geometry": shapely.geometry.mapping(feature.geometry)
                if feature.geometry is not None
                else None,
            }
        )

    with transaction.atomic():
        for feature in read_features(path, swap=swap):
            report.read += 1
            if progress:
                progress(report.read)
            key = _code_key(feature.properties, code_field)
            code = _code(feature.properties.get(key)) if key else ""
            if feature.problem:
                reject(feature, code, feature.problem)
                continue
            if not code:
                reject(
                    feature,
                    "",
                    bilingual(
                        "No unit code: name the property that holds it with --code-field "
                        "(properties: %(keys)s).",
                        "Không có mã đơn vị: hãy chỉ ra thuộc tính chứa mã bằng --code-field "
                        "(các thuộc tính: %(keys)s).",
                        keys=", ".join(list(feature.properties)[:12]) or "-",
                    ),
                )
                continue
            unit = units.get(code)
            if unit is None:
                reject(
                    feature,
                    code,
                    bilingual(
                        "No administrative unit has the code %(code)s%(level)s.",
                        "Không có đơn vị hành chính nào mang mã %(code)s%(level)s.",
                        code=code,
                        level=f" (level {level})" if level else "",
                    ),
                )
                continue
            checked = check(feature.geometry)
            if checked.geometry is None:
                assert checked.reason is not None
                reject(feature, code, checked.reason)
                continue
            if unit.pk in seen:  # several features for one unit: their union
                existing = Boundary.objects.get(unit=unit)
                checked.geometry = _multi(
                    shapely.union(shapely.from_wkb(existing.wkb), checked.geometry)
                )
            seen.add(unit.pk)
            save(unit, checked.geometry, BoundaryOrigin.IMPORTED, path.name)
            report.saved += 1
            report.repaired += checked.repaired
        report.derived = derive_missing()
    if rejected_features:
        report.rejected_file = str(_keep_rejected(path, rejected_features))
    report.missing = list(
        AdministrativeUnit.objects.in_area()
        .filter(boundary__isnull=True)
        .order_by("level", "code")
        .values_list("code", flat=True)
    )
    audit.record(
        actor=actor,
        action=AuditAction.ACTION,
        object_type="core.boundary",
        object_repr=path.name,
        message=(
            f"Imported boundaries from {path.name}: {report.saved} saved "
            f"({report.repaired} repaired), {len(report.rejected)} rejected, "
            f"{report.derived} derived"
        ),
    )
    return report


def _keep_rejected(path: Path, features: list[dict[str, Any]]) -> Path:
    folder = Path(settings.VAR_DIR) / "geo" / "rejected"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    target = folder / f"{stamp}-{path.stem}.geojson"
    target.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    )
    return target


def _multi(geom: BaseGeometry) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon"]
    return MultiPolygon(parts)


def save(unit: AdministrativeUnit, geom: BaseGeometry, origin: str, source: str) -> Boundary:
    geom = _multi(geom)
    minx, miny, maxx, maxy = geom.bounds
    boundary, _ = Boundary.objects.update_or_create(
        unit=unit,
        defaults={
            "wkb": shapely.to_wkb(geom),
            "min_lon": minx,
            "min_lat": miny,
            "max_lon": maxx,
            "max_lat": maxy,
            "origin": origin,
            "source": source[:200],
        },
    )
    return boundary


def partition(polygon: BaseGeometry, centres: Sequence[Point]) -> list[BaseGeometry]:
    """``polygon`` cut into one piece per centre: the Voronoi cells of the centres, clipped."""
    if len(centres) == 1:
        return [polygon]
    cells = shapely.voronoi_polygons(MultiPoint(list(centres)), extend_to=polygon, ordered=True)
    return [shapely.intersection(cell, polygon) for cell in cells.geoms]


def derive_missing() -> int:
    """Give polygons to the units that can take them from history or children; how many."""
    have: dict[int, BaseGeometry] = {}
    demo: set[int] = set()  # what is drawn from demo geometry is demo geometry too
    for unit_id, wkb, origin in Boundary.objects.values_list("unit_id", "wkb", "origin"):
        have[unit_id] = shapely.from_wkb(wkb)
        if origin == BoundaryOrigin.DEMO:
            demo.add(unit_id)
    units = {u.pk: u for u in AdministrativeUnit.objects.all()}
    children: dict[int, list[int]] = defaultdict(list)
    for unit in units.values():
        if unit.parent_id:
            children[unit.parent_id].append(unit.pk)
    edges = UnitTransition.objects.filter(
        kind__in=[TransitionKind.MERGE, TransitionKind.SPLIT, TransitionKind.RENAME]
    ).values_list("source_id", "target_id", "effective")
    targets_of: dict[int, list[int]] = defaultdict(list)
    sources_of: dict[int, list[int]] = defaultdict(list)
    for source, target, effective in edges:
        targets_of[source].append(target)
        # Only a unit formed on that day is made of its predecessors; one that carried on
        # (a city that took in a province) had its own territory before.
        if target in units and units[target].valid_from == effective:
            sources_of[target].append(source)

    def from_history(pk: int) -> BaseGeometry | None:
        pieces = []
        for source in sources_of.get(pk, ()):
            if source not in have:
                return None
            parts = [t for t in targets_of[source] if t in units]
            if len(parts) == 1:
                pieces.append(have[source])
                continue
            centres = [units[t] for t in parts]
            if any(c.longitude is None or c.latitude is None for c in centres):
                return None
            cut = partition(have[source], [Point(c.longitude, c.latitude) for c in centres])
            pieces.append(cut[parts.index(pk)])
        return shapely.union_all(pieces) if pieces else None

    def from_children(pk: int) -> BaseGeometry | None:
        kids = [k for k in children.get(pk, ()) if units[k].in_area or k in have]
        if not kids or any(k not in have for k in kids):
            return None
        return shapely.union_all([have[k] for k in kids])

    derived = 0
    progress = True
    while progress:
        progress = False
        for pk, unit in units.items():
            if pk in have or not (unit.in_area or sources_of.get(pk) or children.get(pk)):
                continue
            geom = from_history(pk) or from_children(pk)
            if geom is None or geom.is_empty or geom.area == 0:
                continue
            geom = _multi(shapely.make_valid(geom))
            inputs = set(sources_of.get(pk, ())) | set(children.get(pk, ()))
            if inputs & demo:
                demo.add(pk)
                save(unit, geom, BoundaryOrigin.DEMO, "demo (derived)")
            else:
                save(unit, geom, BoundaryOrigin.DERIVED, "")
            have[pk] = geom
            derived += 1
            progress = True
    return derived


# Read back ------------------------------------------------------------------------------------

_cache: dict[str, Any] = {"version": None, "geoms": {}}


@remember(5, Boundary)
def version() -> tuple[int, str]:
    """Changes whenever any boundary does (a count and the latest update)."""
    row = Boundary.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    return row["n"], str(row["at"])


def geometries(unit_ids: Iterable[int] | None = None) -> dict[int, BaseGeometry]:
    """Unit id → polygon, for ``unit_ids`` (all when None); parsed once per version."""
    current = version()
    if _cache["version"] != current:
        _cache["version"] = current
        _cache["geoms"] = {
            unit_id: shapely.from_wkb(wkb)
            for unit_id, wkb in Boundary.objects.values_list("unit_id", "wkb")
        }
    geoms: dict[int, BaseGeometry] = _cache["geoms"]
    if unit_ids is None:
        return dict(geoms)
    return {pk: geoms[pk] for pk in unit_ids if pk in geoms}


def units_with_boundaries(
    *, level: int | None = None, on: dt.date | None = None, bbox: Sequence[float] | None = None
) -> Any:
    """Area units that have a polygon, optionally of one level, valid on a day, in a box."""
    qs = AdministrativeUnit.objects.in_area().filter(boundary__isnull=False)
    if level:
        qs = qs.filter(level=level)
    if on:
        qs = qs.valid_on(on)
    if bbox:
        west, south, east, north = bbox
        qs = qs.filter(
            Q(boundary__max_lon__gte=west)
            & Q(boundary__min_lon__lte=east)
            & Q(boundary__max_lat__gte=south)
            & Q(boundary__min_lat__lte=north)
        )
    return qs.select_related("boundary", "parent").order_by("level", "code")
