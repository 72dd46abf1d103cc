"""Adding and changing a connection in the web UI: validation, preview without side effects,
secrets kept encrypted and masked."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from ioc.accounts.choices import Role
from ioc.integrations.models import Connection, SyncRun
from ioc.integrations.services import connector_for
from ioc.integrations.vault import MASK

COLUMNS = [
    {"name": "ngay", "type": "date", "role": "time", "label": "Ngày"},
    {"name": "so_ca", "type": "integer", "role": "measure", "label": "Số ca"},
]


@pytest.fixture
def engineer(make_user: Any) -> Any:
    return make_user("dulieu", roles=[Role.DATA_ENGINEER], scope_all=True)


@pytest.fixture
def drop(tmp_path: Any) -> Any:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a.csv").write_text("date;cases\n10-31-2026;5\n11-01-2026;x\n")
    return folder


def form(
    dataset: Any, config: dict[str, Any], mapping: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    return {
        "name": "Thư mục Sở Y tế",
        "kind": "file",
        "dataset": dataset.pk,
        "interval_minutes": "60",
        "cron": "",
        "timezone": "Asia/Ho_Chi_Minh",
        "config": json.dumps(config),
        "mapping": json.dumps(mapping) if mapping else "",
        **kw,
    }


def test_preview_maps_the_first_rows_and_stores_nothing(
    client: Client, engineer: Any, make_dataset: Any, drop: Any
) -> None:
    dataset = make_dataset("ca_benh", COLUMNS)
    client.force_login(engineer)
    client.cookies["django_language"] = "en"
    mapping = {
        "fields": [
            {"column": "ngay", "source": "date", "date_format": "%m-%d-%Y"},
            {"column": "so_ca", "source": "cases"},
        ]
    }
    page = client.post(
        "/ioc/data/connections/new/",
        {**form(dataset, {"path": str(drop)}, mapping), "preview": "1"},
    )
    assert page.status_code == 200
    preview = page.context["preview"]
    assert preview.error == ""
    assert preview.source_fields == ["date", "cases"]
    assert len(preview.accepted) == 1 and len(preview.rejected) == 1
    assert "is not a whole number" in preview.rejected[0][1]
    assert (drop / "a.csv").exists()  # the drop folder is untouched
    assert not Connection.objects.exists() and not SyncRun.objects.exists()


def test_save_validates_then_creates_and_edits_keep_secrets(
    client: Client, engineer: Any, make_dataset: Any, drop: Any
) -> None:
    dataset = make_dataset("ca_benh", COLUMNS)
    client.force_login(engineer)
    client.cookies["django_language"] = "en"
    bad = client.post(
        "/ioc/data/connections/new/",
        form(dataset, {"path": str(drop)}, cron="every day", interval_minutes=""),
    )
    assert bad.status_code == 200 and "invalid cron schedule" in str(bad.context["form"].errors)
    broken_json = client.post(
        "/ioc/data/connections/new/", {**form(dataset, {}), "config": "{oops"}
    )
    assert "not valid JSON" in str(broken_json.context["form"].errors)
    mqtt = {"host": "127.0.0.1", "topics": ["a/{tram}"], "password": "bí-mật"}
    created = client.post("/ioc/data/connections/new/", form(dataset, mqtt, kind="mqtt"))
    conn = Connection.objects.get()
    assert created["Location"] == f"/ioc/data/connections/{conn.pk}/"
    assert conn.config["password"] == MASK and "bí-mật" not in conn.secrets
    edit = client.get(f"/ioc/data/connections/{conn.pk}/edit/")
    assert "bí-mật" not in edit.content.decode()
    masked = {**mqtt, "password": MASK, "host": "mqtt.tinh.gov.vn"}
    client.post(f"/ioc/data/connections/{conn.pk}/edit/", form(dataset, masked, kind="mqtt"))
    cfg = connector_for(Connection.objects.get()).config
    assert cfg.host == "mqtt.tinh.gov.vn"  # type: ignore[attr-defined]
    assert cfg.password.get_secret_value() == "bí-mật"  # type: ignore[attr-defined]


def test_a_leader_cannot_add_connections(client: Client, make_user: Any) -> None:
    client.force_login(make_user("lanhdao", roles=[Role.LEADER], scope_all=True))
    assert client.get("/ioc/data/connections/new/").status_code == 403
