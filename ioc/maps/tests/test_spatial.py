"""Spatial filters (a drawn circle or polygon, nearest features) and the operational layers
(operations events and data connections' health by unit), through HTTP."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from ioc.accounts.choices import Role
from ioc.core.models import AuditEntry
from ioc.integrations.models import Connection, ConnectionState
from ioc.maps.tests.test_layers import _client, mapped  # noqa: F401  (fixture)
from ioc.operations.services import raise_event


def _select(client: Client, layer: str, shape: dict[str, Any], **extra: Any) -> Any:
    query = urlencode({"layer": layer, "shape": json.dumps(shape), **extra})
    return client.get(f"/api/maps/select?{query}")


def _codes(page: dict[str, Any]) -> list[str]:
    return [f["properties"]["ma"] for f in page["features"]]


def _box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_nearest_points_come_nearest_first_with_their_distance(
    mapped: dict[str, Any],  # noqa: F811
) -> None:
    page = _client().get("/api/maps/nearest/diem_mo?lon=106.6&lat=10.96&limit=3").json()
    assert _codes(page) == ["P00", "P01", "P02"]
    distances = [f["properties"]["distance_m"] for f in page["features"]]
    # 0.005° of longitude at 10.96° N is 546 m; each next point 0.002° (218 m) further
    assert distances[0] == pytest.approx(546, abs=2)
    assert distances[1] - distances[0] == pytest.approx(218, abs=2)
    assert distances == sorted(distances)
    # with the time slider on: the nearest of the period (days 5 to 10: P04 to P09, P32 to P37)
    period = "start=2026-01-05T00:00:00&end=2026-01-10T23:59:59"
    url = f"/api/maps/nearest/diem_mo?lon=106.6&lat=10.96&limit=2&{period}"
    assert _codes(_client().get(url).json()) == ["P04", "P05"]
    everything = json.dumps(_box(106.5, 10.9, 106.8, 11.0))
    url = f"/api/maps/select?layer=points:diem_mo&{urlencode({'shape': everything})}&{period}"
    assert _client().get(url).json()["numberMatched"] == 12
    assert _client().get("/api/maps/nearest/diem_mo?lon=200&lat=10").status_code == 400
    assert _client().get("/api/maps/nearest/diem_rieng?lon=106.6&lat=10.96").status_code == 404


def test_a_circle_selects_the_points_within_its_radius(
    mapped: dict[str, Any],  # noqa: F811
) -> None:
    # P00 at the centre, P01 218 m and P02 437 m away; P03 at 655 m is outside
    circle = {"type": "Circle", "coordinates": [106.605, 10.96], "radius": 500}
    page = _select(_client(), "points:diem_mo", circle).json()
    assert (page["numberMatched"], _codes(page)) == (3, ["P00", "P01", "P02"])


def test_a_polygon_selects_what_it_covers_edges_included_within_the_callers_scope(
    mapped: dict[str, Any],  # noqa: F811
    make_user: Any,
    units: dict[str, Any],
) -> None:
    # P02 lies on the polygon's east edge (106.609) and counts
    page = _select(_client(), "points:diem_mo", _box(106.60, 10.95, 106.609, 10.97)).json()
    assert (page["numberMatched"], _codes(page)) == (3, ["P00", "P01", "P02"])
    # a page of a larger selection, with the whole count
    everything = _box(106.5, 10.9, 106.8, 11.0)
    page = _select(_client(), "points:diem_mo", everything, limit=10).json()
    assert (page["numberMatched"], page["numberReturned"]) == (40, 10)
    # a ward officer's selection holds their ward's rows only, and the read is audited
    ward = make_user("phuong", roles=[Role.OPERATOR], units=[units["new_pl"]])
    page = _select(_client(ward), "points:diem_rieng", everything).json()
    assert page["numberMatched"] == 15
    assert {f["properties"]["ma_xa"] for f in page["features"]} == {"25750"}
    assert AuditEntry.objects.filter(actor=ward, message__contains="map selection").exists()
    assert _select(_client(), "points:diem_rieng", everything).status_code == 404
    # a boundaries layer answers the units the shape touches
    touched = _select(_client(), "boundaries:3", _box(106.60, 10.95, 106.61, 10.97)).json()
    assert [u["code"] for u in touched["units"]] == ["25747"]


@pytest.mark.parametrize(
    ("shape", "words"),
    [
        ("{not json", "not JSON"),
        ('{"type": "Circle", "coordinates": [106.6, 10.9], "radius": 0}', "radius"),
        ('{"type": "Circle", "coordinates": [500, 10.9], "radius": 10}', "out of range"),
        ('{"type": "Polygon", "coordinates": [[[106.6, 10.9], [106.7, 10.9]]]}', "3 vertices"),
        (
            json.dumps(_box(0, 0, 1, 1) | {"coordinates": [[[0, i / 1000] for i in range(501)]]}),
            "500",
        ),
        ('{"type": "LineString", "coordinates": [[0, 0], [1, 1]]}', "Circle or a Polygon"),
    ],
)
def test_a_bad_shape_is_refused_in_both_languages(
    mapped: dict[str, Any],  # noqa: F811
    shape: str,
    words: str,
) -> None:
    response = _client().get(
        f"/api/maps/select?{urlencode({'layer': 'points:diem_mo', 'shape': shape})}"
    )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert words in detail and " / " in detail


def test_operational_layers_show_events_and_connection_health_by_unit(
    mapped: dict[str, Any],  # noqa: F811
    make_user: Any,
    units: dict[str, Any],
    agencies: dict[str, Any],
) -> None:
    raise_event(
        source="test", category="flood", headline="Ngập", severity="severe", unit=units["new_tdm"]
    )
    raise_event(
        source="test",
        category="flood",
        headline="Nước lên",
        severity="minor",
        unit=units["new_tdm"],
    )
    raise_event(source="test", category="data", headline="Mất điện toàn tỉnh", severity="extreme")
    operator = make_user("vanhanh", roles=[Role.OPERATOR], scope_all=True)
    ids = [layer["id"] for layer in _client(operator).get("/api/maps/layers").json()]
    assert {"ops:events", "ops:connections"} <= set(ids)
    anonymous = [layer["id"] for layer in _client().get("/api/maps/layers").json()]
    assert not [i for i in anonymous if i.startswith("ops:")]
    assert _client().get("/api/maps/operational/events").status_code == 404

    data = _client(operator).get("/api/maps/operational/events").json()
    by_code = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert by_code["25747"]["count"] == 2 and by_code["25747"]["worst"] == "severe"
    assert by_code["25747"]["counts"] == {"severe": 1, "minor": 1}
    assert [i["title"] for i in by_code["25747"]["items"]] == ["Ngập", "Nước lên"]
    assert by_code["79"]["worst"] == "extreme"  # no unit: at the province
    assert data["features"][0]["properties"]["code"] == "79"  # the worst first
    assert [s["code"] for s in data["legend"]][:2] == ["extreme", "severe"]
    # the marker stands inside its ward
    lon, lat = next(f for f in data["features"] if f["properties"]["code"] == "25747")["geometry"][
        "coordinates"
    ]
    assert 106.60 <= lon <= 106.66 and 10.95 <= lat <= 10.97

    # a ward officer of Phú Lợi sees none of Thủ Dầu Một's events
    ward = make_user("phuong", roles=[Role.OPERATOR], units=[units["new_pl"]])
    assert _client(ward).get("/api/maps/operational/events").json()["features"] == []

    # connections: the ward agency's failing feed at its ward, the department's at the province
    ward_data = mapped["private"]
    ward_data.owner = agencies["ward"]
    ward_data.save()
    Connection.objects.create(name="Camera đếm xe", kind="file", dataset=ward_data, failures=3)
    Connection.objects.create(
        name="Tạm dừng", kind="file", dataset=mapped["public"], state=ConnectionState.PAUSED
    )
    health = _client(operator).get("/api/maps/operational/connections").json()
    by_code = {f["properties"]["code"]: f["properties"] for f in health["features"]}
    assert by_code["25747"]["worst"] == "failing"
    assert by_code["79"]["worst"] == "paused"
    leader = make_user("lanhdao", roles=[Role.LEADER], scope_all=True)
    assert _client(leader).get("/api/maps/operational/connections").status_code == 404

    # selecting on an operational layer: the markers inside the circle, with their items
    circle = {"type": "Circle", "coordinates": [lon, lat], "radius": 100}
    chosen = _select(_client(operator), "ops:events", circle).json()
    assert [f["properties"]["code"] for f in chosen["features"]] == ["25747"]
    assert chosen["numberMatched"] == 2


def test_citizen_reports_layer_by_commune_and_deadline(
    mapped: dict[str, Any],  # noqa: F811
    make_user: Any,
    units: dict[str, Any],
    agencies: dict[str, Any],
) -> None:
    import datetime as dt

    from django.utils import timezone

    from ioc.feedback.models import Category, Report
    from ioc.feedback.services import Submission, submit_report

    Category.objects.create(code="rac", name="Rác thải", agency=agencies["ward"])

    def file(lon: float) -> Report:
        return submit_report(
            Submission(category="rac", description="Rác thải đổ trộm đầu hẻm.", lat=10.96, lon=lon)
        )

    late, fresh, other = file(106.61), file(106.62), file(106.69)
    Report.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=2))
    operator = make_user("vanhanh", roles=[Role.OPERATOR], scope_all=True)
    assert "ops:reports" in [
        layer["id"] for layer in _client(operator).get("/api/maps/layers").json()
    ]
    data = _client(operator).get("/api/maps/operational/reports").json()
    by_code = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert by_code["25747"]["counts"] == {"overdue": 1, "open": 1}
    assert by_code["25747"]["worst"] == "overdue"
    assert by_code["25747"]["items"][0]["link"] == f"/ioc/feedback/{late.pk}/"
    assert by_code["25750"]["count"] == 1
    # a handler of Phú Lợi sees Phú Lợi's report only; a citizen sees no such layer
    handler = make_user("xuly", roles=[Role.FEEDBACK_HANDLER], units=[units["new_pl"]])
    mine = _client(handler).get("/api/maps/operational/reports").json()
    assert [f["properties"]["code"] for f in mine["features"]] == ["25750"]
    assert (
        _client(make_user("dan", kind="citizen")).get("/api/maps/operational/reports").status_code
        == 404
    )
    assert fresh.pk and other.pk


def test_cameras_layer_by_commune_and_status_scoped_by_group(
    mapped: dict[str, Any],  # noqa: F811
    make_user: Any,
    units: dict[str, Any],
    sectors: dict[str, Any],
) -> None:
    from ioc.cameras.models import Camera, CameraGroup

    road = CameraGroup.objects.create(
        code="giao-thong", name="Giao thông", sector=sectors["traffic"]
    )
    clinic = CameraGroup.objects.create(code="y-te", name="Y tế", sector=sectors["health"])
    for code, status, unit, group in [
        ("C1", "offline", units["new_tdm"], road),
        ("C2", "online", units["new_tdm"], road),
        ("C3", "online", units["new_pl"], clinic),
    ]:
        camera = Camera.objects.create(
            code=code, name=code, status=status, unit=unit, snapshot_url="http://10.0.0.1/x.jpg"
        )
        camera.groups.add(group)
    operator = make_user("vanhanh", roles=[Role.OPERATOR], scope_all=True)
    assert "ops:cameras" in [x["id"] for x in _client(operator).get("/api/maps/layers").json()]
    data = _client(operator).get("/api/maps/operational/cameras").json()
    by_code = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert by_code["25747"]["counts"] == {"offline": 1, "online": 1}
    assert by_code["25747"]["worst"] == "offline"
    c1 = Camera.objects.get(code="C1")
    assert by_code["25747"]["items"][0]["link"] == f"/ioc/cameras/{c1.pk}/"  # opens the view
    traffic = make_user("giaothong", roles=[Role.OPERATOR], sectors=[sectors["traffic"]])
    mine = _client(traffic).get("/api/maps/operational/cameras").json()
    assert [f["properties"]["code"] for f in mine["features"]] == ["25747"]
    handler = make_user("xuly", roles=[Role.FEEDBACK_HANDLER], scope_all=True)
    assert _client(handler).get("/api/maps/operational/cameras").status_code == 404
