"""/ioc/data/: the catalogue, a dataset's page, downloads, uploads, quarantine and connections,
each checked for login, permission, scope and audit."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ioc.accounts.choices import Role
from ioc.core.models import AuditEntry
from ioc.integrations.models import Connection, ConnectionState, SyncRun
from ioc.integrations.services import ingest_file
from ioc.warehouse import quarantine

COLUMNS = [
    {"name": "ngay", "type": "date", "role": "time", "label": "Ngày"},
    {"name": "xa", "type": "text", "role": "unit", "label": "Phường/xã"},
    {"name": "so_ca", "type": "integer", "role": "measure", "label": "Số ca"},
]
DATA = "Ngày,Phường/xã,Số ca\n01/11/2026,25747,5\n02/11/2026,25750,7\n03/11/2026,25750,x\n"


@pytest.fixture
def loaded(make_dataset: Any, tmp_path: Any) -> Any:
    dataset = make_dataset("kham_benh", COLUMNS, name="Khám chữa bệnh")
    path = tmp_path / "a.csv"
    path.write_text(DATA)
    ingest_file(path, dataset="kham_benh")
    dataset.refresh_from_db()
    return dataset


@pytest.fixture
def officer(make_user: Any, sectors: dict[str, Any]) -> Any:
    return make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]])


def test_anonymous_goes_to_login_and_a_citizen_is_refused(
    client: Client, loaded: Any, make_user: Any
) -> None:
    assert client.get("/ioc/data/")["Location"].startswith("/accounts/login/")
    client.force_login(make_user("dan", kind="citizen"))
    assert client.get("/ioc/data/").status_code == 403


def test_catalogue_search_ignores_diacritics(client: Client, loaded: Any, officer: Any) -> None:
    client.force_login(officer)
    for query, found in (("kham chua benh", True), ("KHÁM", True), ("giao thong", False)):
        response = client.get("/ioc/data/", {"q": query})
        assert response.status_code == 200
        assert (b"Kh\xc3\xa1m ch\xe1\xbb\xafa b\xe1\xbb\x87nh" in response.content) is found


def test_another_sectors_officer_does_not_see_the_dataset(
    client: Client, loaded: Any, make_user: Any, sectors: dict[str, Any]
) -> None:
    traffic = make_user("gt", roles=[Role.SECTOR_OFFICER], sectors=[sectors["traffic"]])
    client.force_login(traffic)
    assert b"kham_benh" not in client.get("/ioc/data/").content
    assert client.get("/ioc/data/kham_benh/").status_code == 404
    assert client.get("/ioc/data/kham_benh/download/csv/").status_code == 404


def test_dataset_page_shows_schema_preview_freshness_and_quarantine(
    client: Client, loaded: Any, officer: Any
) -> None:
    client.force_login(officer)
    response = client.get("/ioc/data/kham_benh/")
    assert response.status_code == 200
    assert response.context["visible_rows"] == 2
    assert len(response.context["rows"]) == 2
    assert response.context["quarantined"] == 1
    assert b"fresh-on_time" in response.content or b"fresh-late" in response.content


def test_download_is_scoped_to_units_and_audited(
    client: Client, loaded: Any, make_user: Any, units: dict[str, Any], sectors: dict[str, Any]
) -> None:
    ward = make_user(
        "phuong", roles=[Role.SECTOR_OFFICER], units=[units["new_pl"]], sectors=[sectors["health"]]
    )
    # The ward officer sees the dataset only because it is open data; rows stay by unit.
    loaded.is_open = True
    loaded.save()
    client.force_login(ward)
    response = client.get("/ioc/data/kham_benh/download/csv/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows == [["ngay", "xa", "so_ca"], ["2026-11-02", "25750", "7"]]
    entry = AuditEntry.objects.filter(action="read", object_type="warehouse.dataset").get()
    assert entry.actor == ward and entry.message == "csv: 1 rows"


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_other_download_formats(client: Client, loaded: Any, officer: Any, fmt: str) -> None:
    client.force_login(officer)
    response = client.get(f"/ioc/data/kham_benh/download/{fmt}/")
    assert response.status_code == 200
    assert len(b"".join(response.streaming_content)) > 100


def test_upload_needs_change_permission_and_a_known_file_type(
    client: Client, loaded: Any, make_user: Any, officer: Any
) -> None:
    leader = make_user("lanhdao", roles=[Role.LEADER], scope_all=True)
    client.force_login(leader)
    assert client.get("/ioc/data/kham_benh/upload/").status_code == 403
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    bad = SimpleUploadedFile("virus.exe", b"MZ\x90\x00")
    response = client.post("/ioc/data/kham_benh/upload/", {"file": bad})
    assert response.status_code == 200
    assert "cannot be loaded" in str(response.context["form"].errors)


def test_upload_loads_the_file_and_shows_the_run(client: Client, loaded: Any, officer: Any) -> None:
    client.force_login(officer)
    good = SimpleUploadedFile(
        "thang11.csv", "Ngày;Phường/xã;Số ca\n04/11/2026;P. Phú Hòa;9\n".encode()
    )
    response = client.post("/ioc/data/kham_benh/upload/", {"file": good})
    run = SyncRun.objects.latest("pk")
    assert response["Location"] == f"/ioc/data/runs/{run.pk}/"
    assert (run.trigger, run.rows_accepted, run.started_by) == ("upload", 1, officer)
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"rows-accepted" in page.content
    assert b"msg-warning" not in page.content  # nothing rejected, nothing to warn about
    bad = SimpleUploadedFile("xau.csv", "Ngày;Phường/xã;Số ca\n04/11/2026;25750;x\n".encode())
    rejected = client.get(client.post("/ioc/data/kham_benh/upload/", {"file": bad})["Location"])
    assert "Không dòng nào được nhận." in rejected.content.decode()  # said on the run itself


def test_quarantine_page_and_replay(client: Client, loaded: Any, officer: Any) -> None:
    client.force_login(officer)
    page = client.get("/ioc/data/kham_benh/quarantine/")
    assert page.status_code == 200
    assert page.context["total"] == 1
    assert "«x»" in page.content.decode()
    assert client.get("/ioc/data/kham_benh/quarantine/replay/").status_code == 405
    response = client.post("/ioc/data/kham_benh/quarantine/replay/")
    assert response.status_code == 302
    assert quarantine.count("kham_benh") == 1  # still wrong: it stays, once


def test_connections_list_detail_and_actions(
    client: Client, loaded: Any, officer: Any, tmp_path: Any
) -> None:
    conn = Connection.objects.create(
        name="Thư mục Sở Y tế", kind="file", dataset=loaded, config={"path": str(tmp_path / "none")}
    )
    client.force_login(officer)
    assert (
        b"Th\xc6\xb0 m\xe1\xbb\xa5c"
        in client.get("/ioc/data/connections/", {"q": "thu muc"}).content
    )
    assert client.get(f"/ioc/data/connections/{conn.pk}/").status_code == 200
    response = client.post(f"/ioc/data/connections/{conn.pk}/run/")
    run = SyncRun.objects.get(connection=conn)
    assert response["Location"] == f"/ioc/data/runs/{run.pk}/" and run.status == "failed"
    client.post(f"/ioc/data/connections/{conn.pk}/pause/")
    conn.refresh_from_db()
    assert conn.state == ConnectionState.PAUSED
    assert AuditEntry.objects.filter(object_type="integrations.connection").exists()
    assert client.post(f"/ioc/data/connections/{conn.pk}/explode/").status_code == 404


def test_entering_a_row_by_hand_validates_and_corrects(
    client: Client, make_dataset: Any, officer: Any, units: dict[str, Any]
) -> None:
    from ioc.warehouse import writer

    make_dataset(
        "viec_lam",
        [
            {"name": "thang", "type": "date", "role": "time", "label": "Tháng"},
            {"name": "xa", "type": "text", "role": "unit", "label": "Phường/xã"},
            {"name": "so_nguoi", "type": "integer", "role": "measure", "label": "Số người"},
        ],
        key=["thang", "xa"],
    )
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    page = client.get("/ioc/data/viec_lam/entry/")
    assert page.status_code == 200
    assert ("25750", "Phường Phú Lợi") in page.context["form"].fields["xa"].choices
    bad = client.post(
        "/ioc/data/viec_lam/entry/", {"thang": "2026-10-01", "xa": "25750", "so_nguoi": "12,5"}
    )
    assert bad.status_code == 200
    assert "is not a whole number" in str(bad.context["form"].non_field_errors())
    assert writer.execute("SELECT count(*) FROM data.viec_lam")[0][0] == 0
    for value in ("1.234", "1.240"):
        ok = client.post(
            "/ioc/data/viec_lam/entry/", {"thang": "2026-10-01", "xa": "25750", "so_nguoi": value}
        )
        assert ok.status_code == 302
    assert writer.execute("SELECT so_nguoi FROM data.viec_lam")[0][0] == 1240  # corrected
    assert SyncRun.objects.filter(trigger="entry", started_by=officer).count() == 2
