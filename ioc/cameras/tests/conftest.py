"""Real camera sources for the tests: an HTTP server of snapshots, MJPEG and HLS, Debian's
GStreamer RTSP server and ffmpeg. Missing tools skip locally and fail in CI."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ioc.cameras import testsources
from ioc.conftest import require


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    require(path is not None, "ffmpeg (apt install ffmpeg)")
    assert path is not None
    return path


@pytest.fixture
def frame_server(tmp_path: Path) -> Iterator[testsources.FrameServer]:
    server = testsources.FrameServer(hls_root=tmp_path / "hls")
    yield server
    server.close()


@pytest.fixture(scope="session")
def rtsp(ffmpeg: str) -> Iterator[testsources.RtspServer]:
    require(testsources.rtsp_available(), "GStreamer RTSP server (make browser installs it)")
    server = testsources.RtspServer(["/cam1", "/cam2:640x360", "/cam3:640x360"])
    yield server
    server.stop()


@pytest.fixture
def camera_settings(settings: Any, tmp_path: Path, ffmpeg: str) -> Any:
    settings.VAR_DIR = tmp_path / "var"
    settings.IOC_FFMPEG = ffmpeg
    settings.IOC_CAMERA_PROBE_TIMEOUT = 10  # degraded beyond 5 s: not a loaded CI machine's pace
    return settings


def ffmpeg_under(folder: Path) -> list[int]:
    """Pids of the ffmpeg processes whose command line names ``folder``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if state != "Z" and "ffmpeg" in args and str(folder) in args:
            found.append(int(entry.name))
    return found


def wait_for(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    return check()


@pytest.fixture
def groups(db: Any, sectors: dict[str, Any]) -> dict[str, Any]:
    from ioc.cameras.models import CameraGroup
    from ioc.core.models import Sector

    order = Sector.objects.create(code="public-order", name="An ninh trật tự", order=9)
    return {
        "traffic": CameraGroup.objects.create(
            code="giao-thong", name="Giao thông", name_en="Traffic", sector=sectors["traffic"]
        ),
        "order": CameraGroup.objects.create(
            code="an-ninh", name="An ninh trật tự", name_en="Public order", sector=order
        ),
    }


@pytest.fixture
def make_camera(db: Any) -> Callable[..., Any]:
    from ioc.cameras.models import Camera
    from ioc.cameras.sources import set_password

    def make(code: str, *, groups: list[Any] = (), password: str = "", **fields: Any) -> Any:
        camera = Camera(code=code, name=fields.pop("name", code), **fields)
        if password:
            set_password(camera, password)
        camera.save()
        camera.groups.set(groups)
        return camera

    return make
