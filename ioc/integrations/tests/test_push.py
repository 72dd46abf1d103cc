"""POST /api/push/<id>/: agency systems send JSON, NDJSON or CSV with their connection's token."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from ioc.core.models import AuditEntry
from ioc.integrations.models import Connection, ConnectionState, SyncRun
from ioc.integrations.services import IngestError, issue_push_token
from ioc.warehouse import quarantine, writer

COLUMNS = [
    {"name": "tram", "type": "text", "role": "dimension", "label": "Trạm"},
    {"name": "luc", "type": "timestamp", "role": "time", "label": "Lúc"},
    {"name": "muc_nuoc", "type": "decimal", "role": "measure", "label": "Mực nước"},
]


@pytest.fixture
def connection(make_dataset: Any) -> Connection:
    dataset = make_dataset("muc_nuoc", COLUMNS, key=["tram", "luc"])
    return Connection.objects.create(
        name="Trạm đo mực nước", kind="push", dataset=dataset, config={"max_bytes": 2000}
    )


@pytest.fixture
def token(connection: Connection) -> str:
    return issue_push_token(connection, actor=None)


def post(client: Client, conn: Connection, body: str | bytes, token: str, kind: str) -> Any:
    return client.post(
        f"/api/push/{conn.pk}/", body, content_type=kind, HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_json_push_loads_and_answers_the_counts(
    client: Client, connection: Connection, token: str
) -> None:
    body = json.dumps(
        [
            {"tram": "Cầu Ông Cộ", "luc": "26/11/2026 08:00", "muc_nuoc": "1,52"},
            {"tram": "Cầu Ông Cộ", "luc": "26/11/2026 09:00", "muc_nuoc": 1.61},
            {"tram": "Cầu Ông Cộ", "luc": "sáng nay", "muc_nuoc": 1.7},
        ]
    )
    response = post(client, connection, body, token, "application/json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["read"], data["accepted"], data["rejected"]) == (3, 2, 1)
    assert SyncRun.objects.get(pk=data["run"]).trigger == "push"
    assert writer.execute("SELECT sum(muc_nuoc) FROM data.muc_nuoc")[0][0] == pytest.approx(3.13)
    # The same batch again replaces, never doubles.
    again = post(client, connection, body, token, "application/json").json()
    assert again["accepted"] == 2
    assert writer.execute("SELECT count(*) FROM data.muc_nuoc")[0][0] == 2
    assert quarantine.count("muc_nuoc") == 1


def test_csv_and_ndjson_push(client: Client, connection: Connection, token: str) -> None:
    csv = "Trạm;Lúc;Mực nước\nBến Súc;26/11/2026 07:00;2,05\n"
    assert post(client, connection, csv.encode(), token, "text/csv").json()["accepted"] == 1
    nd = '{"tram": "Bạch Đằng", "luc": "2026-11-26T07:00:00", "muc_nuoc": 0.9}\n'
    assert post(client, connection, nd, token, "application/x-ndjson").json()["accepted"] == 1


def test_wrong_token_size_type_and_paused_are_refused(
    client: Client, connection: Connection, token: str
) -> None:
    assert post(client, connection, "[]", "nope", "application/json").status_code == 401
    assert (
        client.post(
            f"/api/push/{connection.pk}/", "[]", content_type="application/json"
        ).status_code
        == 401
    )
    big = json.dumps([{"tram": "x" * 100, "luc": "2026-11-26", "muc_nuoc": 1}] * 30)
    response = post(client, connection, big, token, "application/json")
    assert response.status_code == 413
    assert "larger than 2000 bytes" in response.json()["error_en"]
    odd = post(client, connection, "<xml/>", token, "application/xml")
    assert odd.status_code == 422 and "unsupported content type" in odd.json()["error"]
    assert post(client, connection, "", token, "application/json").status_code == 400
    Connection.objects.filter(pk=connection.pk).update(state=ConnectionState.PAUSED)
    assert post(client, connection, "[]", token, "application/json").status_code == 409
    assert client.get(f"/api/push/{connection.pk}/").status_code == 405


def test_garbage_json_is_a_failed_run_with_a_clear_error(
    client: Client, connection: Connection, token: str
) -> None:
    response = post(client, connection, '[{"tram": "A", ', token, "application/json")
    assert response.status_code == 422
    assert "cannot be read" in response.json()["error"]
    assert SyncRun.objects.get().status == "failed"


def test_tokens_are_issued_once_audited_and_replaced(connection: Connection, token: str) -> None:
    assert len(token) >= 40 and token not in connection.push_token_hash
    newer = issue_push_token(connection, actor=None)
    assert newer != token
    assert AuditEntry.objects.filter(message="push token issued").count() == 2
    file_conn = Connection.objects.create(name="f", kind="file", dataset=connection.dataset)
    with pytest.raises(IngestError):
        issue_push_token(file_conn, actor=None)


def test_a_data_engineer_issues_a_token_from_the_connection_page(
    client: Client, connection: Connection, make_user: Any
) -> None:
    engineer = make_user("dulieu", roles=["data_engineer"], scope_all=True)
    client.force_login(engineer)
    page = client.post(f"/ioc/data/connections/{connection.pk}/token/")
    assert page.status_code == 200
    token = page.context["token"]
    assert page.context["endpoint"].endswith(f"/api/push/{connection.pk}/")
    client.logout()
    assert post(client, connection, "[]", token, "application/json").status_code in (200, 422)
