"""Cameras in a real browser against real sources (Debian's GStreamer RTSP server, ffmpeg, an
HTTP camera): a 4-camera wall, a live view that plays, a camera cut that shows offline after
one probe and comes back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ioc.cameras.tests.conftest import ffmpeg, frame_server, rtsp  # noqa: F401
from ioc.demo.accounts import DEMO_USERS
from ioc.tests.test_browser import _chromium, browser, log_in, page, province  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OPERATOR = next(u for u in DEMO_USERS if u.username == "vanhanh")
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def cameras(
    settings: Any,
    tmp_path: Path,
    ffmpeg: str,  # noqa: F811
    rtsp: Any,  # noqa: F811
    frame_server: Any,  # noqa: F811
    province: Any,  # noqa: F811
) -> Any:
    from ioc.cameras import relay
    from ioc.cameras.models import Camera, CameraGroup

    settings.VAR_DIR = tmp_path / "var"
    settings.IOC_FFMPEG = ffmpeg
    settings.IOC_CAMERA_URL_SECONDS = 10  # pages renew their addresses every 5 s
    settings.IOC_CAMERA_SNAPSHOT_SECONDS = 2
    group = CameraGroup.objects.create(code="thu-nghiem", name="Camera thử nghiệm")
    made = []
    for code, fields in [
        ("rtsp-1", {"rtsp_url": rtsp.url("/cam2")}),
        ("snap-1", {"snapshot_url": frame_server.snapshot("snap-1")}),
        ("snap-2", {"snapshot_url": frame_server.snapshot("snap-2")}),
        ("mjpeg-1", {"mjpeg_url": frame_server.mjpeg("mjpeg-1")}),
    ]:
        camera = Camera.objects.create(code=code, name=f"Camera {code}", **fields)
        camera.groups.add(group)
        made.append(camera)
    yield {c.code: c for c in made}
    for camera_id in list(relay.running()):
        relay.stop(camera_id)


def test_a_wall_of_four_a_live_view_that_plays_and_a_camera_cut_then_back(
    page: Any,  # noqa: F811
    live_server: Any,
    cameras: dict[str, Any],
    frame_server: Any,  # noqa: F811
) -> None:
    from ioc.cameras import health
    from ioc.cameras.models import Camera

    def probe() -> dict[str, Any]:  # the scheduler's round, over the test's four cameras
        return health.probe(Camera.objects.filter(groups__code="thu-nghiem"))

    probe()
    log_in(page, live_server, OPERATOR)
    page.goto("/ioc/cameras/wall/?layout=4&group=thu-nghiem")
    page.wait_for_selector("body[data-cameras-ready]")
    page.wait_for_function(
        "document.querySelectorAll('[data-camera][data-frame-state=ok]').length === 4",
        timeout=20_000,
    )
    assert page.locator("[data-camera]:not([hidden])").count() == 4
    assert page.locator("[data-camera][data-status=online]").count() == 4
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "camera-wall.png"))

    frame_server.cut("snap-2")
    assert probe()["offline"] == 1  # one probe interval
    tile = f"[data-camera='{cameras['snap-2'].pk}']"
    page.wait_for_selector(f"{tile}[data-status=offline]", timeout=15_000)
    assert "Mất tín hiệu" in page.locator(tile).inner_text()
    page.screenshot(path=str(SHOTS / "camera-wall-offline.png"))
    frame_server.restore("snap-2")
    probe()
    page.wait_for_selector(f"{tile}[data-status=online][data-frame-state=ok]", timeout=15_000)

    page.goto(f"/ioc/cameras/{cameras['rtsp-1'].pk}/")
    page.wait_for_selector("[data-live][data-playing]", timeout=20_000)
    first = page.evaluate("document.querySelector('video').currentTime")
    page.wait_for_function(
        f"document.querySelector('video').currentTime > {first} + 1", timeout=15_000
    )
    page.screenshot(path=str(SHOTS / "camera-live.png"))

    # A live wall: the tiles with video play it (the MJPEG one needs the ASGI server, which
    # this test server is not: it keeps its refreshed snapshot).
    page.goto("/ioc/cameras/wall/?layout=4&group=thu-nghiem&live=1")
    rtsp_tile = f"[data-camera='{cameras['rtsp-1'].pk}']"
    page.wait_for_selector(f"{rtsp_tile}[data-playing]", timeout=20_000)
    page.wait_for_function(
        f'document.querySelector("{rtsp_tile} video").currentTime > 1', timeout=15_000
    )
    page.screenshot(path=str(SHOTS / "camera-wall-live.png"))
