"""Citizen reports in a real browser, end to end: a citizen on a phone files a report with a
map pin and a photo, the commune's handler accepts it and answers it, and the citizen reads
the answer by the tracking code and rates it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import shapely
from PIL import Image

from ioc.core.units.locate import Locator
from ioc.demo.accounts import DEMO_USERS
from ioc.feedback.models import Report
from ioc.tests.test_browser import _chromium, browser, log_in, page, province  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HANDLER = next(u for u in DEMO_USERS if u.username == "xuly")  # Phường Thủ Dầu Một's
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}


def a_photo() -> bytes:
    image = Image.new("RGB", (800, 600), (90, 120, 60))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (10.0, 58.0, 1.0), 3: "E", 4: (106.0, 39.0, 1.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_citizen_reports_a_handler_answers_the_citizen_rates(
    page: Any,  # noqa: F811  (the handler's page)
    browser: Any,  # noqa: F811
    live_server: Any,
    settings: Any,
) -> None:
    settings.MAP_TILE_URL = ""  # a closed network: the boundaries are drawn as shapes
    locator = Locator.for_day()
    ward = next(i for i, u in enumerate(locator.units) if u.code == "25747")
    inside = shapely.point_on_surface(locator.geoms[ward])

    citizen = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="vi-VN")
    phone = citizen.new_page()
    phone.set_default_timeout(15_000)
    phone.goto("/feedback/")
    phone.click("text=Gửi phản ánh")
    phone.select_option("#id_category", "rac-thai")
    phone.fill("#id_description", "Rác thải đổ trộm ở đầu hẻm, bốc mùi ba ngày nay.")
    pin = phone.locator("[data-pin-map]")
    pin.scroll_into_view_if_needed()
    phone.wait_for_function("document.querySelector('[data-pin-map]').iocMap !== undefined")
    phone.wait_for_function(  # the communes drawn, the map fitted to them
        "document.querySelectorAll('[data-pin-map] path.leaflet-interactive, "
        "[data-pin-map] svg path').length > 3"
    )
    x, y = phone.evaluate(
        "([lat, lon]) => { const p = document.querySelector('[data-pin-map]').iocMap"
        ".latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [inside.y, inside.x],
    )
    box = pin.bounding_box()
    phone.mouse.click(box["x"] + x, box["y"] + y)
    assert phone.locator("[data-pin-map][data-pinned]").count() == 1
    phone.set_input_files(
        "#id_media", files=[{"name": "rac.jpg", "mimeType": "image/jpeg", "buffer": a_photo()}]
    )
    phone.fill("#id_name", "Nguyễn Văn Dân")
    phone.fill("#id_phone", "0912345678")
    phone.click("form.report-form button[type=submit]")
    phone.wait_for_url("**/feedback/track/*/")
    code = phone.inner_text("[data-tracking-code]").strip()
    report = Report.objects.get(tracking_code=code)
    assert report.unit is not None and report.unit.code == "25747"
    assert report.agency.unit_id == report.unit_id  # the ward's people's committee
    assert report.media.count() == 1
    assert phone.locator(".report-photos img").count() == 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SHOTS / "feedback-tracked.png"), full_page=True)

    # The ward's handler answers it.
    page.route("**/ioc/live/**", lambda route: route.abort())
    log_in(page, live_server, HANDLER)
    page.goto("/ioc/feedback/")
    page.click(f'.report-table a[href="/ioc/feedback/{report.pk}/"] >> nth=0')
    assert page.locator("text=Nguyễn Văn Dân").count() >= 1  # the handler sees who reported
    page.click("form[action$='/accept/'] button")
    page.click("form[action$='/start/'] button")
    answer = "Tổ vệ sinh đã thu gom hết rác và đặt biển cấm đổ rác tại đầu hẻm."
    page.fill("#id_answer", answer)
    page.click("form[action$='/resolve/'] button")
    page.wait_for_selector(".report-status-resolved")
    page.screenshot(path=str(SHOTS / "feedback-handler.png"), full_page=True)

    # The citizen reads the answer by the tracking code and rates it.
    phone.goto("/feedback/")
    phone.fill("#id_code", code.lower())
    phone.click(".track-form button")
    phone.wait_for_url(f"**/feedback/track/{code}/")
    assert answer in phone.inner_text(".report-answer")
    phone.check("input[name=rating][value=satisfied]")
    phone.click(".report-rate button[type=submit]")
    phone.wait_for_selector("text=Cảm ơn bạn")
    report.refresh_from_db()
    assert report.status == "resolved" and report.rating == "satisfied"
    # the public page shows the answer, never the reporter
    phone.goto(f"/feedback/{report.pk}/")
    body = phone.inner_text("main")
    assert answer in body and "Nguyễn Văn Dân" not in body and "0912345678" not in body
    citizen.close()
