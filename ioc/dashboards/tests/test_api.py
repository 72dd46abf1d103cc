"""The dashboards API and pages: scope through HTTP, page filters, KPI comparisons, usage."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from ioc.accounts.choices import Role
from ioc.dashboards.code import DashboardFileError, import_texts
from ioc.dashboards.models import Chart, Usage

BOARD = """
slug: y-te
name: Y tế
sector: health
charts:
  - key: luot-theo-xa
    name: Lượt khám theo xã
    kind: ranking
    at: [0, 0, 6, 4]
    question:
      dataset: kham
      metrics: [{id: v, agg: sum, column: luot}]
      dimensions: [{column: ma_xa}]
  - key: luot-thang-nay
    name: Lượt khám tháng này
    kind: kpi
    at: [6, 0, 3, 2]
    question:
      dataset: kham
      metrics: [{id: v, agg: sum, column: luot}]
      time: {last: 1 months}
    options: {compare: previous}
"""
TRAFFIC = """
slug: giao-thong
name: Giao thông
sector: traffic
charts:
  - key: tai-nan
    name: Tai nạn
    kind: line
    question:
      dataset: tai_nan
      metrics: [{id: v, agg: sum, column: so_vu}]
"""


@pytest.fixture
def boards(kham: Any, make_dataset: Any, agencies: Any) -> dict[str, Any]:
    make_dataset(
        "tai_nan",
        [
            {"name": "ngay", "type": "date", "role": "time"},
            {"name": "so_vu", "type": "integer", "role": "measure"},
        ],
        owner=agencies["traffic"],
    )
    saved = import_texts({"y-te.yaml": BOARD, "giao-thong.yaml": TRAFFIC}, actor=None)
    return {d.slug: d for d in saved}


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def test_a_health_officer_sees_health_and_gets_nothing_of_traffic(boards, make_user, sectors):
    officer = make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]])
    client = client_for(officer)
    listed = client.get("/api/dashboards/").json()
    assert [d["slug"] for d in listed] == ["y-te"]
    assert client.get("/api/dashboards/giao-thong/").status_code == 404
    traffic_chart = Chart.objects.get(key="tai-nan")
    hidden = client.get(f"/api/dashboards/charts/{traffic_chart.pk}/data")
    missing = client.get("/api/dashboards/charts/999999/data")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    asked = client.post(
        "/api/dashboards/query",
        {"dataset": "tai_nan", "metrics": [{"id": "n", "agg": "count"}]},
        content_type="application/json",
    )
    assert (
        asked.status_code == 400 and "no dataset or indicator 'tai_nan'" in asked.json()["detail"]
    )
    assert client.get("/ioc/dashboards/giao-thong/").status_code == 404


def test_a_commune_officer_gets_their_commune_only_through_the_api(boards, make_user, units):
    officer = make_user("phuloi", roles=[Role.SECTOR_OFFICER], units=[units["new_pl"]])
    chart = Chart.objects.get(key="luot-theo-xa")
    data = client_for(officer).get(f"/api/dashboards/charts/{chart.pk}/data").json()
    assert [row[0] for row in data["rows"]] == ["25750"]  # Phú Lợi, old and new records
    other = (
        client_for(officer).get(f"/api/dashboards/charts/{chart.pk}/data", {"unit": "25747"}).json()
    )
    assert other["rows"] == []


def test_page_filters_drill_down_to_a_unit_and_a_period(boards, make_user, kham):
    boss = make_user("boss", roles=[Role.LEADER], scope_all=True)
    chart = Chart.objects.get(key="luot-theo-xa")
    data = (
        client_for(boss)
        .get(
            f"/api/dashboards/charts/{chart.pk}/data",
            {"unit": "718", "level": "district", "start": "2025-06-01", "end": "2025-07-01"},
        )
        .json()
    )
    expected: dict[str, int] = {}
    successor = {"25744": "25750", "25753": "25747", "25756": "25747"}
    for r in kham.rows:
        if dt.date(2025, 6, 1) <= r["ngay"] < dt.date(2025, 7, 1):
            expected[successor[r["ma_xa"]]] = expected.get(successor[r["ma_xa"]], 0) + r["luot"]
    assert {row[0]: row[2] for row in data["rows"]} == expected
    assert data["freshness"]["status"] in ("on_time", "late", "missing", "unknown")
    bad = client_for(boss).get(f"/api/dashboards/charts/{chart.pk}/data", {"level": "galaxy"})
    assert bad.status_code == 400 and "no level 'galaxy'" in bad.json()["detail"]


def test_kpi_compares_with_the_same_part_of_the_previous_period(boards, make_user, kham):
    boss = make_user("boss", roles=[Role.LEADER], scope_all=True)
    chart = Chart.objects.get(key="luot-thang-nay")
    data = client_for(boss).get(f"/api/dashboards/charts/{chart.pk}/data").json()
    assert "previous" in data  # the demo rows are in 2025: both periods are empty now
    assert data["rows"] == [[None]] and data["previous"] == [[None]]


def test_bad_questions_through_the_api_never_reach_sql(boards, make_user):
    boss = make_user("boss", roles=[Role.LEADER], scope_all=True)
    for question in [
        {"dataset": "kham", "metrics": [{"id": "x", "agg": "sum", "column": "luot) FROM x; --"}]},
        {"dataset": "kham", "metrics": [{"id": "x", "agg": "count"}], "limit": "1; DROP"},
        {"dataset": "kham", "metrics": "DROP TABLE data.kham"},
        "SELECT 1",
    ]:
        response = client_for(boss).post(
            "/api/dashboards/query", json.dumps(question), content_type="application/json"
        )
        assert response.status_code in (400, 422), question
    ok = client_for(boss).post(
        "/api/dashboards/query",
        {"dataset": "kham", "metrics": [{"id": "n", "agg": "count"}]},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["rows"][0][0] > 0


def test_opens_are_counted_by_day_user_and_role_not_refreshes(boards, make_user):
    boss = make_user("boss", roles=[Role.LEADER], scope_all=True)
    client = client_for(boss)
    chart = Chart.objects.get(key="luot-theo-xa")
    assert client.get("/ioc/dashboards/y-te/").status_code == 200
    assert client.get("/ioc/dashboards/y-te/").status_code == 200
    client.get(f"/api/dashboards/charts/{chart.pk}/data", {"view": "1"})
    client.get(f"/api/dashboards/charts/{chart.pk}/data")  # a live refresh: not an open
    page = Usage.objects.get(chart__isnull=True)
    assert (page.views, page.role, page.user_id) == (2, Role.LEADER.value, boss.pk)
    assert Usage.objects.get(chart=chart).views == 1


def test_the_dashboard_page_lists_only_charts_the_user_may_read(boards, make_user, sectors):
    officer = make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]])
    page = client_for(officer).get("/ioc/dashboards/y-te/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Lượt khám theo xã" in text and 'data-kind="ranking"' in text
    assert "Tai nạn" not in text
    listing = client_for(officer).get("/ioc/dashboards/").content.decode()
    assert "Y tế" in listing and "Giao thông" not in listing
    citizen = make_user("dan", kind="citizen")
    assert client_for(citizen).get("/ioc/dashboards/").status_code in (302, 403)
    assert client_for(citizen).get("/api/dashboards/").status_code == 403


def test_the_catalogue_shows_which_charts_read_a_dataset(boards, make_user):
    engineer = make_user("dulieu", roles=[Role.DATA_ENGINEER], scope_all=True)
    page = client_for(engineer).get("/ioc/data/kham/").content.decode()
    assert "Charts that use it" in page
    assert '/ioc/dashboards/y-te/#chart-luot-theo-xa">Lượt khám theo xã' in page
    home = client_for(engineer).get("/ioc/").content.decode()
    assert "/ioc/dashboards/" in home


def test_chart_figures_download_as_csv_and_xlsx_within_scope_and_audited(boards, make_user, units):
    import io

    from openpyxl import load_workbook

    from ioc.core.models import AuditEntry

    officer = make_user("phuloi", roles=[Role.SECTOR_OFFICER], units=[units["new_pl"]])
    chart = Chart.objects.get(key="luot-theo-xa")
    client = client_for(officer)
    csv_response = client.get(f"/api/dashboards/charts/{chart.pk}/export.csv")
    assert csv_response.status_code == 200
    assert csv_response["Content-Disposition"] == 'attachment; filename="luot-theo-xa.csv"'
    text = csv_response.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Lượt khám theo xã — ") and "Phường Phú Lợi" in lines[0]
    assert lines[1].startswith("Phường/xã,")
    assert [line.split(",")[0] for line in lines[2:]] == ["25750"]  # their commune only
    xlsx = client.get(f"/api/dashboards/charts/{chart.pk}/export.xlsx", {"last": "12 months"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A1"].value == "Lượt khám theo xã"
    assert sheet["A4"].value == "Phường/xã"
    assert AuditEntry.objects.filter(object_id=str(chart.pk), action="read").count() == 2
    assert client.get(f"/api/dashboards/charts/{chart.pk}/export.exe").status_code == 404


def test_dashboards_download_and_upload_as_yaml_from_the_browser(boards, make_user, sectors):
    import io
    import zipfile

    from django.core.files.uploadedfile import SimpleUploadedFile

    engineer = make_user("dulieu", roles=[Role.DATA_ENGINEER], scope_all=True)
    client = client_for(engineer)
    archive = client.get("/ioc/dashboards/files/export/")
    assert archive.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert sorted(names) == ["dashboards/giao-thong.yaml", "dashboards/y-te.yaml"]
    text = zipfile.ZipFile(io.BytesIO(archive.content)).read("dashboards/y-te.yaml").decode()

    renamed = text.replace("name: Lượt khám theo xã", "name: Lượt khám theo phường, xã")
    ok = client.post(
        "/ioc/dashboards/files/import/",
        {"files": [SimpleUploadedFile("y-te.yaml", renamed.encode())]},
    )
    assert ok.status_code == 302
    assert Chart.objects.get(key="luot-theo-xa").name == "Lượt khám theo phường, xã"

    broken = text.replace("column: luot", "column: khong_co")
    refused = client.post(
        "/ioc/dashboards/files/import/",
        {"files": [SimpleUploadedFile("y-te.yaml", broken.encode())]},
    )
    assert refused.status_code == 200
    assert "Nothing was imported" in refused.content.decode()
    assert "no column &#x27;khong_co&#x27;" in refused.content.decode()
    assert Chart.objects.get(key="luot-theo-xa").name == "Lượt khám theo phường, xã"
    bad_type = client.post(
        "/ioc/dashboards/files/import/",
        {"files": [SimpleUploadedFile("virus.exe", b"MZ")]},
    )
    assert "only .yaml, .yml and .zip files" in bad_type.content.decode()

    officer = make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]])
    assert client_for(officer).get("/ioc/dashboards/files/export/").status_code == 403
    assert client_for(officer).get("/ioc/dashboards/files/import/").status_code == 403


def test_a_sector_officer_arranges_their_sectors_dashboard_only(boards, make_user, sectors, units):
    from ioc.core.models import AuditEntry

    officer = make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]])
    chart = Chart.objects.get(key="luot-theo-xa")
    client = client_for(officer)
    assert "data-edit-layout" in client.get("/ioc/dashboards/y-te/").content.decode()
    moved = client.post(
        "/api/dashboards/y-te/layout",
        {"charts": [{"id": chart.pk, "x": 6, "y": 2, "w": 6, "h": 5}]},
        content_type="application/json",
    )
    assert moved.status_code == 200
    chart.refresh_from_db()
    assert (chart.x, chart.y, chart.w, chart.h) == (6, 2, 6, 5)
    assert AuditEntry.objects.filter(object_id=str(boards["y-te"].pk), action="update").exists()
    for bad in [
        {"id": chart.pk, "x": 8, "y": 0, "w": 6, "h": 3},
        {"id": 999999, "x": 0, "y": 0, "w": 1, "h": 1},
    ]:
        response = client.post(
            "/api/dashboards/y-te/layout", {"charts": [bad]}, content_type="application/json"
        )
        assert response.status_code == 400
    traffic = Chart.objects.get(key="tai-nan")
    other = client.post(
        "/api/dashboards/giao-thong/layout",
        {"charts": [{"id": traffic.pk, "x": 0, "y": 0, "w": 4, "h": 3}]},
        content_type="application/json",
    )
    assert other.status_code == 404
    commune = make_user("phuloi", roles=[Role.SECTOR_OFFICER], units=[units["new_pl"]])
    assert (
        "data-edit-layout" not in client_for(commune).get("/ioc/dashboards/y-te/").content.decode()
    )
    refused = client_for(commune).post(
        "/api/dashboards/y-te/layout",
        {"charts": [{"id": chart.pk, "x": 0, "y": 0, "w": 4, "h": 3}]},
        content_type="application/json",
    )
    assert refused.status_code == 403


def test_the_chart_editor_previews_checks_saves_and_removes(boards, make_user, sectors, units):
    from ioc.core.models import AuditEntry

    officer = make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]])
    client = client_for(officer)
    assert client.get("/ioc/dashboards/y-te/charts/new/").status_code == 200
    fields = {
        "name": "Lượt khám theo tháng",
        "name_en": "Visits by month",
        "kind": "line",
        "dataset": "kham",
        "agg": "sum",
        "column": "luot",
        "grain": "month",
        "level": "",
        "category": "loai",
        "filter_column": "",
        "filter_op": "",
        "filter_value": "",
        "last": "",
        "order": "",
        "limit": "500",
        "w": "6",
        "h": "4",
    }
    preview = client.post("/ioc/dashboards/y-te/charts/preview/", fields)
    assert preview.status_code == 200
    data = preview.json()
    assert data["kind"] == "line" and len(data["rows"]) == 4 * 2  # 4 months x 2 kinds
    wrong = client.post("/ioc/dashboards/y-te/charts/preview/", {**fields, "column": "khong_co"})
    assert wrong.status_code == 400 and "no column 'khong_co'" in wrong.json()["detail"]
    refused = client.post("/ioc/dashboards/y-te/charts/new/", {**fields, "grain": "hour"})
    assert refused.status_code == 200 and "has no hours" in refused.content.decode()
    assert not Chart.objects.filter(name="Lượt khám theo tháng").exists()

    saved = client.post("/ioc/dashboards/y-te/charts/new/", fields)
    assert saved.status_code == 302
    chart = Chart.objects.get(name="Lượt khám theo tháng")
    assert chart.key == "luot-kham-theo-thang" and chart.y == 4  # below the others
    assert chart.question["dimensions"] == [
        {"column": "ngay", "grain": "month"},
        {"column": "loai"},
    ]
    page = client.get(f"/ioc/dashboards/y-te/charts/{chart.pk}/")
    assert 'value="Lượt khám theo tháng"' in page.content.decode()

    # A chart with more than the form shows keeps its question when edited here.
    kpi = Chart.objects.get(key="luot-thang-nay")
    kpi.question = {
        **kpi.question,
        "metrics": [*kpi.question["metrics"], {"id": "g", "growth": "v"}],
    }
    kpi.save()
    renamed = client.post(
        f"/ioc/dashboards/y-te/charts/{kpi.pk}/",
        {**fields, "name": "Lượt khám tháng này (mới)", "kind": "kpi"},
    )
    assert renamed.status_code == 302
    kpi.refresh_from_db()
    assert kpi.name == "Lượt khám tháng này (mới)" and len(kpi.question["metrics"]) == 2

    removed = client.post(f"/ioc/dashboards/y-te/charts/{chart.pk}/delete/")
    assert removed.status_code == 302 and not Chart.objects.filter(pk=chart.pk).exists()
    assert AuditEntry.objects.filter(object_id=str(chart.pk), action="delete").exists()
    commune = make_user("phuloi", roles=[Role.SECTOR_OFFICER], units=[units["new_pl"]])
    assert client_for(commune).get("/ioc/dashboards/y-te/charts/new/").status_code == 403


def test_usage_figures_show_who_opens_what(boards, make_user, sectors):
    boss = make_user("boss", roles=[Role.LEADER], scope_all=True)
    officer = make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]])
    client_for(officer).get("/ioc/dashboards/y-te/")
    client_for(boss).get("/ioc/dashboards/y-te/")
    client_for(boss).get("/ioc/dashboards/y-te/")
    page = client_for(boss).get("/ioc/dashboards/usage/")
    assert page.status_code == 200
    usage = page.context["usage"]
    assert usage["dashboards"][0]["dashboard__slug"] == "y-te"
    assert (usage["dashboards"][0]["views"], usage["dashboards"][0]["people"]) == (3, 2)
    assert {r["role"]: r["views"] for r in usage["roles"]} == {
        Role.LEADER.value: 2,
        Role.SECTOR_OFFICER.value: 1,
    }
    assert [d["slug"] for d in usage["unopened"]] == ["giao-thong"]
    assert client_for(officer).get("/ioc/dashboards/usage/").status_code == 403


def test_the_overview_filters_by_sector(kham, make_dataset, agencies, make_user):
    make_dataset(
        "tai_nan",
        [
            {"name": "ngay", "type": "date", "role": "time"},
            {"name": "so_vu", "type": "integer", "role": "measure"},
        ],
        owner=agencies["traffic"],
    )
    overview = """
slug: tong-quan
name: Toàn cảnh
charts:
  - key: kham
    name: Khám bệnh
    kind: kpi
    question: {dataset: kham, metrics: [{id: v, agg: count}]}
  - key: tai-nan
    name: Tai nạn
    kind: kpi
    question: {dataset: tai_nan, metrics: [{id: v, agg: count}]}
"""
    import_texts({"tong-quan.yaml": overview}, actor=None)
    boss = make_user("boss", roles=[Role.LEADER], scope_all=True)
    everything = client_for(boss).get("/ioc/dashboards/tong-quan/").content.decode()
    assert "Khám bệnh" in everything and "Tai nạn" in everything and 'name="sector"' in everything
    health = (
        client_for(boss).get("/ioc/dashboards/tong-quan/", {"sector": "health"}).content.decode()
    )
    assert "Khám bệnh" in health and "Tai nạn" not in health


def test_map_and_camera_tiles_are_reserved_on_dashboards_and_walls(kham, make_user):
    board = """
slug: tong-quan
name: Toàn cảnh
charts:
  - {key: ban-do, name: Bản đồ, kind: map, at: [0, 0, 6, 4], options: {layers: [reports]}}
  - {key: camera, name: Camera, kind: camera, at: [6, 0, 6, 4], options: {group: traffic}}
  - key: kham
    name: Khám bệnh
    kind: kpi
    at: [0, 4, 3, 2]
    question: {dataset: kham, metrics: [{id: v, agg: count}]}
"""
    import_texts({"tong-quan.yaml": board}, actor=None)
    boss = make_user("boss", roles=[Role.LEADER], scope_all=True)
    page = client_for(boss).get("/ioc/dashboards/tong-quan/").content.decode()
    assert 'data-map-tile=""' in page  # the map module draws it (the communes, no saved map)
    # the camera module draws it: its wall of the group's cameras, embedded
    assert 'class="tile-body camera-frame"' in page
    assert "/ioc/cameras/wall/?embed=1&amp;layout=4&amp;group=traffic&amp;tour=20" in page
    detail = client_for(boss).get("/api/dashboards/tong-quan/").json()
    assert [c["kind"] for c in detail["charts"]] == ["map", "camera", "kpi"]
    tile = Chart.objects.get(key="camera")
    assert client_for(boss).get(f"/api/dashboards/charts/{tile.pk}/data").status_code == 400
    wall = client_for(boss).get("/ioc/wall/", {"dashboard": "tong-quan"}).content.decode()
    assert "/ioc/cameras/wall/?embed=1" in wall
    asked = "  - {key: x, name: X, kind: map, question: {metrics: [{id: v, agg: count}]}}"
    with pytest.raises(DashboardFileError):
        import_texts({"tong-quan.yaml": board + asked + "\n"}, actor=None)


def test_the_chart_editor_takes_an_indicator_of_the_catalogue(boards, make_user, kham):
    from ioc.warehouse.models import Indicator, IndicatorGroup

    group = IndicatorGroup.objects.create(sector=kham.sector, name="Khám chữa bệnh")
    Indicator.objects.create(
        code="y-te.noi-tru",
        name="Lượt khám nội trú",
        group=group,
        dataset=kham,
        measure="luot",
        aggregation="sum",
        filters={"loai": "Nội trú"},
        owner=kham.owner,
    )
    engineer = make_user("dulieu", roles=[Role.DATA_ENGINEER], scope_all=True)
    fields = {"name": "Nội trú", "kind": "kpi", "dataset": "kham", "indicator": "y-te.noi-tru",
              "agg": "sum", "limit": "500", "w": "3", "h": "2"}  # fmt: skip
    preview = client_for(engineer).post("/ioc/dashboards/y-te/charts/preview/", fields).json()
    assert preview["rows"] == [[sum(r["luot"] for r in kham.rows if r["loai"] == "Nội trú")]]
    assert client_for(engineer).post("/ioc/dashboards/y-te/charts/new/", fields).status_code == 302
    chart = Chart.objects.get(name="Nội trú")
    assert chart.question["metrics"] == [{"id": "v", "indicator": "y-te.noi-tru"}]
    page = client_for(engineer).get(f"/ioc/dashboards/y-te/charts/{chart.pk}/").content.decode()
    assert 'value="y-te.noi-tru" selected' in page


def test_the_pdf_file_says_why_when_the_server_has_no_chromium(
    boards, make_user, units, sectors, monkeypatch
):
    """The PDF itself is made in the wall's browser tests (ioc/tests/test_wall.py); here the
    refusals: a dashboard out of scope is not found, a server without Chromium says so."""
    import shutil

    officer = make_user("phuloi", roles=[Role.SECTOR_OFFICER], units=[units["new_pl"]])
    client = client_for(officer)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    response = client.get("/ioc/dashboards/y-te/pdf/", {"last": "12 months"}, follow=True)
    assert response.redirect_chain == [
        ("http://testserver/ioc/dashboards/y-te/?last=12+months", 302)
    ]
    page = response.content.decode()
    assert "Chromium is not installed" in page  # and what to do instead
    traffic = make_user("gt", roles=[Role.SECTOR_OFFICER], sectors=[sectors["traffic"]])
    assert client_for(traffic).get("/ioc/dashboards/y-te/pdf/").status_code == 404
    assert client_for(make_user("dan", roles=[])).get("/ioc/dashboards/y-te/pdf/").status_code in (
        302,  # to the login page
        403,
    )
