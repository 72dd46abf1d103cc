"""Boundaries: import from GeoJSON and Shapefile, repairs and refusals, derivation from history,
and the point → unit lookup."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapefile
import shapely
from django.core.management import CommandError, call_command
from shapely.geometry import box, mapping

from ioc.conftest import WARD_CELLS as CELLS
from ioc.core.choices import BoundaryOrigin
from ioc.core.models import AuditEntry, Boundary
from ioc.core.units import boundaries, geofiles
from ioc.core.units.geofiles import GeoFileError
from ioc.core.units.locate import Locator

BEFORE = dt.date(2025, 6, 1)
# Five old wards side by side, 0.02° wide, in Thủ Dầu Một's latitude band.


def feature(props: dict[str, Any], geom: Any) -> dict[str, Any]:
    geometry = geom if isinstance(geom, dict) or geom is None else mapping(geom)
    return {"type": "Feature", "properties": props, "geometry": geometry}


def write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


@pytest.fixture
def old_wards(units: dict[str, Any], tmp_path: Path, settings: Any) -> Path:
    settings.VAR_DIR = tmp_path
    return write_geojson(
        tmp_path / "phuong.geojson",
        [feature({"MA_XA": code}, geom) for code, geom in CELLS.items()],
    )


def test_import_matches_codes_and_derives_the_merged_wards_and_the_district(
    units: dict[str, Any], old_wards: Path
) -> None:
    report = boundaries.import_boundaries(old_wards, on=BEFORE)

    assert (report.read, report.saved, report.rejected) == (5, 5, [])
    old = units["old"]["25753"].boundary
    assert old.origin == BoundaryOrigin.IMPORTED and old.source == "phuong.geojson"
    assert (old.min_lon, old.max_lon) == pytest.approx((106.62, 106.64))
    # Phú Cường + Phú Thọ + Chánh Nghĩa → the new Thủ Dầu Một ward, and the district of all five
    new_tdm = shapely.from_wkb(Boundary.objects.get(unit=units["new_tdm"]).wkb)
    assert new_tdm.equals(shapely.union_all([CELLS[c] for c in ("25747", "25753", "25756")]))
    district = shapely.from_wkb(Boundary.objects.get(unit=units["tdm"]).wkb)
    assert district.area == pytest.approx(0.02 * 0.1)
    assert Boundary.objects.get(unit=units["tdm"]).origin == BoundaryOrigin.DERIVED
    # Hồ Chí Minh City carried on across the merge: its polygon is its wards', not Bình Dương's
    hcm = shapely.from_wkb(Boundary.objects.get(unit=units["hcm"]).wkb)
    assert hcm.area == pytest.approx(0.02 * 0.1)
    assert report.derived == 5  # two new wards, the district, both provinces
    assert AuditEntry.objects.filter(object_repr="phuong.geojson").exists()


def test_bad_features_are_refused_with_reasons_and_kept_the_good_ones_saved(
    units: dict[str, Any], tmp_path: Path, settings: Any
) -> None:
    settings.VAR_DIR = tmp_path
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [[106.6, 10.95], [106.62, 10.97], [106.62, 10.95], [106.6, 10.97], [106.6, 10.95]]
        ],
    }
    swapped = shapely.transform(CELLS["25756"], lambda xy: xy[:, ::-1])
    path = write_geojson(
        tmp_path / "mixed.geojson",
        [
            feature({"ma": "25747"}, bow_tie),
            feature({"ma": "25753"}, CELLS["25753"]),
            feature({"ma": "25756"}, swapped),
            feature({"ma": "25744"}, box(2.3, 48.8, 2.4, 48.9)),  # Paris
            feature({"ma": "99999"}, CELLS["25750"]),
            feature({"ten": "Phú Hòa"}, CELLS["25750"]),
            feature({"ma": "25750"}, {"type": "Point", "coordinates": [106.69, 10.96]}),
            feature({"ma": "25750"}, None),
            feature({"ma": "25750"}, box(600000, 1200000, 601000, 1201000)),
        ],
    )
    report = boundaries.import_boundaries(path, on=BEFORE)

    assert (report.read, report.saved, report.repaired) == (9, 2, 1)
    reasons = {r.index: r.en for r in report.rejected}
    assert "swapped" in reasons[3] and "--swap-xy" in reasons[3]
    assert "outside Vietnam" in reasons[4]
    assert "No administrative unit has the code 99999" in reasons[5]
    assert "No unit code" in reasons[6] and "ten" in reasons[6]
    assert "Point, not a polygon" in reasons[7]
    assert "no geometry" in reasons[8]
    assert "in metres" in reasons[9]
    assert all(r.vi and r.vi != r.en for r in report.rejected)
    repaired = shapely.from_wkb(units["old"]["25747"].boundary.wkb)
    assert repaired.is_valid and repaired.area > 0
    # the refused features are kept, with their reasons, to be fixed and imported again
    kept = json.loads(Path(report.rejected_file).read_text())
    assert len(kept["features"]) == 7
    assert kept["features"][0]["properties"]["ma"] == "25756"
    assert "swapped" in kept["features"][0]["properties"]["_reason"]
    assert kept["features"][0]["properties"]["_ly_do"]
    # the whole file latitude first: --swap-xy reads it
    again = boundaries.import_boundaries(
        write_geojson(tmp_path / "latlon.geojson", [feature({"ma": "25756"}, swapped)]),
        on=BEFORE,
        swap=True,
    )
    assert again.saved == 1


def test_whole_file_refusals_leave_nothing_half_done(
    units: dict[str, Any], tmp_path: Path, settings: Any, monkeypatch: Any
) -> None:
    settings.VAR_DIR = tmp_path
    metres = write_geojson(
        tmp_path / "vn2000.geojson",
        [
            feature({"ma": "25753"}, box(600000, 1200000, 601000, 1201000)),
            feature({"ma": "25747"}, CELLS["25747"]),
        ],
    )
    with pytest.raises(GeoFileError, match="ogr2ogr -t_srs EPSG:4326"):
        boundaries.import_boundaries(metres, on=BEFORE)
    assert not Boundary.objects.exists()

    (tmp_path / "broken.geojson").write_text("{not json")
    with pytest.raises(GeoFileError, match="not valid JSON"):
        boundaries.import_boundaries(tmp_path / "broken.geojson")
    (tmp_path / "list.csv").write_text("a,b\n")
    with pytest.raises(GeoFileError, match="GeoJSON"):
        boundaries.import_boundaries(tmp_path / "list.csv")
    monkeypatch.setattr(geofiles, "MAX_BYTES", 100)
    with pytest.raises(GeoFileError, match="limit is"):
        boundaries.import_boundaries(metres)
    assert not Boundary.objects.exists()


def _shapefile_zip(tmp_path: Path, prj: str) -> Path:
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON) as w:
        w.field("MA_XA", "C", size=10)
        w.field("TEN", "C", size=60)
        for code, geom in CELLS.items():
            w.poly([list(geom.exterior.coords)[::-1]])
            w.record(code, "Phường")
    path = tmp_path / "xa.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name, buf in (("xa.shp", shp), ("xa.shx", shx), ("xa.dbf", dbf)):
            z.writestr(name, buf.getvalue())
        z.writestr("xa.prj", prj)
        z.writestr("xa.cpg", "UTF-8")
    return path


def test_a_zipped_shapefile_imports(units: dict[str, Any], tmp_path: Path, settings: Any) -> None:
    settings.VAR_DIR = tmp_path
    path = _shapefile_zip(tmp_path, 'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984"]]')
    out = io.StringIO()
    call_command("geo", "import-boundaries", str(path), "--on", "2025-06-01", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["read"], report["saved"], report["rejected"]) == (5, 5, [])
    assert shapely.from_wkb(units["old"]["25744"].boundary.wkb).equals(CELLS["25744"])

    projected = _shapefile_zip(tmp_path, 'PROJCS["VN_2000_UTM_zone_48N",GEOGCS["VN-2000"]]')
    with pytest.raises(CommandError, match="VN_2000_UTM_ZONE_48N"):
        call_command("geo", "import-boundaries", str(projected))


def test_locate_points_in_both_trees(units: dict[str, Any], old_wards: Path) -> None:
    boundaries.import_boundaries(old_wards, on=BEFORE)
    today = Locator.for_day(dt.date(2025, 8, 1))
    before = Locator.for_day(BEFORE)
    assert len(today) == 2 and len(before) == 5

    found = before.locate(106.625, 10.96)
    assert found is not None and found.code == "25753" and found.parents == ("718", "74")
    now = today.locate(106.625, 10.96)
    assert now is not None and now.code == "25747" and now.parents == ("79",)
    # on the line between Phú Thọ and Chánh Nghĩa: covered by both, given to one
    assert before.codes([106.64], [10.96])[0] in {"25753", "25756"}
    # a corner of the area counts (covers, not contains)
    assert before.codes([106.60], [10.95])[0] == "25747"
    codes = before.codes(
        np.array([106.61, 106.69, 100.0, np.nan]), np.array([10.96, 10.96, 10.0, 1.0])
    )
    assert list(codes) == ["25747", "25750", None, None]
    assert list(before.swapped([10.96, 106.61], [106.61, 10.96])) == [True, False]


def test_a_split_shares_the_polygon_among_its_parts(
    units: dict[str, Any], tmp_path: Path, settings: Any
) -> None:
    from ioc.core.models import AdministrativeUnit as U
    from ioc.core.models import UnitTransition as T

    settings.VAR_DIR = tmp_path
    whole = U.objects.create(
        code="25999", name="Xã Tách", level=3, parent=units["tdm"], valid_to=BEFORE, in_area=True
    )
    parts = []
    for code, lon in (("90001", 106.665), ("90002", 106.675)):
        part = U.objects.create(
            code=code,
            name=code,
            level=3,
            parent=units["hcm"],
            valid_from=dt.date(2025, 7, 1),
            longitude=lon,
            latitude=10.96,
            in_area=True,
        )
        T.objects.create(
            kind="split", source=whole, target=part, effective=dt.date(2025, 7, 1), weight=0.5
        )
        parts.append(part)
    boundaries.save(whole, CELLS["25744"], BoundaryOrigin.IMPORTED, "test")
    boundaries.derive_missing()
    west, east = (shapely.from_wkb(Boundary.objects.get(unit=p).wkb) for p in parts)
    assert west.area == pytest.approx(east.area) and west.union(east).equals(CELLS["25744"])
    assert west.bounds[2] == pytest.approx(106.67)
