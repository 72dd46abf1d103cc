"""The demo's cameras: declared once, and their synthetic sources really answer (snapshot,
MJPEG, HLS, and RTSP where Debian's GStreamer RTSP server is installed)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from ioc.cameras.health import probe
from ioc.cameras.models import Camera
from ioc.cameras.tests.conftest import ffmpeg_under
from ioc.conftest import require
from ioc.demo import cameras
from ioc.demo.registry import SCALES, DemoContext
from ioc.demo.tests.test_live import province  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_demo_cameras_come_from_sources_that_answer(
    province: None,  # noqa: F811
    settings: Any,
    tmp_path: Path,
) -> None:
    import shutil

    from ioc.cameras.testsources import rtsp_available

    require(shutil.which("ffmpeg") is not None, "ffmpeg")
    require(rtsp_available(), "GStreamer RTSP server (make browser installs it)")
    ctx = DemoContext(SCALES["tiny"], random.Random(1), print)
    first = cameras.cameras(ctx)
    assert "12 cameras added" in first
    assert "0 cameras added" in cameras.cameras(ctx)  # a second run adds nothing
    flood = Camera.objects.get(code="CAM-NU-01")
    assert flood.groups.get().code == "ngap-ung" and flood.hls_url.endswith("index.m3u8")
    assert Camera.objects.get(code="CAM-AN-01").groups.get().roles.count() == 2

    settings.IOC_FFMPEG = shutil.which("ffmpeg")
    sources = cameras.CameraSources(tmp_path / "sources")
    try:
        assert "RTSP" in sources.start()
        for hls in sources.hls:
            assert hls.ready()
        result = probe()
        assert result["offline"] == 0, list(Camera.objects.values_list("code", "last_error"))
        assert result["online"] + result["degraded"] == 12
    finally:
        sources.stop()
    assert not ffmpeg_under(tmp_path / "sources")
