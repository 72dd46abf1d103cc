"""The map's layers through HTTP: the catalogue by who asks, boundaries, points with scope,
choropleths through the semantic layer, saved maps; and OGC API Features, read by GDAL."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from ioc.accounts.choices import Role
from ioc.conftest import WARD_CELLS as CELLS
from ioc.conftest import require
from ioc.core.choices import BoundaryOrigin
from ioc.core.models import AuditEntry
from ioc.core.units import boundaries
from ioc.integrations.services import ingest_file

# Five old wards side by side, and the two 2025 wards they formed (conftest's `units`).
POINT_COLUMNS = [
    {"name": "ma", "type": "text", "role": "attribute"},
    {"name": "ngay", "type": "date", "role": "time"},
    {"name": "vi_do", "type": "decimal", "role": "lat"},
    {"name": "kinh_do", "type": "decimal", "role": "lon"},
    {"name": "ma_xa", "type": "text", "role": "unit"},
    {"name": "so_vu", "type": "integer", "role": "measure"},
]


@pytest.fixture
def mapped(
    units: dict[str, Any], make_dataset: Any, tmp_path: Path, settings: Any
) -> dict[str, Any]:
    settings.VAR_DIR = tmp_path
    for code, cell in CELLS.items():
        boundaries.save(units["old"][code], cell, BoundaryOrigin.IMPORTED, "test")
    boundaries.derive_missing()
    # 40 points: 25 in the new Thủ Dầu Một ward (25747), 15 in Phú Lợi (25750), one a day
    lines = ["ma,ngay,vi_do,kinh_do,ma_xa,so_vu"]
    for i in range(40):
        code, lon = (
            ("25747", 106.605 + i * 0.002) if i < 25 else ("25750", 106.665 + (i - 25) * 0.002)
        )
        lines.append(f"P{i:02d},2026-01-{1 + i % 28:02d},10.96,{lon:.4f},{code},{1 + i % 3}")
    csv = tmp_path / "points.csv"
    csv.write_text("\n".join(lines) + "\n")
    private = make_dataset("diem_rieng", POINT_COLUMNS, key=["ma"])
    public = make_dataset("diem_mo", POINT_COLUMNS, key=["ma"], is_open=True)
    for dataset in (private, public):
        run = ingest_file(csv, dataset=dataset.slug)
        assert run.rows_accepted == 40
    return {"private": private, "public": public}


def _client(user: Any | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_catalogue_lists_what_each_caller_may_read(
    mapped: dict[str, Any], make_user: Any
) -> None:
    anonymous = [layer["id"] for layer in _client().get("/api/maps/layers").json()]
    assert "boundaries:3" in anonymous and "boundaries:2" in anonymous
    assert "points:diem_mo" in anonymous
    assert "points:diem_rieng" not in anonymous and "choropleth:diem_mo" not in anonymous
    boss = make_user("boss", roles=[Role.LEADER], scope_all=True)
    mine = [layer["id"] for layer in _client(boss).get("/api/maps/layers").json()]
    assert {"points:diem_rieng", "choropleth:diem_rieng", "choropleth:diem_mo"} <= set(mine)


def test_boundaries_follow_the_day_asked(mapped: dict[str, Any]) -> None:
    today = _client().get("/api/maps/boundaries/3").json()
    assert sorted(f["properties"]["code"] for f in today["features"]) == ["25747", "25750"]
    before = _client().get("/api/maps/boundaries/3?on=2025-06-01").json()
    assert len(before["features"]) == 5
    district = _client().get("/api/maps/boundaries/2?on=2025-06-01").json()["features"][0]
    assert district["properties"]["code"] == "718" and "Polygon" in district["geometry"]["type"]
    assert _client().get("/api/maps/boundaries/7").status_code == 404


def test_points_keep_to_the_callers_scope_and_are_audited(
    mapped: dict[str, Any], make_user: Any, units: dict[str, Any]
) -> None:
    assert _client().get("/api/maps/points/diem_rieng").status_code == 404  # not even its name
    ward = make_user("phuong", roles=[Role.OPERATOR], units=[units["new_pl"]])
    page = _client(ward).get("/api/maps/points/diem_rieng").json()
    assert page["numberMatched"] == 15
    assert {f["properties"]["ma_xa"] for f in page["features"]} == {"25750"}
    assert AuditEntry.objects.filter(actor=ward, object_repr__contains="diem_rieng").exists()
    # open data: every row, to anyone; a box and a page of it
    everyone = _client().get("/api/maps/points/diem_mo?bbox=106.60,10.9,106.63,11&limit=5").json()
    assert everyone["numberMatched"] == 13 and everyone["numberReturned"] == 5
    assert everyone["features"][0]["geometry"]["coordinates"] == [106.605, 10.96]


def test_a_choropleth_is_the_semantic_layers_answer_by_commune(
    mapped: dict[str, Any], make_user: Any
) -> None:
    boss = make_user("boss", roles=[Role.LEADER], scope_all=True)
    url = "/api/maps/choropleth/diem_rieng?measure=so_vu&agg=sum&start=2026-01-01&end=2026-02-01"
    data = _client(boss).get(url).json()
    expected_tdm = sum(1 + i % 3 for i in range(25))
    expected_pl = sum(1 + i % 3 for i in range(25, 40))
    assert data["values"] == {"25747": expected_tdm, "25750": expected_pl}
    assert (data["min"], data["max"]) == (expected_pl, expected_tdm)
    assert data["freshness"]["status"]
    assert _client(boss).get("/api/maps/choropleth/diem_rieng?measure=nope").status_code == 400
    assert (
        _client(boss).get("/api/maps/choropleth/diem_rieng?measure=so_vu&agg=median").status_code
        == 400
    )
    assert _client().get(url).status_code == 404


def test_saved_maps_check_their_layers_and_who_saves(
    mapped: dict[str, Any], make_user: Any
) -> None:
    officer = make_user("sector", roles=[Role.SECTOR_OFFICER], scope_all=True)
    operator = make_user("op", roles=[Role.OPERATOR], scope_all=True)
    body = {
        "name": "Bản đồ thử",
        "layers": [{"id": "choropleth:diem_rieng", "measure": "so_vu", "opacity": 0.6}],
        "center_lat": 10.96,
        "center_lon": 106.65,
        "zoom": 12,
    }
    put = _client(officer).put(
        "/api/maps/saved/ban-do-thu", json.dumps(body), content_type="application/json"
    )
    assert put.status_code == 200, put.content
    assert _client(operator).get("/api/maps/saved/ban-do-thu").json()["layers"] == body["layers"]
    denied = _client(operator).put(
        "/api/maps/saved/x", json.dumps(body), content_type="application/json"
    )
    assert denied.status_code == 403
    body["layers"] = [{"id": "points:nothing"}]
    unknown = _client(officer).put(
        "/api/maps/saved/ban-do-thu", json.dumps(body), content_type="application/json"
    )
    assert unknown.status_code == 400
    bad = _client(officer).put(
        "/api/maps/saved/Bad Slug", json.dumps(body), content_type="application/json"
    )
    assert bad.status_code in (400, 404)
    page = _client(operator).get("/ioc/map/ban-do-thu/")
    assert page.status_code == 200 and b"saved-map" in page.content
    assert _client().get("/ioc/map/").status_code == 302  # sign in first


def test_ogc_api_features_core(mapped: dict[str, Any], make_user: Any) -> None:
    client = _client()
    landing = client.get("/ogc/").json()
    assert {link["rel"] for link in landing["links"]} >= {"conformance", "data"}
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
        in client.get("/ogc/conformance").json()["conformsTo"]
    )
    ids = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    assert "units-commune" in ids and "diem_mo" in ids and "diem_rieng" not in ids

    first = client.get("/ogc/collections/diem_mo/items?limit=15")
    assert first["Content-Type"] == "application/geo+json"
    page = first.json()
    assert (page["numberMatched"], page["numberReturned"]) == (40, 15)
    following = next(link["href"] for link in page["links"] if link["rel"] == "next")
    second = client.get(following.replace("http://testserver", "")).json()
    assert second["numberReturned"] == 15
    assert not {f["id"] for f in page["features"]} & {f["id"] for f in second["features"]}
    one = client.get(f"/ogc/collections/diem_mo/items/{page['features'][0]['id']}").json()
    assert one["properties"]["ma"] == page["features"][0]["properties"]["ma"]
    assert client.get("/ogc/collections/diem_mo/items/9.9").status_code == 404

    dated = client.get("/ogc/collections/diem_mo/items?datetime=2026-01-01/2026-01-03").json()
    assert dated["numberMatched"] == 6  # days 1, 2 and 3, twice each in 40 rows of 28 days
    old = client.get("/ogc/collections/units-commune/items?datetime=2025-06-01").json()
    assert sorted(f["properties"]["code"] for f in old["features"]) == sorted(CELLS)
    boxed = client.get(
        "/ogc/collections/units-commune/items?bbox=106.605,10.955,106.615,10.965"
    ).json()
    assert {f["properties"]["code"] for f in boxed["features"]} == {"25747"}  # old and new 25747

    for bad in ("bbox=1,2,3", "limit=0", "limit=10001", "datetime=yesterday"):
        response = client.get(f"/ogc/collections/diem_mo/items?{bad}")
        assert response.status_code == 400 and "/" in response.json()["description"]
    assert client.get("/ogc/collections/diem_rieng/items").status_code == 404

    # Desktop GIS signs in with HTTP Basic credentials; the rows are the scope's, and audited.
    make_user("gis", roles=[Role.LEADER], scope_all=True, password="mat-khau-dai-qgis")
    token = base64.b64encode(b"gis:mat-khau-dai-qgis").decode()
    private = client.get("/ogc/collections/diem_rieng/items", HTTP_AUTHORIZATION=f"Basic {token}")
    assert private.status_code == 200 and private.json()["numberMatched"] == 40
    assert AuditEntry.objects.filter(message__contains="OGC API").exists()
    wrong = base64.b64encode(b"gis:sai").decode()
    assert (
        client.get(
            "/ogc/collections/diem_rieng/items", HTTP_AUTHORIZATION=f"Basic {wrong}"
        ).status_code
        == 404
    )


@pytest.mark.django_db(transaction=True)
def test_gdal_lists_and_reads_the_layers(mapped: dict[str, Any], live_server: Any) -> None:
    ogrinfo = shutil.which("ogrinfo")
    require(ogrinfo is not None, "ogrinfo (gdal-bin: make browser installs it)")
    assert ogrinfo is not None
    url = f"OAPIF:{live_server.url}/ogc/"
    listed = subprocess.run([ogrinfo, "-ro", "-q", url], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert "units-commune" in listed.stdout and "diem_mo" in listed.stdout
    read = subprocess.run(
        [ogrinfo, "-ro", "-al", "-so", url, "diem_mo"], capture_output=True, text=True, timeout=60
    )
    assert read.returncode == 0, read.stderr
    assert "Feature Count: 40" in read.stdout and "Point" in read.stdout
    polygons = subprocess.run(
        [ogrinfo, "-ro", "-al", url, "units-commune", "-where", "code = '25750'"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert polygons.returncode == 0, polygons.stderr
    assert "MULTIPOLYGON" in polygons.stdout and "Phú" in polygons.stdout
