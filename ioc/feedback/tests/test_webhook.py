"""The inbound webhook for other channels (Zalo, an e-mail gateway)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from django.test import Client

from ioc.feedback.models import ApiClient, Report
from ioc.feedback.tests.conftest import IN_TDM, OUTSIDE, jpeg_with_gps

pytestmark = pytest.mark.django_db
KEY = "zalo-gateway-key-0123456789abcdef"


@pytest.fixture
def gateway(area: Any) -> ApiClient:
    return ApiClient.objects.create(
        name="Zalo OA",
        channel="webhook",
        key_hash=hashlib.sha256(KEY.encode()).hexdigest(),
        key_prefix=KEY[:8],
    )


def post(body: Any, key: str = KEY, **headers: str) -> Any:
    return Client().post(
        "/api/feedback/inbound/",
        body,
        content_type="application/json",
        headers={"authorization": f"Bearer {key}", **headers},
    )


def report(**fields: Any) -> dict[str, Any]:
    return {
        "category": "hu-hong-duong",
        "description": "Ổ gà lớn trước cổng trường tiểu học.",
        "lat": IN_TDM[0],
        "lon": IN_TDM[1],
        "phone": "0912345678",
        **fields,
    }


def test_a_gateway_files_a_report_with_a_photo(gateway):
    photo = base64.b64encode(jpeg_with_gps((320, 240))).decode()
    response = post(report(media=[{"name": "o-ga.jpg", "content_base64": photo}]))
    assert response.status_code == 201, response.content
    data = response.json()
    stored = Report.objects.get(pk=int(data["id"]))
    assert data["tracking_code"] == stored.tracking_code
    assert data["tracking_url"].endswith(f"/feedback/track/{stored.tracking_code}/")
    assert stored.channel == "webhook" and stored.client == "Zalo OA"
    assert stored.media.count() == 1
    assert ApiClient.objects.get(pk=gateway.pk).last_used_at is not None


def test_bad_keys_and_bad_reports_are_refused_and_nothing_is_stored(gateway):
    assert post(report(), key="wrong").status_code == 401
    ApiClient.objects.filter(pk=gateway.pk).update(channel="open311")  # not a webhook key
    assert post(report()).status_code == 401
    ApiClient.objects.filter(pk=gateway.pk).update(channel="webhook")
    assert post("not json").status_code == 400
    assert post([1, 2]).status_code == 400
    refused = post(report(lat=OUTSIDE[0], lon=OUTSIDE[1], description="<b>x</b> ổ gà lớn"))
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert "location" in errors and "description" in errors
    assert "tỉnh" in errors["location"][0]  # Vietnamese by default
    english = post(report(category="nope"), **{"accept-language": "en"}).json()["errors"]
    assert english["category"] == ["Choose a category from the list."]
    assert post(report(media=[{"content_base64": "%%%"}])).status_code == 400
    assert Report.objects.count() == 0
