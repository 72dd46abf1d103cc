"""/api/datasets/: the scoped catalogue, and DCAT metadata and downloads for open data."""

from __future__ import annotations

from typing import Any

from django.test import Client

from ioc.accounts.choices import Role
from ioc.core.models import AuditEntry

COLUMNS = [
    {"name": "ngay", "type": "date", "role": "time", "label": "Ngày"},
    {"name": "pm25", "type": "decimal", "role": "measure", "label": "Bụi PM2.5", "unit": "µg/m³"},
]


def test_catalogue_is_scoped_and_needs_the_permission(
    client: Client, make_dataset: Any, make_user: Any, sectors: dict[str, Any], agencies: Any
) -> None:
    make_dataset("khong_khi", COLUMNS, name="Chất lượng không khí")
    make_dataset("xe", COLUMNS, owner=agencies["traffic"], sector_id=sectors["traffic"].pk)
    client.force_login(make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]]))
    listing = client.get("/api/datasets/")
    assert listing.status_code == 200
    assert [d["name"] for d in listing.json()] == ["khong_khi"]
    one = client.get("/api/datasets/khong_khi/").json()
    assert one["columns"][1] == {
        "name": "pm25",
        "type": "decimal",
        "role": "measure",
        "label": "Bụi PM2.5",
        "label_en": "",
        "unit": "µg/m³",
    }
    assert client.get("/api/datasets/xe/").status_code == 404
    client.force_login(make_user("dan", kind="citizen"))
    assert client.get("/api/datasets/").status_code == 403


def test_dcat_lists_only_open_data_and_its_downloads_work(
    client: Client, make_dataset: Any, tmp_path: Any
) -> None:
    from ioc.integrations.services import ingest_file

    make_dataset("khong_khi", COLUMNS, name="Chất lượng không khí", is_open=True, cadence="daily")
    make_dataset("noi_bo", COLUMNS)
    path = tmp_path / "a.csv"
    path.write_text("Ngày;Bụi PM2.5\n01/11/2026;35,5\n")
    ingest_file(path, dataset="khong_khi")
    catalog = client.get("/api/datasets/dcat.json").json()  # anonymous
    assert catalog["@type"] == "dcat:Catalog"
    (entry,) = catalog["dcat:dataset"]
    assert entry["dct:identifier"] == "khong_khi"
    assert entry["dct:accrualPeriodicity"]["@id"].endswith("/frequency/DAILY")
    url = entry["dcat:distribution"][0]["dcat:downloadURL"]
    body = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    assert body.splitlines() == ["ngay,pm25", "2026-11-01,35.5"]
    assert AuditEntry.objects.filter(action="read", message="open data csv: 1 rows").exists()
    assert client.get("/api/datasets/noi_bo/download/csv").status_code == 404
