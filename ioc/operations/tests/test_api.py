"""/api/events/: scoped list and detail, acknowledge and resolve with 403/404/409."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from ioc.operations.models import Event
from ioc.operations.services import resolve_event
from ioc.operations.tests.conftest import NOW

pytestmark = pytest.mark.django_db

API = "/api/events/"


def _client(user: Any) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"  # assertions read English labels
    client.force_login(user)
    return client


def test_anonymous_gets_401(client: Client, make_event: Any) -> None:
    event = make_event()
    assert client.get(API).status_code == 401
    assert client.get(f"{API}{event.pk}/").status_code == 401
    assert client.post(f"{API}{event.pk}/acknowledge").status_code == 401


def test_list_is_scoped_and_filtered(
    officer: Any, operator: Any, make_event: Any, sectors: dict[str, Any]
) -> None:
    health = make_event(sector=sectors["health"], severity="severe", occurred_at=NOW)
    old_health = make_event(
        sector=sectors["health"], severity="minor", occurred_at=NOW - dt.timedelta(days=5)
    )
    traffic = make_event(sector=sectors["traffic"])
    body = _client(officer).get(API).json()
    assert body["count"] == 2
    assert [e["id"] for e in body["results"]] == [health.pk, old_health.pk]
    assert body["results"][0]["sector_code"] == "health"
    assert body["results"][0]["url"] == f"/ioc/events/{health.pk}/"

    everything = _client(operator).get(API).json()
    assert {e["id"] for e in everything["results"]} == {health.pk, old_health.pk, traffic.pk}

    client = _client(officer)
    assert [e["id"] for e in client.get(API, {"severity": "severe,extreme"}).json()["results"]] == [
        health.pk
    ]
    since = (NOW - dt.timedelta(days=1)).isoformat()
    assert [e["id"] for e in client.get(API, {"since": since}).json()["results"]] == [health.pk]
    resolve_event(actor=operator, event=health)
    assert [e["id"] for e in client.get(API, {"status": "open"}).json()["results"]] == [
        old_health.pk
    ]
    assert client.get(API, {"status": "closed"}).status_code == 422


def test_list_pages(operator: Any, make_event: Any) -> None:
    for _ in range(7):
        make_event()
    client = _client(operator)
    first = client.get(API, {"page_size": 5}).json()
    second = client.get(API, {"page_size": 5, "page": 2}).json()
    assert (first["count"], len(first["results"]), len(second["results"])) == (7, 5, 2)
    assert client.get(API, {"page_size": 1000}).status_code == 422


def test_list_by_severity(operator: Any, make_event: Any) -> None:
    minor = make_event(severity="minor", occurred_at=NOW)
    extreme = make_event(severity="extreme", occurred_at=NOW - dt.timedelta(days=1))
    body = _client(operator).get(API, {"order": "severity"}).json()
    assert [e["id"] for e in body["results"]] == [extreme.pk, minor.pk]


def test_get_one_and_404_out_of_scope(
    officer: Any, make_event: Any, sectors: dict[str, Any]
) -> None:
    health = make_event(sector=sectors["health"], headline="Sốt xuất huyết tăng")
    traffic = make_event(sector=sectors["traffic"])
    client = _client(officer)
    response = client.get(f"{API}{health.pk}/")
    assert response.status_code == 200
    assert response.json()["headline"] == "Sốt xuất huyết tăng"
    assert client.get(f"{API}{traffic.pk}/").status_code == 404
    assert client.get(f"{API}999999/").status_code == 404


def test_acknowledge_and_resolve(operator: Any, make_event: Any) -> None:
    event = make_event()
    client = _client(operator)
    response = client.post(
        f"{API}{event.pk}/acknowledge", {"note": "Đang xử lý"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["acknowledged_by"], body["note"]) == (
        "acknowledged",
        "operator",
        "Đang xử lý",
    )
    response = client.post(f"{API}{event.pk}/resolve")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    # Not allowed by the status now: 409, nothing changes.
    before = model_to_dict(Event.objects.get(pk=event.pk))
    assert client.post(f"{API}{event.pk}/acknowledge").status_code == 409
    assert model_to_dict(Event.objects.get(pk=event.pk)) == before
    assert client.post(f"{API}{event.pk}/reopen/").json()["status"] == "open"


def test_403_without_permission(viewer: Any, make_event: Any, sectors: dict[str, Any]) -> None:
    event = make_event(sector=sectors["health"])
    before = model_to_dict(Event.objects.get(pk=event.pk))
    client = _client(viewer)
    assert client.get(f"{API}{event.pk}/").status_code == 200
    assert client.post(f"{API}{event.pk}/acknowledge").status_code == 403
    assert client.post(f"{API}{event.pk}/resolve").status_code == 403
    assert model_to_dict(Event.objects.get(pk=event.pk)) == before


def test_404_out_of_scope(officer: Any, make_event: Any, sectors: dict[str, Any]) -> None:
    event = make_event(sector=sectors["traffic"])
    before = model_to_dict(Event.objects.get(pk=event.pk))
    client = _client(officer)
    assert client.post(f"{API}{event.pk}/acknowledge").status_code == 404
    assert client.post(f"{API}{event.pk}/resolve").status_code == 404
    assert model_to_dict(Event.objects.get(pk=event.pk)) == before


def test_users_without_view_permission_get_403(make_user: Any, make_event: Any) -> None:
    make_event()
    stranger = make_user("stranger", scope_all=True)
    assert _client(stranger).get(API).status_code == 403


def test_openapi_documents_the_routes(operator: Any) -> None:
    paths = _client(operator).get("/api/openapi.json").json()["paths"]
    assert "/api/events/" in paths
    assert "/api/events/{event_id}/" in paths
    ack = paths["/api/events/{event_id}/acknowledge"]["post"]
    assert ack["requestBody"]["required"] is False
    assert "/api/events/{event_id}/acknowledge/" not in paths  # the slash alias is hidden
