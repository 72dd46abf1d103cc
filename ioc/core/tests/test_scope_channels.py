"""Acceptance: row-level scope holds on every channel (views, admin, API), deny by default.

A sector officer of health (scope_sectors={health}) lists, reads and changes health agencies
and events, and cannot list, read or change traffic ones; every refused change leaves the row
as it was and writes no change to the audit log. Anonymous users get the public pages only;
a user with an empty scope sees nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from ioc.accounts.choices import Role
from ioc.core.models import Agency, AuditEntry
from ioc.operations.models import Event
from ioc.operations.services import raise_event

CHANGES = ("create", "update", "delete")


@pytest.fixture
def officer(make_user: Any, sectors: dict[str, Any]) -> Any:
    return make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]], is_staff=True)


@pytest.fixture
def events(sectors: dict[str, Any], agencies: dict[str, Any]) -> dict[str, Event]:
    def make(key: str, headline: str) -> Event:
        return raise_event(
            source="tests",
            category="check",
            headline=headline,
            sector=sectors[key],
            agency=agencies[key],
        )

    return {
        "health": make("health", "Sốt xuất huyết tăng ở phường Phú Lợi"),
        "traffic": make("traffic", "Ùn tắc trên Đại lộ Bình Dương"),
    }


def _as(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def _state(obj: Any) -> dict[str, Any]:
    fresh = type(obj).objects.get(pk=obj.pk)
    data = model_to_dict(fresh)
    if isinstance(fresh, Agency):
        data["sectors"] = sorted(s.pk for s in fresh.sectors.all())
    return data


def _audit_mark() -> int:
    """The id of the newest audit entry: the setup (raise_event audits too) is before it."""
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _no_change_audited(since: int) -> bool:
    return not AuditEntry.objects.filter(action__in=CHANGES, pk__gt=since).exists()


# --- list ------------------------------------------------------------------------------------


def _listed_agencies(client: Client, channel: str) -> set[str]:
    if channel == "view":
        response = client.get("/ioc/agencies/")
        assert response.status_code == 200
        return {a.code for a in response.context["page_obj"]}
    if channel == "admin":
        response = client.get("/admin/core/agency/")
        assert response.status_code == 200
        return {a.code for a in response.context["cl"].result_list}
    response = client.get("/api/agencies/")
    assert response.status_code == 200
    return {a["code"] for a in response.json()}


@pytest.mark.parametrize("channel", ["view", "admin", "api"], ids=str)
def test_officer_lists_only_their_sectors_agencies(
    client: Client, officer: Any, agencies: dict[str, Any], channel: str
) -> None:
    listed = _listed_agencies(_as(client, officer), channel)
    assert listed == {"so-y-te", "ubnd-thu-dau-mot"}  # the ward works in health too
    assert "so-gtvt" not in listed


@pytest.mark.parametrize("channel", ["view", "admin", "api"], ids=str)
def test_empty_scope_lists_nothing(
    client: Client, make_user: Any, agencies: dict[str, Any], channel: str
) -> None:
    nobody = make_user("nobody", roles=[Role.SECTOR_OFFICER], is_staff=True)
    assert _listed_agencies(_as(client, nobody), channel) == set()


@pytest.mark.parametrize("channel", ["inbox", "admin", "api"], ids=str)
def test_officer_lists_only_their_sectors_events(
    client: Client, officer: Any, events: dict[str, Event], channel: str
) -> None:
    _as(client, officer)
    url = {"inbox": "/ioc/events/", "admin": "/admin/operations/event/", "api": "/api/events/"}
    response = client.get(url[channel])
    assert response.status_code == 200
    text = response.content.decode() if channel != "api" else response.json()
    assert events["health"].headline in str(text)
    assert events["traffic"].headline not in str(text)


# --- read ------------------------------------------------------------------------------------


def _read(client: Client, channel: str, obj: Any) -> tuple[int, str]:
    if isinstance(obj, Agency):
        url = {
            "view": f"/ioc/agencies/{obj.pk}/",
            "admin": f"/admin/core/agency/{obj.pk}/change/",
            "api": f"/api/agencies/{obj.pk}/",
        }[channel]
    else:
        url = {
            "view": f"/ioc/events/{obj.pk}/",
            "admin": f"/admin/operations/event/{obj.pk}/change/",
            "api": f"/api/events/{obj.pk}/",
        }[channel]
    response = client.get(url)
    return response.status_code, response.content.decode()


@pytest.mark.parametrize("channel", ["view", "admin", "api"], ids=str)
@pytest.mark.parametrize("kind", ["agency", "event"], ids=str)
def test_officer_reads_own_not_others(
    client: Client,
    officer: Any,
    agencies: dict[str, Any],
    events: dict[str, Event],
    channel: str,
    kind: str,
) -> None:
    _as(client, officer)
    own, other = (
        (agencies["health"], agencies["traffic"])
        if kind == "agency"
        else (events["health"], events["traffic"])
    )
    status, _ = _read(client, channel, own)
    assert status == 200
    status, body = _read(client, channel, other)
    # The admin answers a missing object with a redirect to its index, the others with 404.
    assert status == (302 if channel == "admin" else 404)
    assert str(getattr(other, "name", other.headline if kind == "event" else "")) not in body


# --- change ----------------------------------------------------------------------------------


def _admin_agency_form(agency: Agency, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": agency.code,
        "name": agency.name,
        "name_en": agency.name_en,
        "short_name": agency.short_name,
        "kind": agency.kind,
        "unit": agency.unit_id,
        "sectors": [s.pk for s in agency.sectors.all()],
        "email": agency.email,
        "phone": agency.phone,
        "is_active": "on",
    }
    if agency.parent_id:
        data["parent"] = agency.parent_id
    data.update(changes)
    return data


def _view_agency_form(agency: Agency, **changes: Any) -> dict[str, Any]:
    data = _admin_agency_form(agency, **changes)
    for name in ("code", "unit"):
        data.pop(name)
    return data


def _change_agency(client: Client, channel: str, agency: Agency, phone: str) -> int:
    if channel == "view":
        url = f"/ioc/agencies/{agency.pk}/edit/"
        return client.post(url, _view_agency_form(agency, phone=phone)).status_code
    if channel == "admin":
        url = f"/admin/core/agency/{agency.pk}/change/"
        return client.post(url, _admin_agency_form(agency, phone=phone)).status_code
    return client.patch(
        f"/api/agencies/{agency.pk}/", {"phone": phone}, content_type="application/json"
    ).status_code


@pytest.mark.parametrize("channel", ["view", "admin", "api"], ids=str)
def test_officer_changes_their_sectors_agency(
    client: Client, officer: Any, agencies: dict[str, Any], channel: str
) -> None:
    health = agencies["health"]
    status = _change_agency(_as(client, officer), channel, health, "0274 3822 222")
    assert status in (200, 302)
    health.refresh_from_db()
    assert health.phone == "0274 3822 222"
    entry = AuditEntry.objects.get(action="update", object_id=str(health.pk))
    assert entry.actor == officer
    assert entry.changes["phone"] == ["", "0274 3822 222"]


@pytest.mark.parametrize("channel", ["view", "admin", "api"], ids=str)
def test_officer_cannot_change_another_sectors_agency(
    client: Client, officer: Any, agencies: dict[str, Any], channel: str
) -> None:
    traffic = agencies["traffic"]
    before = _state(traffic)
    mark = _audit_mark()
    status = _change_agency(_as(client, officer), channel, traffic, "0000")
    assert status in ((302, 403) if channel == "admin" else (404,))
    assert _state(traffic) == before
    assert _no_change_audited(mark)


@pytest.mark.parametrize("channel", ["view", "admin", "api"], ids=str)
def test_officer_cannot_move_an_agency_out_of_their_scope(
    client: Client, officer: Any, agencies: dict[str, Any], sectors: dict[str, Any], channel: str
) -> None:
    health = agencies["health"]
    before = _state(health)
    mark = _audit_mark()
    _as(client, officer)
    traffic_only = [sectors["traffic"].pk]
    if channel == "view":
        response = client.post(
            f"/ioc/agencies/{health.pk}/edit/", _view_agency_form(health, sectors=traffic_only)
        )
    elif channel == "admin":
        response = client.post(
            f"/admin/core/agency/{health.pk}/change/",
            _admin_agency_form(health, sectors=traffic_only),
        )
    else:
        response = client.patch(
            f"/api/agencies/{health.pk}/",
            {"sector_codes": ["traffic"]},
            content_type="application/json",
        )
    assert response.status_code == 403
    assert _state(health) == before
    assert _no_change_audited(mark)
    assert AuditEntry.objects.filter(action="denied", actor=officer).exists()


@pytest.mark.parametrize("which", ["health", "traffic"], ids=str)
def test_officer_changes_events_in_the_admin_only_in_scope(
    client: Client, officer: Any, events: dict[str, Event], which: str
) -> None:
    event = events[which]
    before = _state(event)
    mark = _audit_mark()
    response = _as(client, officer).post(
        f"/admin/operations/event/{event.pk}/change/", {"note": "Đã báo Sở"}
    )
    event.refresh_from_db()
    if which == "health":
        assert response.status_code == 302
        assert event.note == "Đã báo Sở"
        assert AuditEntry.objects.get(
            action="update", object_type="operations.event", object_id=str(event.pk)
        ).changes == {"note": ["", "Đã báo Sở"]}
    else:
        assert response.status_code == 302  # to the admin index: "does not exist"
        assert _state(event) == before
        assert _no_change_audited(mark)


@pytest.mark.parametrize("action", ["acknowledge", "resolve"], ids=str)
def test_officer_cannot_handle_another_sectors_event_through_the_api(
    client: Client, officer: Any, events: dict[str, Event], action: str
) -> None:
    event = events["traffic"]
    before = _state(event)
    mark = _audit_mark()
    response = _as(client, officer).post(f"/api/events/{event.pk}/{action}")
    assert response.status_code == 404
    assert _state(event) == before
    assert _no_change_audited(mark)


def test_without_the_permission_an_in_scope_change_is_refused(
    client: Client, make_user: Any, agencies: dict[str, Any]
) -> None:
    leader = make_user("leader", roles=[Role.LEADER], scope_all=True, is_staff=True)
    health = agencies["health"]
    before = _state(health)
    mark = _audit_mark()
    _as(client, leader)
    api = client.patch(
        f"/api/agencies/{health.pk}/", {"phone": "1"}, content_type="application/json"
    )
    assert api.status_code == 403
    assert client.post(f"/ioc/agencies/{health.pk}/edit/", {"phone": "1"}).status_code == 403
    admin = client.post(f"/admin/core/agency/{health.pk}/change/", _admin_agency_form(health))
    assert admin.status_code == 403
    assert _state(health) == before
    assert _no_change_audited(mark)
    assert AuditEntry.objects.filter(action="denied", actor=leader).exists()


# --- anonymous -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/feedback/", "/healthz", "/accounts/login/", "/accounts/signup/"], ids=str
)
def test_anonymous_public_pages(client: Client, db: Any, path: str) -> None:
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status", "location"),
    [
        ("get", "/ioc/", 302, "/accounts/login/"),
        ("get", "/ioc/agencies/", 302, "/accounts/login/"),
        ("get", "/ioc/agencies/{health}/", 302, "/accounts/login/"),
        ("post", "/ioc/agencies/{health}/edit/", 302, "/accounts/login/"),
        ("get", "/ioc/events/", 302, "/accounts/login/"),
        ("get", "/admin/", 302, "/admin/login/"),
        ("get", "/admin/core/agency/", 302, "/admin/login/"),
        ("get", "/api/agencies/", 401, None),
        ("get", "/api/agencies/{health}/", 401, None),
        ("patch", "/api/agencies/{health}/", 401, None),
        ("get", "/api/events/", 401, None),
    ],
    ids=lambda v: v if isinstance(v, str) and v.startswith("/") else None,
)
def test_anonymous_is_kept_out(
    client: Client,
    agencies: dict[str, Any],
    method: str,
    path: str,
    status: int,
    location: str | None,
) -> None:
    health = agencies["health"]
    before = _state(health)
    mark = _audit_mark()
    url = path.format(health=health.pk)
    if method == "patch":
        response = client.patch(url, {"phone": "1"}, content_type="application/json")
    else:
        response = getattr(client, method)(url, {"phone": "1"} if method == "post" else None)
    assert response.status_code == status
    if location:
        assert response["Location"].startswith(location)
    assert _state(health) == before
    assert _no_change_audited(mark)
