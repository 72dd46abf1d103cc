"""The public map's points and the RSS/Atom feeds: what they show, by area, and never a
reporter's personal data."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.test import Client

from ioc.feedback import services
from ioc.feedback.models import Report
from ioc.feedback.tests.conftest import IN_PHU_LOI, IN_TDM

pytestmark = pytest.mark.django_db
PRIVATE = ("Lê Thị Kín", "0977000111", "kin@example.vn")


def file(point: tuple[float, float], text: str = "Rác thải đổ trộm ở đầu hẻm 12.") -> Report:
    return services.submit_report(
        services.Submission(
            category="hu-hong-duong",
            description=f"{text} Gọi {PRIVATE[1]}.",
            lat=point[0],
            lon=point[1] + 0.000123456,
            name=PRIVATE[0],
            phone=PRIVATE[1],
            email=PRIVATE[2],
        )
    )


def test_the_public_map_shows_rounded_pins_and_nothing_personal(area: Any, handlers: Any) -> None:
    ours, theirs = file(IN_TDM), file(IN_PHU_LOI)
    hidden = file(IN_TDM)
    Report.objects.filter(pk=hidden.pk).update(is_public=False)
    client = Client()
    assert "data-reports-map" in client.get("/feedback/map/").content.decode()
    response = client.get("/feedback/map.geojson")
    data = response.json()
    assert {f["id"] for f in data["features"]} == {ours.pk, theirs.pk}
    lon, lat = data["features"][0]["geometry"]["coordinates"]
    assert round(lon, 4) == lon and round(lat, 4) == lat  # ~10 m, not the doorstep
    body = response.content.decode()
    assert not any(secret in body for secret in PRIVATE)
    services.assign(ours, area["agencies"]["ward"], actor=handlers["operator"])
    services.resolve(ours, actor=handlers["operator"], answer="Đã vá đường xong.")
    answered = client.get("/feedback/map.geojson", {"status": "answered"}).json()
    assert [f["id"] for f in answered["features"]] == [ours.pk]
    assert client.get("/feedback/map.geojson", {"days": "x"}).status_code == 200


@pytest.mark.parametrize("path", ["/feedback/feeds/new.xml", "/feedback/feeds/new.atom"])
def test_feeds_of_new_reports_by_area(area: Any, path: str) -> None:
    ours, theirs = file(IN_TDM, "Ổ gà lớn trước chợ."), file(IN_PHU_LOI, "Đường sụt lún.")
    client = Client()
    whole = client.get(path)
    assert whole.status_code == 200
    ET.fromstring(whole.content)  # well-formed
    body = whole.content.decode()
    assert f"/feedback/{ours.pk}/" in body and f"/feedback/{theirs.pk}/" in body
    assert not any(secret in body for secret in PRIVATE)
    ward = client.get(path, {"unit": "25747"}).content.decode()
    assert f"/feedback/{ours.pk}/" in ward and f"/feedback/{theirs.pk}/" not in ward
    assert client.get(path, {"unit": "00000"}).status_code == 404


def test_the_feed_of_answers(area: Any, handlers: Any) -> None:
    report = file(IN_TDM)
    file(IN_TDM, "Chưa trả lời.")
    services.assign(report, area["agencies"]["ward"], actor=handlers["operator"])
    services.resolve(report, actor=handlers["operator"], answer="Đã vá ổ gà trong ngày.")
    body = Client().get("/feedback/feeds/answered.xml").content.decode()
    assert "Đã vá ổ gà trong ngày." in body and body.count("<item>") == 1
