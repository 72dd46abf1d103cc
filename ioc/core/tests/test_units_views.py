"""The units pages at /ioc/units/ and the API at /api/units/."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ioc.core.models import AdministrativeUnit as U


@pytest.fixture
def staff(client: Client, make_user: Any) -> Client:
    client.force_login(make_user("officer"))
    return client


def names(response: Any) -> list[str]:
    return [u.name for u in response.context["page"].object_list]


def test_login_required(client: Client, units: dict[str, Any]) -> None:
    for url in (reverse("units:list"), reverse("units:detail", args=[units["bd"].pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_citizens_are_refused(client: Client, units: dict[str, Any], make_user: Any) -> None:
    client.force_login(make_user("citizen1", kind="citizen"))
    assert client.get(reverse("units:list")).status_code == 403


@pytest.mark.parametrize("q", ["phu cuong", "Phú Cường", "PHU CUONG", "P. Phú Cường", "25747"])
def test_search_with_and_without_diacritics(staff: Client, units: dict[str, Any], q: str) -> None:
    response = staff.get(reverse("units:list"), {"q": q})
    assert response.status_code == 200
    assert "Phường Phú Cường" in names(response)
    assert "Phường Phú Thọ" not in names(response)
    assert "Phường Phú Cường" in response.content.decode()


def test_filters(staff: Client, units: dict[str, Any]) -> None:
    url = reverse("units:list")
    assert set(names(staff.get(url, {"level": 1}))) == {
        "Thành phố Hồ Chí Minh",
        "Tỉnh Bình Dương",
    }
    current = names(staff.get(url, {"state": "current", "level": 3}))
    assert set(current) == {"Phường Thủ Dầu Một", "Phường Phú Lợi"}
    historical = names(staff.get(url, {"state": "historical", "q": "phu loi"}))
    assert historical == ["Phường Phú Lợi"]
    assert staff.get(url, {"state": "historical", "q": "phu loi"}).context["page"][0].valid_to
    assert len(names(staff.get(url))) == U.objects.filter(in_area=True).count()
    # Bad filter values are ignored, not errors.
    assert staff.get(url, {"level": "x", "page": "999"}).status_code == 200


def test_only_area_units_are_listed(staff: Client, units: dict[str, Any]) -> None:
    U.objects.create(code="01", name="Thành phố Hà Nội", level=1)
    assert "Thành phố Hà Nội" not in names(staff.get(reverse("units:list"), {"q": "ha noi"}))


def test_detail_shows_history(staff: Client, units: dict[str, Any]) -> None:
    old = units["old"]["25747"]
    page = staff.get(reverse("units:detail", args=[old.pk])).content.decode()
    assert "Phường Phú Cường" in page and "Thành phố Thủ Dầu Một" in page  # its parent
    assert reverse("units:detail", args=[units["new_tdm"].pk]) in page  # successor
    new = staff.get(reverse("units:detail", args=[units["new_tdm"].pk]))
    text = new.content.decode()
    for name in ("Phường Phú Cường", "Phường Phú Thọ", "Phường Chánh Nghĩa"):  # predecessors
        assert name in text
    assert "Thành phố Hồ Chí Minh" in text
    district = staff.get(reverse("units:detail", args=[units["tdm"].pk])).content.decode()
    assert "Phường Phú Hòa" in district  # former sub-units
    assert staff.get(reverse("units:detail", args=[999999])).status_code == 404


def test_pages_in_english(staff: Client, units: dict[str, Any]) -> None:
    assert "Đơn vị hành chính" in staff.get(reverse("units:list")).content.decode()
    staff.cookies["django_language"] = "en"  # the language switcher's choice
    response = staff.get(reverse("units:list"))
    assert "Administrative units" in response.content.decode()


# -- API -------------------------------------------------------------------------------


def test_api_list_is_public_paginated_and_searches(client: Client, units: dict[str, Any]) -> None:
    response = client.get("/api/units/", {"q": "phu cuong"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert (item["code"], item["name"], item["parent_code"], item["valid_to"]) == (
        "25747",
        "Phường Phú Cường",
        "718",
        "2025-06-30",
    )
    everything = client.get("/api/units/", {"page_size": 3}).json()
    assert everything["count"] == U.objects.filter(in_area=True).count()
    assert len(everything["items"]) == 3
    current = client.get("/api/units/", {"current": "true", "level": 3}).json()
    assert {i["name"] for i in current["items"]} == {"Phường Thủ Dầu Một", "Phường Phú Lợi"}
    past = client.get("/api/units/", {"current": "false", "level": 3}).json()
    assert past["count"] == 5


def test_api_resolve(client: Client, units: dict[str, Any]) -> None:
    body = client.get("/api/units/resolve/25747").json()
    assert body["code"] == "25747"
    by_name = {u["unit"]["name"]: u for u in body["units"]}
    assert set(by_name) == {"Phường Phú Cường", "Phường Thủ Dầu Một"}
    (successor,) = by_name["Phường Phú Cường"]["current"]
    assert (successor["unit"]["name"], successor["share"]) == ("Phường Thủ Dầu Một", 1.0)
    on = client.get("/api/units/resolve/25747", {"on": "2025-01-01"}).json()
    assert [u["unit"]["name"] for u in on["units"]] == ["Phường Phú Cường"]
    assert client.get("/api/units/resolve/nothing").json()["units"] == []
    assert client.get("/api/units/resolve/25747", {"on": "not-a-date"}).status_code == 422


def test_api_match(client: Client, units: dict[str, Any]) -> None:
    body = client.get("/api/units/match", {"q": "P. Phú Cường"}).json()
    assert body[0]["code"] == "25747" and body[0]["name"] == "Phường Phú Cường"
    assert client.get("/api/units/match", {"q": "TP Thu Dau Mot"}).json()[0]["code"] == "718"
    assert client.get("/api/units/match").status_code == 422


def test_api_documented(client: Client, make_user: Any) -> None:
    client.force_login(make_user("reader", is_staff=True, is_superuser=True))
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/units/", "/api/units/resolve/{code}", "/api/units/match"} <= set(paths)
